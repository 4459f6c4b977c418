package enip

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Peer parity with Zeek ICSNPP (icsnpp-enip): the baseline logs of its test
// suite, compared PDU by PDU, in order, per connection.
//
// Deliberate differences, and how the comparison bridges them:
//  1. An encapsulation PDU that carries CIP is one enip.log line plus its
//     cip.log lines in ICSNPP; here it is reported only through its CIP
//     messages, each of which keeps the encapsulation header. enip.log is
//     therefore compared with the first message (Index 0) of every PDU.
//  2. Names: ICSNPP writes titles with spaces ("Get Attribute List") and
//     the plural "Get/Set Attributes Single"; we use the specification's
//     names (Get_Attribute_List, Set_Attribute_Single, Vol. 1 Table ).
//     Names are compared after mapping underscores to spaces, with the
//     plural spelled out in peerName.
//  3. Status: ICSNPP writes "Success"; Status() is "" for success.
//  4. Responses: ICSNPP logs no class/instance for responses; ours carry
//     the paired request's path, so class, instance and attribute are
//     compared on requests only (and the pairing itself is checked: every
//     response in these traces is paired).
//  5. cip_io.log has one line per I/O packet; we emit the first packet of
//     each connection (KindIO) and count the rest in IOStats, so cip_io.log
//     is compared per connection: the first packet's direction and sequence
//     number with the message, and packet count, first and last sequence
//     number and data bytes with IOStats.
//  6. Multiple_Service_Packet: ICSNPP logs the container and then each
//     embedded service, as we do; the container is the message with
//     Container set and Index 0, the embedded services have Embedded set
//     and Index 1….

// peerLog reads a baseline log: tab-separated fields, "#" lines skipped.
func peerLog(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("fixture %s: no records", path)
	}
	return out
}

// conn is the connection of a peer log line (orig_h orig_p resp_h resp_p)
// or of one of our records.
type conn struct{ orig, resp netip.AddrPort }

func peerConn(t *testing.T, f []string) conn {
	t.Helper()
	ap := func(h, p string) netip.AddrPort {
		port, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("bad port %q", p)
		}
		return netip.AddrPortFrom(netip.MustParseAddr(h), uint16(port))
	}
	return conn{ap(f[2], f[3]), ap(f[4], f[5])}
}

func byConn[T any](items []T, key func(T) conn) (map[conn][]T, []conn) {
	m := map[conn][]T{}
	var order []conn
	for _, it := range items {
		k := key(it)
		if _, ok := m[k]; !ok {
			order = append(order, k)
		}
		m[k] = append(m[k], it)
	}
	return m, order
}

func isOrig(b bool) string {
	if b {
		return "T"
	}
	return "F"
}

func hexOrDash(has bool, v uint32) string {
	if !has {
		return "-"
	}
	return fmt.Sprintf("0x%02x", v)
}

// peerName maps our service name to ICSNPP's.
func peerName(ours string) string {
	switch ours {
	case "Get_Attribute_Single":
		return "Get Attributes Single"
	case "Set_Attribute_Single":
		return "Set Attributes Single"
	case "Get_Attributes_All":
		return "Get Attributes All"
	case "Set_Attributes_All":
		return "Set Attributes All"
	}
	return strings.ReplaceAll(ours, "_", " ")
}

// peerCommand maps our encapsulation command name to ICSNPP's.
func peerCommand(ours string) string {
	switch ours {
	case "SendRRData":
		return "Send RR Data"
	case "SendUnitData":
		return "Send Unit Data"
	case "ListIdentity":
		return "List Identity"
	case "ListServices":
		return "List Services"
	case "ListInterfaces":
		return "List Interfaces"
	case "RegisterSession":
		return "Register Session"
	case "UnRegisterSession":
		return "Unregister Session"
	case "IndicateStatus":
		return "Indicate Status"
	}
	return ours
}

func recConn(r rec) conn { return conn{r.Client, r.Server} }

func TestPeerParity(t *testing.T) {
	for _, tc := range []struct {
		name, pcap, dir string
		io, identity    bool
	}{
		{"basic", "enip_cip_example.pcap", "analyzer.basic", true, true},
		{"multiple_service_request", "multiple_service_packet_cip.pcapng", "analyzer.multiple_service_request", false, false},
		{"set_attr_single_service", "set_attribute_single_service_cip.pcapng", "analyzer.set_attr_single_service", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCapture(t, "testdata/"+tc.pcap)
			if res.framing != 0 || res.gaps != 0 {
				t.Fatalf("framing errors %d, gaps %d; want none", res.framing, res.gaps)
			}
			base := "testdata/baseline-enip/" + tc.dir + "/"
			t.Run("enip.log", func(t *testing.T) { compareENIP(t, res, peerLog(t, base+"enip.log")) })
			t.Run("cip.log", func(t *testing.T) { compareCIP(t, res, peerLog(t, base+"cip.log")) })
			if tc.io {
				t.Run("cip_io.log", func(t *testing.T) { compareIO(t, res, peerLog(t, base+"cip_io.log")) })
			}
			if tc.identity {
				t.Run("cip_identity.log", func(t *testing.T) { compareIdentity(t, res, peerLog(t, base+"cip_identity.log")) })
			}
		})
	}
}

