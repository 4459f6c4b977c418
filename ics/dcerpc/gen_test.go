package dcerpc

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/internal/testutil"
)

// A generated capture of fragmented calls: over TCP 135, an ept_map
// answer in three fragments cut across TCP segments; over TCP, a svcctl
// RCreateServiceW request in two fragments and its answer; over UDP 135,
// an ept_map answer in two datagrams handing out a UDP endpoint.

var (
	genClient = synth.Host{MAC: [6]byte{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("10.10.9.20")}
	genServer = synth.Host{MAC: [6]byte{2, 0, 0, 0, 0, 2}, IP: netip.MustParseAddr("10.10.1.5")}
)

// fragmentedCapture returns the capture's bytes.
func fragmentedCapture(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	cat := func(ps [][]byte) []byte { return bytes.Join(ps, nil) }
	ex := func(fromServer bool, data []byte) synth.Exchange {
		return synth.Exchange{Data: data, FromServer: fromServer}
	}

	es := []Endpoint{{Addr: genServer.IP, Port: 49670}, {Addr: genServer.IP, Port: 49671}, {Addr: genServer.IP, Port: 49672}}
	stub := eptMapStub(700, es...)
	b.TCPSession(genClient, genServer, 50000, Port,
		ex(false, bindPDU(1, 0, ifaces[ifEPM].UUID)),
		ex(true, bindAckPDU(1)),
		ex(false, requestPDU(2, 0, 3)),
		ex(true, cat(fragments(TypeResponse, 2, make([]byte, 8), stub, (len(stub)+2)/3))))
	b.Advance(time.Second)

	svc := createServiceStub("PSEXESVC", "PSEXESVC", `%SystemRoot%\PSEXESVC.exe`)
	b.TCPSession(genClient, genServer, 50001, 49670,
		ex(false, bindPDUVersion(1, 0, svcctlUUID, 2)),
		ex(true, bindAckPDU(1)),
		ex(false, cat(fragments(TypeRequest, 2, []byte{0, 0, 0, 0, 0, 0, opCreateServiceW, 0}, svc, 64))),
		ex(true, pdu(TypeResponse, 2, make([]byte, 8+24))))
	b.Advance(time.Second)

	ustub := eptMapStub(200, Endpoint{Addr: genServer.IP, Port: 1030, UDP: true})
	b.UDP(genClient, genServer, 50002, Port,
		ex(false, clPDU(CLRequest, ifaces[ifEPM].UUID, 3, 9, CLFlagIdem, 0, make([]byte, 64))))
	var us []synth.Exchange
	for _, d := range clFragments(CLResponse, ifaces[ifEPM].UUID, 3, 9, ustub, 150) {
		us = append(us, ex(true, d))
	}
	b.UDP(genClient, genServer, 50002, Port, us...)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bindAckPDU accepts one context.
func bindAckPDU(callID uint32) []byte {
	return pdu(TypeBindAck, callID, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 24)...))
}

