package synth

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"
)

// RegistersAt is the time the simulated backup and spares registers are
// judged at (their dates are relative to it).
var RegistersAt = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// RegisterGap is one gap the simulated registers hold on purpose: what a
// readiness report at RegistersAt (default policy: backups 90 days,
// restore and rebuild tests 365 days) must list, and nothing else.
type RegisterGap struct {
	Crane string `json:"crane"`
	Rule  string `json:"rule"`
	Item  string `json:"item"`
}

// Registers returns the backup and spares registers of a terminal of
// cranes cranes (MinCranes to MaxCranes) as CSV, in the form
// 'harborwatch backup import' and 'spares import' read, and the gaps they
// hold. Every crane has the advisory's six backups (operating-system
// images of crane management, cabin view and ground view, the PLC program,
// the drive settings and the switch configuration: recent, one copy
// offline, restore-tested) and spares of PLC, embedded computer, network
// device and drive, except in these places:
//
//	STS-01  no backup of the drive settings
//	STS-02  the switch configuration kept online only; the PLC program's last restore test failed
//	STS-03  the cabin-view image 200 days old, its restore test 400 days ago; no PLC spare on hand (0 of 1)
//	STS-04  no network-device spare; the embedded-computer spare never rebuild-tested;
//	        the ground-view image never restore-tested
//
// Cranes beyond the fourth have complete registers.
func Registers(cranes int) (backups, spares []byte, gaps []RegisterGap, err error) {
	if cranes < MinCranes || cranes > MaxCranes {
		return nil, nil, nil, fmt.Errorf("%w: %d", ErrCranes, cranes)
	}
	at := RegistersAt
	date := func(daysAgo int) string { return at.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	var bb, sb bytes.Buffer
	bw, sw := csv.NewWriter(&bb), csv.NewWriter(&sb)
	bw.Write([]string{"id", "crane", "asset", "item", "system", "location", "offline", "sha256", "size", "taken_at",
		"restore_tested", "restore_result", "restore_by", "note"})
	sw.Write([]string{"id", "crane", "component", "model", "on_hand", "required", "location", "firmware_compatible", "rebuild_tested", "note"})
	gap := func(k int, rule, item string) {
		gaps = append(gaps, RegisterGap{Crane: fmt.Sprintf("STS-%02d", k), Rule: rule, Item: item})
	}
	for k := 1; k <= cranes; k++ {
		crane, pre := fmt.Sprintf("STS-%02d", k), fmt.Sprintf("sts%02d", k)
		type row struct {
			asset, item, system string
			offline             bool
			taken, tested       int // days ago; tested < 0: never
			result              string
		}
		rows := []row{
			{"cms01", "os-image", "crane-management", true, 20, 30, "pass"},
			{pre + "-cabin-pc", "os-image", "cabin-view", true, 25, 40, "pass"},
			{pre + "-ground-pc", "os-image", "ground-view", true, 25, 40, "pass"},
			{pre + "-plc1", "plc-program", "", true, 10, 60, "pass"},
			{pre + "-drives", "vfd-settings", "", true, 30, 100, "pass"},
			{pre + "-sw1", "switch-config", "", true, 5, 50, "pass"},
		}
		switch k {
		case 1:
			rows = append(rows[:4], rows[5:]...)
			gap(k, "recovery.backup-missing", "vfd-settings")
		case 2:
			rows[5].offline = false
			gap(k, "recovery.backup-online", "switch-config")
			rows[3].result = "fail"
			gap(k, "recovery.restore-untested", "plc-program")
		case 3:
			rows[1].taken, rows[1].tested = 200, 400
			gap(k, "recovery.backup-stale", "os-image/cabin-view")
			gap(k, "recovery.restore-untested", "os-image/cabin-view")
		case 4:
			rows[2].tested = -1
			gap(k, "recovery.restore-untested", "os-image/ground-view")
		}
		for i, r := range rows {
			tested, result, by := "", "", ""
			if r.tested >= 0 {
				tested, result, by = date(r.tested), r.result, "maintenance"
			}
			off := "no"
			loc := "NAS rack 2"
			if r.offline {
				off, loc = "yes", "safe, building B"
			}
			sum := fmt.Sprintf("%064x", k*1000+i)
			bw.Write([]string{fmt.Sprintf("K-%s-%d", pre, i+1), crane, r.asset, r.item, r.system, loc, off, sum,
				strconv.Itoa(1<<20 + i), date(r.taken), tested, result, by, ""})
		}
		type spare struct {
			component, model string
			onHand, required int
			tested           int
		}
		ss := []spare{
			{"plc", "S7-1500 CPU 1516-3", 1, 1, 100},
			{"embedded-computer", "Dell OptiPlex XE4", 1, 1, 120},
			{"network-device", "SCALANCE XC216", 2, 1, 90},
			{"drive", "ACS880", 1, 1, 200},
		}
		switch k {
		case 3:
			ss[0].onHand = 0
			gap(k, "recovery.spares-short", "plc")
		case 4:
			ss = append(ss[:2], ss[3:]...)
			gap(k, "recovery.spares-short", "network-device")
			ss[1].tested = -1
			gap(k, "recovery.rebuild-untested", "embedded-computer")
		}
		for i, s := range ss {
			tested := ""
			if s.tested >= 0 {
				tested = date(s.tested)
			}
			sw.Write([]string{fmt.Sprintf("P-%s-%d", pre, i+1), crane, s.component, s.model, strconv.Itoa(s.onHand),
				strconv.Itoa(s.required), "spares store", "yes", tested, ""})
		}
	}
	bw.Flush()
	sw.Flush()
	if err := bw.Error(); err != nil {
		return nil, nil, nil, err
	}
	return bb.Bytes(), sb.Bytes(), gaps, sw.Error()
}