func compareENIP(t *testing.T, res result, peer [][]string) {
	var ours []rec
	for _, r := range res.recs {
		if r.Kind != KindIO && r.Index == 0 {
			ours = append(ours, r)
		}
	}
	om, _ := byConn(ours, recConn)
	pm, porder := byConn(peer, func(f []string) conn { return peerConn(t, f) })
	if len(om) != len(pm) {
		t.Errorf("connections: ours %d, peer %d", len(om), len(pm))
	}
	total := 0
	for _, c := range porder {
		p, o := pm[c], om[c]
		if len(p) != len(o) {
			t.Errorf("%v: %d PDUs, peer %d", c, len(o), len(p))
			continue
		}
		for i := range p {
			f, r := p[i], o[i]
			want := []string{f[6], f[11], f[12], f[13], f[14], f[15], f[16], f[17]}
			status := "Success"
			if r.EncapStatus != 0 {
				status = encapStatusName(r.EncapStatus)
			}
			got := []string{isOrig(r.FromClient), fmt.Sprintf("0x%02x", r.Command), peerCommand(encapName(r.Command)),
				strconv.Itoa(int(r.Length)), fmt.Sprintf("0x%08x", r.Session), status,
				fmt.Sprintf("0x%x", r.Context), fmt.Sprintf("0x%08x", r.Options)}
			if !slices.Equal(got, want) {
				t.Errorf("%v PDU %d (packet %d): got %q, peer %q", c, i, r.Packet, got, want)
			}
			total++
		}
	}
	t.Logf("%d encapsulation PDUs equal", total)
}

func encapName(c uint16) string { n, _ := commandName(c); return n }

func compareCIP(t *testing.T, res result, peer [][]string) {
	var ours []rec
	for _, r := range res.recs {
		if r.Kind == KindCIP {
			ours = append(ours, r)
		}
	}
	om, _ := byConn(ours, recConn)
	pm, porder := byConn(peer, func(f []string) conn { return peerConn(t, f) })
	total := 0
	for _, c := range porder {
		p, o := pm[c], om[c]
		if len(p) != len(o) {
			t.Errorf("%v: %d CIP messages, peer %d", c, len(o), len(p))
			continue
		}
		for i := range p {
			f, r := p[i], o[i]
			seq := "-"
			if r.Connected && r.Sequence != 0 {
				seq = strconv.Itoa(int(r.Sequence))
			}
			dir := "request"
			if !r.Request {
				dir = "response"
			}
			status, ext := "-", "-"
			cls, inst, attr := "-", "-", "-"
			if r.Request {
				cls = hexOrDash(r.Has&HasClass != 0, r.Class)
				inst = hexOrDash(r.Has&HasInstance != 0, r.Instance)
				attr = hexOrDash(r.Has&HasAttribute != 0, r.Attribute)
			} else {
				status = fmt.Sprintf("0x%02x", r.GeneralStatus)
				if r.ExtStatus >= 0 {
					ext = fmt.Sprintf("0x%02x", r.ExtStatus)
				}
				if !r.Paired {
					t.Errorf("%v message %d (packet %d): response not paired", c, i, r.Packet)
				}
			}
			peerStatus := f[15]
			want := []string{f[6], f[11], f[12], f[13], f[14], peerStatus, f[17], f[19], f[21], f[22]}
			got := []string{isOrig(r.FromClient), seq, dir, fmt.Sprintf("0x%02x", r.Func), peerName(r.Name),
				status, ext, cls, inst, attr}
			if !slices.Equal(got, want) {
				t.Errorf("%v message %d (packet %d): got %q, peer %q", c, i, r.Packet, got, want)
			}
			// The status names agree too ("Success" ↔ "").
			if !r.Request && (f[16] == "Success") != (r.Status == "") {
				t.Errorf("%v message %d: status %q, peer %q", c, i, r.Status, f[16])
			}
			// Containers are the Multiple_Service_Packet messages.
			if r.Container != (r.Func == 0x0A) || (r.Container && r.Embedded) || r.Embedded != (r.Index > 0) {
				t.Errorf("%v message %d: container %v embedded %v for %s", c, i, r.Container, r.Embedded, r.Name)
			}
			total++
		}
	}
	t.Logf("%d CIP messages equal", total)
}

