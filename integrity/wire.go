package integrity

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/site"
)

// Transfer is a program or firmware transfer seen on the wire, taken from
// the events of the analyzers that hash what they move.
type Transfer struct {
	TS      time.Time
	Op      string // event.OpProgramUpload, OpProgramDownload, OpFirmwareUpdate
	Proto   string
	PLC     netip.Addr // the device: the side with the lower (well-known) port
	Client  netip.Addr
	CPort   uint16 // the client's port: tells sessions apart
	VLAN    uint16
	Name    string // block ("FC12"), "umas-program", or the CIP file's name
	SHA256  string // "" when the event carries no completed hash
	Size    int64
	Capture string
	Packet  int64
	// Refused: the device refused a step; Partial: not every octet was
	// seen (a partial UMAS transfer, an incomplete block).
	Refused, Partial bool
}

// Transfers picks the transfers out of events: S7 block uploads and
// downloads (detail.block of "End upload" and "Download ended", which the
// job and its ack-data both carry: one is kept), UMAS program transfers
// (detail.transfer) and CIP file transfers (detail.file), and every other
// program-download or firmware-update event without a hash (for
// integrity.remote-update). Events come in packet-time order; so do
// transfers.
func Transfers(evs []event.Event) []Transfer {
	var out []Transfer
	last := map[string]int{} // session → index of its last hashed transfer
	for i := range evs {
		e := &evs[i]
		if e.Op != event.OpProgramDownload && e.Op != event.OpProgramUpload && e.Op != event.OpFirmwareUpdate {
			continue
		}
		t := Transfer{TS: e.TS, Op: e.Op, Proto: e.Proto, VLAN: e.VLAN, Capture: e.Capture, Packet: e.Packet}
		t.PLC, t.Client, t.CPort = e.Dst, e.Src, e.SPort
		if e.SPort < e.DPort {
			t.PLC, t.Client, t.CPort = e.Src, e.Dst, e.DPort
		}
		switch {
		case isMap(e.Detail["block"]) && str(e.Detail["block"], "sha256") != "":
			b := e.Detail["block"].(map[string]any)
			t.Name, t.SHA256, t.Size = str(b, "name"), str(b, "sha256"), num(b, "length")
			if t.Name == "" {
				t.Name = "block-" + strconv.FormatInt(num(b, "number"), 10)
			}
			t.Refused = b["refused"] == true
			t.Partial = b["complete"] == false
		case isMap(e.Detail["transfer"]) && str(e.Detail["transfer"], "sha256") != "":
			x := e.Detail["transfer"].(map[string]any)
			t.Name, t.SHA256, t.Size = "umas-program", str(x, "sha256"), num(x, "bytes")
			t.Partial = x["partial"] == true
		case isMap(e.Detail["file"]) && str(e.Detail["file"], "sha256") != "":
			x := e.Detail["file"].(map[string]any)
			t.Name, t.SHA256, t.Size = str(x, "name"), str(x, "sha256"), num(x, "length")
			if t.Name == "" {
				t.Name = "cip-file-" + strconv.FormatInt(num(x, "instance"), 10)
			}
			t.Partial = x["complete"] == false
		}
		if t.SHA256 != "" {
			key := t.PLC.String() + "|" + t.Client.String() + "|" + strconv.Itoa(int(t.CPort))
			if j, ok := last[key]; ok {
				p := &out[j]
				if p.Name == t.Name && p.SHA256 == t.SHA256 && p.Op == t.Op && t.TS.Sub(p.TS) < 10*time.Second {
					continue // the ack-data of the job just kept
				}
			}
			last[key] = len(out)
		}
		out = append(out, t)
	}
	return out
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

func str(v any, k string) string {
	m, _ := v.(map[string]any)
	s, _ := m[k].(string)
	return s
}

func num(v any, k string) int64 {
	m, _ := v.(map[string]any)
	switch n := m[k].(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// OriginPLC is how a learned manifest names the device it was learned
// from in Origin.
const OriginPLC = "plc:"

// Learn makes a baseline from the uploads of plc among trs: each block
// uploaded completely (not refused, not partial) becomes an entry named
// after it. A block uploaded twice with different hashes is an error: a
// capture of a known-good upload shows each block once, or the same
// every time. plc invalid: the only device uploaded from (an error naming
// them when there are several).
func Learn(o Options, plc netip.Addr, captures []string, trs []Transfer) (Manifest, error) {
	m := Manifest{Format: Format, Asset: o.Asset, Kind: o.Kind, Source: SourceWire, By: o.By, Created: o.At}
	if m.Created.IsZero() {
		m.Created = time.Now()
	}
	if o.Asset == "" {
		return m, errors.New("no asset")
	}
	if _, err := ParseKind(string(o.Kind)); err != nil {
		return m, err
	}
	if !plc.IsValid() {
		var plcs []string
		for _, t := range trs {
			if t.Op == event.OpProgramUpload && t.SHA256 != "" && !slices.Contains(plcs, t.PLC.String()) {
				plcs = append(plcs, t.PLC.String())
			}
		}
		switch len(plcs) {
		case 0:
			return m, errors.New("no completed program upload in the captures")
		case 1:
			plc = netip.MustParseAddr(plcs[0])
		default:
			slices.Sort(plcs)
			return m, fmt.Errorf("uploads from %d devices (%s): say which with --plc", len(plcs), strings.Join(plcs, ", "))
		}
	}
	seen := map[string]int{}
	skipped := 0
	for _, t := range trs {
		if t.Op != event.OpProgramUpload || t.PLC != plc || t.SHA256 == "" {
			continue
		}
		if t.Refused || t.Partial {
			skipped++
			continue
		}
		if i, ok := seen[t.Name]; ok {
			if m.Entries[i].SHA256 != t.SHA256 {
				return m, fmt.Errorf("block %s uploaded from %s twice with different hashes (%s, %s): not a known-good state",
					t.Name, plc, m.Entries[i].SHA256, t.SHA256)
			}
			continue
		}
		seen[t.Name] = len(m.Entries)
		m.Entries = append(m.Entries, Entry{Path: t.Name, Size: t.Size, SHA256: t.SHA256})
	}
	if len(m.Entries) == 0 {
		return m, fmt.Errorf("no completed program upload from %s in the captures (%d incomplete or refused)", plc, skipped)
	}
	m.Origin = append([]string{OriginPLC + plc.String()}, captures...)
	m.normalize()
	return m, nil
}

// PLCOf returns the device address a learned manifest was learned from.
func (m *Manifest) PLCOf() (netip.Addr, bool) {
	for _, o := range m.Origin {
		if s, ok := strings.CutPrefix(o, OriginPLC); ok {
			a, err := netip.ParseAddr(s)
			return a, err == nil
		}
	}
	return netip.Addr{}, false
}

// Confirmation is an upload that matched the baseline: the asset's
// block was as the baseline says at that time.
type Confirmation struct {
	Asset  string    `json:"asset"`
	Block  string    `json:"block"`
	SHA256 string    `json:"sha256"`
	At     time.Time `json:"at"`
}

// Judgement is what Judge found.
type Judgement struct {
	Findings  []finding.Finding
	Confirmed []Confirmation
	// Judged counts the hashed transfers held against a baseline;
	// Unbaselined those to or from a device with no baseline.
	Judged, Unbaselined int
	// Assets lists the assets whose baseline judged a transfer, with
	// whether every transfer matched; PerAsset counts their transfers.
	Assets   map[string]bool
	PerAsset map[string]int
}

// Judge holds transfers against baselines (by asset id; a manifest's
// device is found by the site's asset address, else by the address a
// learned manifest names). A download whose block hash differs from the
// baseline's (or a block the baseline lacks), and an upload that shows
// such a block, is integrity.program-changed: critical outside every
// change window of the site, high inside one. An identical download is
// nothing; a matching upload confirms the block. A program download or
// firmware update whose client is in a remote-access zone or is an
// approved remote-access gateway is integrity.remote-update (high),
// baseline or not. s nil: site.Default().
func Judge(s *site.Site, baselines map[string]*Manifest, trs []Transfer) Judgement {
	if s == nil {
		s = site.Default()
	}
	byAddr := map[netip.Addr]string{}
	for id, m := range baselines {
		for _, as := range s.Assets {
			if as.ID == id {
				for _, ip := range as.IPs {
					byAddr[ip] = id
				}
			}
		}
		if ip, ok := m.PLCOf(); ok {
			if _, taken := byAddr[ip]; !taken {
				byAddr[ip] = id
			}
		}
	}
	j := Judgement{Assets: map[string]bool{}, PerAsset: map[string]int{}}
	agg := map[string]*finding.Finding{}
	var order []string
	host := func(a netip.Addr, vlan uint16) finding.Host {
		h := finding.Host{IP: a, Zone: s.Zone(a, vlan).ID}
		if as := s.AssetByIP(a); as != nil {
			h.Asset = as.ID
		}
		return h
	}
	emit := func(sp finding.Spec, t *Transfer) {
		f := finding.New(sp)
		if p, ok := agg[f.ID]; ok {
			p.Count++
			p.LastSeen = t.TS.UTC()
			addEvidence(p, t)
			if sp.Severity > p.Severity {
				p.Severity = sp.Severity
			}
			return
		}
		f.Evidence = nil
		addEvidence(&f, t)
		agg[f.ID] = &f
		order = append(order, f.ID)
	}
	sessions := map[string]bool{} // remote sessions counted
	for i := range trs {
		t := &trs[i]
		session := fmt.Sprintf("%s:%d → %s", t.Client, t.CPort, t.PLC)
		if t.Op != event.OpProgramUpload && !t.Refused && !sessions[t.Op+" "+session] {
			cz := s.Zone(t.Client, t.VLAN)
			if cz.Kind == site.KindRemoteAccess || s.IsGateway(t.Client) {
				sessions[t.Op+" "+session] = true // one count a session, however many PDUs
				how := "the client is in remote-access zone " + cz.ID
				if s.IsGateway(t.Client) {
					how = "the client " + t.Client.String() + " is a remote-access gateway"
				}
				d := map[string]any{"op": t.Op, "proto": t.Proto, "session": session, "via": how}
				if t.Name != "" {
					d["block"] = t.Name
				}
				emit(finding.Spec{Rule: finding.RuleIntegrityRemoteUpdate, Severity: finding.High,
					Src: host(t.Client, t.VLAN), Dst: host(t.PLC, t.VLAN), First: t.TS.UnixNano(), Last: t.TS.UnixNano(), Count: 1,
					Title: fmt.Sprintf("%s to %s through remote access (%s)", t.Op, t.PLC, how), Detail: d, Key: t.Op}, t)
			}
		}
		if t.SHA256 == "" || t.Refused {
			continue
		}
		asset, ok := byAddr[t.PLC]
		if !ok {
			j.Unbaselined++
			continue
		}
		j.Judged++
		j.PerAsset[asset]++
		if _, ok := j.Assets[asset]; !ok {
			j.Assets[asset] = true
		}
		base := baselines[asset].BlockHashes()
		b, known := base[t.Name]
		if known && b.SHA256 == t.SHA256 {
			if t.Op == event.OpProgramUpload && !t.Partial {
				j.Confirmed = append(j.Confirmed, Confirmation{Asset: asset, Block: t.Name, SHA256: t.SHA256, At: t.TS.UTC()})
			}
			continue
		}
		if t.Partial && t.Op == event.OpProgramUpload {
			continue // part of a block says nothing of the whole
		}
		j.Assets[asset] = false
		sev, window := finding.Critical, ""
		for w := range s.ChangeWindows {
			if s.ChangeWindows[w].Contains(t.TS) {
				sev, window = finding.High, s.ChangeWindows[w].ID
				break
			}
		}
		d := map[string]any{"asset": asset, "block": t.Name, "op": t.Op, "proto": t.Proto,
			"sha256": t.SHA256, "baseline_sha256": b.SHA256, "baseline_created": baselines[asset].Created.Format(time.RFC3339)}
		what := "differs from the baseline's " + short(b.SHA256)
		if !known {
			d["baseline_sha256"] = ""
			what = "is not in the baseline"
		}
		if window != "" {
			d["change_window"] = window
		}
		verb := "downloaded to"
		if t.Op == event.OpProgramUpload {
			verb = "uploaded from"
		} else if t.Op == event.OpFirmwareUpdate {
			verb = "written to"
		}
		dst := host(t.PLC, t.VLAN)
		if dst.Asset == "" {
			dst.Asset = asset
		}
		emit(finding.Spec{Rule: finding.RuleIntegrityProgramChanged, Severity: sev, Src: host(t.Client, t.VLAN), Dst: dst,
			First: t.TS.UnixNano(), Last: t.TS.UnixNano(), Count: 1, Detail: d, Key: t.Name + "|" + t.SHA256,
			Title: fmt.Sprintf("%s %s %s %s with SHA-256 %s, which %s", t.Name, verb, asset, t.PLC, short(t.SHA256), what)}, t)
	}
	for _, id := range order {
		j.Findings = append(j.Findings, *agg[id])
	}
	finding.Sort(j.Findings)
	slices.SortFunc(j.Confirmed, func(a, b Confirmation) int {
		return cmp.Or(strings.Compare(a.Asset, b.Asset), a.At.Compare(b.At), strings.Compare(a.Block, b.Block))
	})
	return j
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func addEvidence(f *finding.Finding, t *Transfer) {
	for i := range f.Evidence {
		if f.Evidence[i].Capture == t.Capture {
			if len(f.Evidence[i].Packets) < finding.MaxEvidence {
				f.Evidence[i].Packets = append(f.Evidence[i].Packets, t.Packet)
			}
			return
		}
	}
	f.Evidence = append(f.Evidence, finding.Evidence{Capture: t.Capture, Packets: []int64{t.Packet}})
}

// AsBlocks returns a manifest of m's blocks (BlockHashes) as entries, in
// the form of a manifest learned from the wire: what a file export is
// compared as when the baseline was learned from a capture.
func (m Manifest) AsBlocks() Manifest {
	out := m
	out.Source = SourceWire
	out.Entries = nil
	for _, b := range m.BlockHashes() {
		out.Entries = append(out.Entries, Entry{Path: b.Name, Size: b.Size, SHA256: b.SHA256})
	}
	out.normalize()
	return out
}