// writeFragmented writes the capture into a temporary directory.
func writeFragmented(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "fragmented.pcap")
	if err := os.WriteFile(p, fragmentedCapture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// replayAll replays a capture's TCP flows (reassembled) and UDP
// datagrams and returns "direction type opnum" per PDU, with the
// endpoints and services decoded.
func replayAll(t *testing.T, path string) (counts map[string]int, endpoints, services []string) {
	counts = map[string]int{}
	rec := func(fromClient bool, m *Message) {
		k := "c>s "
		if !fromClient {
			k = "s>c "
		}
		k += m.TypeName()
		if m.HasOpnum && m.call() {
			k += "/" + strconv.Itoa(int(m.Opnum))
		}
		counts[k]++
		for _, e := range m.Endpoints[:m.NEndpoints] {
			tr := "tcp"
			if e.UDP {
				tr = "udp"
			}
			endpoints = append(endpoints, tr+" "+netip.AddrPortFrom(e.Addr, e.Port).String())
		}
		if m.Service != nil {
			services = append(services, string(m.Service.Name())+" "+string(m.Service.BinaryPath()))
		}
	}
	if n := testutil.FeedTCP(t, path, func() *Analyzer { return new(Analyzer) }, ErrFraming, func(s *testutil.Segment, m *Message) {
		rec(s.FromClient, m)
	}); n != 0 {
		t.Errorf("%d framing errors", n)
	}
	as := map[[2]netip.AddrPort]*Analyzer{}
	for _, s := range testutil.Segments(t, path) {
		if s.Proto != 17 {
			continue
		}
		k := [2]netip.AddrPort{s.Client, s.Server}
		if as[k] == nil {
			as[k] = new(Analyzer)
		}
		if err := as[k].Datagram(s.Payload, s.FromClient, func(m *Message) { rec(s.FromClient, m) }); err != nil {
			t.Errorf("packet %d: %v", s.Number, err)
		}
	}
	return counts, endpoints, services
}

// TestFragmentedCapture: the generated capture's PDUs, per direction,
// type and opnum, with the endpoints and the service decoded from the
// joined stubs.
func TestFragmentedCapture(t *testing.T) {
	counts, endpoints, services := replayAll(t, writeFragmented(t))
	want := map[string]int{"c>s bind": 2, "s>c bind_ack": 2, "c>s request/3": 2, "s>c response/3": 5,
		"c>s request/12": 0, "s>c response/12": 1}
	// The svcctl request's fragments: its stub in pieces of 64 bytes.
	svc := createServiceStub("PSEXESVC", "PSEXESVC", `%SystemRoot%\PSEXESVC.exe`)
	want["c>s request/12"] = (len(svc) + 63) / 64
	testutil.DiffCounts(t, "fragmented", counts, want)
	wantEP := []string{"tcp 10.10.1.5:49670", "tcp 10.10.1.5:49671", "tcp 10.10.1.5:49672", "udp 10.10.1.5:1030"}
	if strings.Join(endpoints, ",") != strings.Join(wantEP, ",") {
		t.Errorf("endpoints %q, want %q", endpoints, wantEP)
	}
	if want := []string{`PSEXESVC %SystemRoot%\PSEXESVC.exe`}; strings.Join(services, ",") != want[0] {
		t.Errorf("services %q, want %q", services, want)
	}
}

// TestFragmentedTshark: tshark (whose DCE-RPC reassembly is on by
// default) dissects the same PDUs per direction, type and opnum, and
// decodes the same service from the joined request. Without tshark it
// skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestFragmentedTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	path := writeFragmented(t)
	counts, _, _ := replayAll(t, path)
	out, err := exec.Command(bin, "-r", path, "-Y", "dcerpc", "-T", "fields", "-E", "occurrence=a",
		"-e", "ip.src", "-e", "dcerpc.pkt_type", "-e", "dcerpc.opnum", "-e", "svcctl.servicename", "-e", "svcctl.binarypathname").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	got := map[string]int{}
	var names []string
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		dir := "c>s "
		if f[0] == genServer.IP.String() {
			dir = "s>c "
		}
		types, ops := strings.Split(f[1], ","), strings.Split(f[2], ",")
		for i, ts := range types {
			typ, err := strconv.Atoi(ts)
			if err != nil || typ >= len(typeNames) {
				t.Fatalf("tshark line %q", line)
			}
			k := dir + typeNames[typ]
			if (typ == TypeRequest || typ == TypeResponse) && i < len(ops) && ops[i] != "" {
				k += "/" + ops[i]
			}
			got[k]++
		}
		if f[3] != "" {
			names = append(names, f[3]+" "+f[4])
		}
	}
	testutil.DiffCounts(t, "tshark", counts, got)
	if want := `PSEXESVC %SystemRoot%\PSEXESVC.exe`; strings.Join(names, ",") != want {
		t.Errorf("tshark decodes services %q, want %q", names, want)
	}
}