func compareIO(t *testing.T, res result, peer [][]string) {
	type agg struct {
		orig        string
		first, last uint32
		packets     uint64
		bytes       uint64
	}
	peerConns := map[uint32]*agg{}
	var order []uint32
	for _, f := range peer {
		id, err := strconv.ParseUint(strings.TrimPrefix(f[11], "0x"), 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		seq, _ := strconv.ParseUint(f[12], 10, 32)
		n, _ := strconv.ParseUint(f[13], 10, 32)
		a := peerConns[uint32(id)]
		if a == nil {
			a = &agg{orig: f[6], first: uint32(seq)}
			peerConns[uint32(id)] = a
			order = append(order, uint32(id))
		}
		a.packets++
		a.bytes += n
		a.last = max(a.last, uint32(seq))
	}
	// Our first-packet messages, in order.
	var msgs []rec
	for _, r := range res.recs {
		if r.Kind == KindIO {
			msgs = append(msgs, r)
		}
	}
	if len(msgs) != len(order) {
		t.Fatalf("%d I/O connections emitted, peer has %d", len(msgs), len(order))
	}
	var stats []IOStat
	for _, s := range res.io {
		stats = append(stats, s...)
	}
	for i, id := range order {
		a, m := peerConns[id], msgs[i]
		if m.ConnID != id || isOrig(m.Request) != a.orig || m.IOSeq != a.first || m.Op != "io" || m.Proto != "cip" {
			t.Errorf("I/O message %d: conn 0x%08x req %v seq %d; peer conn 0x%08x is_orig %s seq %d",
				i, m.ConnID, m.Request, m.IOSeq, id, a.orig, a.first)
		}
		j := slices.IndexFunc(stats, func(s IOStat) bool { return s.ConnID == id })
		if j < 0 {
			t.Errorf("no IOStat for 0x%08x", id)
			continue
		}
		s := stats[j]
		// ICSNPP's data_length is the whole connected data item, as ours.
		if s.Packets != a.packets || s.FirstSeq != a.first || s.LastSeq != a.last || s.Bytes != a.bytes ||
			isOrig(s.FromClient) != a.orig {
			t.Errorf("IOStat 0x%08x = %+v; peer packets %d first %d last %d bytes %d is_orig %s",
				id, s, a.packets, a.first, a.last, a.bytes, a.orig)
		}
		if s.Lost != 0 || s.Repeated != 0 {
			t.Errorf("IOStat 0x%08x: lost %d repeated %d, want 0 in this clean trace", id, s.Lost, s.Repeated)
		}
	}
	var total uint64
	for _, s := range stats {
		total += s.Packets
	}
	if total != uint64(len(peer)) {
		t.Errorf("I/O packets counted %d, peer logged %d", total, len(peer))
	}
	t.Logf("%d I/O connections, %d packets equal", len(order), total)
}

func compareIdentity(t *testing.T, res result, peer [][]string) {
	var ours []rec
	for _, r := range res.recs {
		if r.Kind == KindEncap && r.Command == cmdListIdentity && !r.Request {
			ours = append(ours, r)
		}
	}
	if len(ours) != len(peer) {
		t.Fatalf("%d ListIdentity responses, peer %d", len(ours), len(peer))
	}
	for i, f := range peer {
		r := ours[i]
		id := r.Identity
		if !r.HasIdentity {
			t.Fatalf("response %d: no identity", i)
		}
		want := []string{f[6], f[11], f[12], f[13], f[14], f[15], f[16], f[17], f[18], f[19], f[20], f[21], f[22], f[23]}
		got := []string{isOrig(r.FromClient), strconv.Itoa(int(id.EncapVersion)), id.Socket.Addr().String(),
			strconv.Itoa(int(id.Socket.Port())), strconv.Itoa(int(id.Vendor)), vendorName(id.Vendor),
			strconv.Itoa(int(id.DeviceType)), deviceTypeName(id.DeviceType), strconv.Itoa(int(id.ProductCode)),
			fmt.Sprintf("%d.%d", id.Major, id.Minor), fmt.Sprintf("0x%04x", id.Status),
			fmt.Sprintf("0x%08x", id.Serial), r.ProductName, fmt.Sprintf("0x%04x", id.State)}
		if !slices.Equal(got, want) {
			t.Errorf("identity %d: got %q, peer %q", i, got, want)
		}
		if r.Op != "identity" {
			t.Errorf("identity %d: op %q", i, r.Op)
		}
	}
}
