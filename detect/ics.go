package detect

import (
	"slices"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/site"
)

// opRule returns the rule judging an operation; "" for operations that
// are never findings by themselves (read, identity, diagnostics, session,
// io, other).
func opRule(op string) string { return finding.ForOp(op) }

// Judges reports whether an operation can be a finding by itself (Op
// judges it); reads, identity, diagnostics, sessions, I/O, auth and other
// operations cannot, so the caller need not build a Conn for them.
func Judges(op string) bool { return opRule(op) != "" }

// drastic reports whether an operation changes what a controller runs.
func drastic(op string) bool {
	switch op {
	case event.OpProgramDownload, event.OpProgramUpload, event.OpProgramDelete,
		event.OpFirmwareUpdate, event.OpPLCStop:
		return true
	}
	return false
}

// Op judges an ICS request: op (an event.Op* value) sent by the client to
// the server of c, over app (s7comm, modbus, enip…), at packet time ts.
// what names the object (block, file, tag) when known. It reports whether
// a finding was recorded, so that the caller can pass the response's
// status to OpResult.
func (s *State) Op(c *observe.Conn, op, name string, what []byte, m finding.Mark, ts int64) bool {
	rule := opRule(op)
	if rule == "" {
		return false
	}
	st := s.e.site
	zc := st.Zone(c.Client.IP, c.VLAN)
	zs := st.Zone(c.Server.IP, c.VLAN)
	sev := finding.High
	if s.e.given {
		if !crane(zs) {
			return false
		}
		appName := c.App.String()
		when := time.Unix(0, ts).UTC()
		if st.AllowsOp(zc, zs, appName, c.Server.Port, op, when) {
			return false
		}
		if drastic(op) && (zc.Kind != site.KindCraneManagement || st.AllowsOpAnyTime(zc, zs, appName, c.Server.Port, op)) {
			sev = finding.Critical // from outside management, or outside every window
		}
	} else {
		if op == event.OpWrite {
			return false // without a site, writes are events only
		}
		if drastic(op) {
			sev = finding.Critical
		}
	}
	if op == event.OpWrite {
		sev = finding.Medium
		if control(zs) {
			sev = finding.High
		}
	}
	a := s.get(s.key(rule, c, c.Client.IP, c.Server.IP), sev, c, c.Client, c.Server, zc, zs)
	a.seen(ts, ts)
	a.count++
	a.addMark(m)
	if name != "" {
		a.funcs = addSorted(a.funcs, &a.funcsMore, name)
	}
	if len(what) > 0 {
		a.names = addSorted(a.names, &a.namesMore, string(what))
	}
	return true
}

// OpObject adds the object (block, file, tag) a judged request named to
// its finding. It is separate from Op so that the caller builds the name
// only for the rare requests that are findings.
func (s *State) OpObject(c *observe.Conn, op string, what string) {
	rule := opRule(op)
	if rule == "" || what == "" {
		return
	}
	if a := s.aggs[s.key(rule, c, c.Client.IP, c.Server.IP)]; a != nil {
		s.touch(a)
		a.names = addSorted(a.names, &a.namesMore, what)
	}
}

// OpResult records the device's answer to a judged request: status "" is
// accepted, anything else the protocol's error. A failed auth operation
// is itself a finding (ics.auth-failure).
func (s *State) OpResult(c *observe.Conn, op, status string, m finding.Mark, ts int64) {
	if op == event.OpAuth {
		if status == "" {
			return
		}
		st := s.e.site
		zc := st.Zone(c.Client.IP, c.VLAN)
		zs := st.Zone(c.Server.IP, c.VLAN)
		if s.e.given && !crane(zs) {
			return
		}
		a := s.get(s.key(finding.RuleICSAuthFailure, c, c.Client.IP, c.Server.IP), finding.Medium, c, c.Client, c.Server, zc, zs)
		a.seen(ts, ts)
		a.count++
		a.addMark(m)
		a.addStatus(status)
		return
	}
	rule := opRule(op)
	if rule == "" {
		return
	}
	a := s.aggs[s.key(rule, c, c.Client.IP, c.Server.IP)]
	if a == nil {
		return
	}
	s.touch(a)
	if status == "" {
		a.accepted++
		return
	}
	a.addStatus(status)
}

func (a *agg) addStatus(status string) {
	i := slices.IndexFunc(a.statuses, func(sc statusCount) bool { return sc.status == status })
	if i < 0 {
		if len(a.statuses) >= maxDetailNames {
			return
		}
		a.statuses = append(a.statuses, statusCount{status: status})
		slices.SortFunc(a.statuses, func(x, y statusCount) int {
			switch {
			case x.status < y.status:
				return -1
			case x.status > y.status:
				return 1
			}
			return 0
		})
		i = slices.IndexFunc(a.statuses, func(sc statusCount) bool { return sc.status == status })
	}
	a.statuses[i].n++
}

type statusCount struct {
	status string
	n      uint64
}
