package profinet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/ics/dcerpc"
	"harborwatch/internal/synth"
	"harborwatch/internal/testutil"
)

// cmFragments cuts a call's body into datagrams of at most size body
// bytes (big-endian, to the device interface), with sequence number 7 +
// opnum (each call its own).
func cmFragments(ptype uint8, opnum uint16, body []byte, size int) [][]byte {
	seq := func(d []byte) []byte {
		be.PutUint32(d[64:], 7+uint32(opnum))
		return d
	}
	if len(body) <= size {
		return [][]byte{seq(cl(false, RoleDevice, ptype, opnum, 0, 0, body))}
	}
	var out [][]byte
	for n, off := uint16(0), 0; off < len(body); n, off = n+1, off+size {
		end := min(off+size, len(body))
		fl := uint8(dcerpc.CLFlagFrag)
		if end == len(body) {
			fl |= dcerpc.CLFlagLastFrag
		}
		out = append(out, seq(cl(false, RoleDevice, ptype, opnum, fl, n, body[off:end])))
	}
	return out
}

// bigConnect is a Connect request whose blocks fill several datagrams:
// the AR (naming the controller "plc-1"), two IOCRs and an expected
// submodule block of many submodules.
func bigConnect() []byte {
	return stub(8192, cat(
		block(blockARReq, u16(1), arUUID, u16(5), []byte{0, 0xa0, 0x45, 1, 2, 3}, make([]byte, 16), u32(0x11), u16(600), u16(0x8892), u16(5), []byte("plc-1")),
		block(blockIOCRReq, make([]byte, 300)),
		block(blockIOCRReq, make([]byte, 300)),
		block(blockExpectedSub, make([]byte, 2400)),
		block(blockAlarmCRReq, make([]byte, 40))))
}

// bigWrite is a Write request of a 3000-byte record.
func bigWrite() []byte {
	return stub(8192, cat(record(blockWriteReq, 1, 0x8000, 0x802f, 3000, 0), make([]byte, 3000)))
}

// cmDatagrams feeds datagrams to a and returns copies of the messages
// (byte fields copied too).
func cmDatagrams(t *testing.T, a *CMAnalyzer, ds ...[]byte) []CM {
	t.Helper()
	var out []CM
	for _, d := range ds {
		if err := a.Datagram(d, true, func(m *CM) {
			c := *m
			c.StationName = slices.Clone(m.StationName)
			out = append(out, c)
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCMJoin: a Connect and a Write larger than a datagram are decoded
// whole with their last fragment (the AR's initiator, every block, the
// record); the earlier fragments are marked Fragment and read no block.
func TestCMJoin(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opnum   uint16
		body    []byte
		blocks  []uint16
		station string
		records int
	}{
		{"connect", OpConnect, bigConnect(), []uint16{blockARReq, blockIOCRReq, blockIOCRReq, blockExpectedSub, blockAlarmCRReq}, "plc-1", 0},
		{"write", OpWrite, bigWrite(), []uint16{blockWriteReq}, "", 1},
	} {
		for _, size := range []int{len(tc.body), 1400, 500} {
			var a CMAnalyzer
			frags := cmFragments(dcerpc.CLRequest, tc.opnum, tc.body, size)
			ms := cmDatagrams(t, &a, frags...)
			for i, m := range ms[:len(ms)-1] {
				if !m.Fragment || m.NBlocks != 0 || m.Malformed() {
					t.Errorf("%s/%d: fragment %d: fragment %v blocks %d malformed %v", tc.name, size, i, m.Fragment, m.NBlocks, m.Malformed())
				}
			}
			m := ms[len(ms)-1]
			if m.Fragment || m.Malformed() || !slices.Equal(m.Blocks[:m.NBlocks], tc.blocks) ||
				string(m.StationName) != tc.station || m.NRecords != tc.records {
				t.Errorf("%s/%d: last: fragment %v malformed %v blocks %x station %q records %d", tc.name, size,
					m.Fragment, m.Malformed(), m.Blocks[:m.NBlocks], m.StationName, m.NRecords)
			}
			if tc.records > 0 && m.Records[0].Length != 3000 {
				t.Errorf("%s/%d: record %+v", tc.name, size, m.Records[0])
			}
			if len(frags) > 1 && (m.StubLen != len(tc.body) || a.JoinStats().Joined != 1) {
				t.Errorf("%s/%d: stub %d stats %+v", tc.name, size, m.StubLen, a.JoinStats())
			}
		}
	}
	// A fragment lost: the call is counted, nothing is decoded, nothing
	// is malformed.
	var a CMAnalyzer
	frags := cmFragments(dcerpc.CLRequest, OpConnect, bigConnect(), 500)
	ms := cmDatagrams(t, &a, append(frags[:2:2], frags[3:]...)...)
	for _, m := range ms {
		if m.NBlocks != 0 || m.Malformed() {
			t.Errorf("with a lost fragment: blocks %d malformed %v", m.NBlocks, m.Malformed())
		}
	}
	if st := a.JoinStats(); st.Lost != 1 || st.Joined != 0 {
		t.Errorf("with a lost fragment: stats %+v", st)
	}
}

// TestCMJoinNoAllocs: joining and decoding fragmented Connect and Write
// requests allocates nothing once the join buffers have grown.
func TestCMJoinNoAllocs(t *testing.T) {
	ds := append(cmFragments(dcerpc.CLRequest, OpConnect, bigConnect(), 1200), cmFragments(dcerpc.CLRequest, OpWrite, bigWrite(), 1200)...)
	var a CMAnalyzer
	n := 0
	emit := func(m *CM) { n += m.NBlocks + len(m.Name()) }
	round := func() {
		for _, d := range ds {
			if err := a.Datagram(d, true, emit); err != nil {
				t.Fatal(err)
			}
		}
	}
	round()
	if allocs := testing.AllocsPerRun(50, round); allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
	if n == 0 {
		t.Error("nothing decoded")
	}
}

// BenchmarkCMJoin feeds a Connect and a Write request in 1200-byte
// fragments.
func BenchmarkCMJoin(b *testing.B) {
	ds := append(cmFragments(dcerpc.CLRequest, OpConnect, bigConnect(), 1200), cmFragments(dcerpc.CLRequest, OpWrite, bigWrite(), 1200)...)
	var a CMAnalyzer
	n, size := 0, 0
	for _, d := range ds {
		size += len(d)
	}
	emit := func(m *CM) { n += m.NBlocks }
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range ds {
			a.Datagram(d, true, emit)
		}
	}
	b.ReportMetric(float64(b.N*len(ds))/b.Elapsed().Seconds(), "datagrams/s")
}

// FuzzCMDatagrams feeds a sequence of datagrams (each after a 2-byte
// big-endian length) to one CMAnalyzer, as a UDP flow's: fragments join
// or are counted, never a panic, every message answers its methods.
func FuzzCMDatagrams(f *testing.F) {
	seq := func(ds ...[]byte) []byte {
		var b []byte
		for _, d := range ds {
			b = binary.BigEndian.AppendUint16(b, uint16(len(d)))
			b = append(b, d...)
		}
		return b
	}
	c := cmFragments(dcerpc.CLRequest, OpConnect, bigConnect(), 700)
	f.Add(seq(c...))
	f.Add(seq(c[1], c[0], c[2], c[2]))
	f.Add(seq(cmFragments(dcerpc.CLRequest, OpWrite, bigWrite(), 1000)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a CMAnalyzer
		n := 0
		for len(b) >= 2 {
			l := min(int(binary.BigEndian.Uint16(b)), len(b)-2)
			d := b[2 : 2+l]
			b = b[2+l:]
			n++
			err := a.Datagram(d, true, func(m *CM) {
				if m.Op() == "" || m.Name() == "" || m.NRecords > maxRecords || m.NBlocks > maxBlocks || m.StubLen > dcerpc.MaxStub {
					t.Fatalf("op %q name %q records %d blocks %d stub %d", m.Op(), m.Name(), m.NRecords, m.NBlocks, m.StubLen)
				}
				_, _, _ = m.Status(), m.Func(), m.Request()
				d := map[string]any{}
				m.Detail(d)
			})
			if err != nil && !errors.Is(err, ErrNotCM) {
				t.Fatal(err)
			}
		}
		if st := a.JoinStats(); st.Joined+st.Lost+st.Evicted > uint64(n) {
			t.Fatalf("%d datagrams: stats %+v", n, st)
		}
	})
}

// cmFragmentedCapture is a controller connecting to a device and writing
// a record, both requests in several datagrams, with the device's
// answers.
func cmFragmentedCapture(t testing.TB) []byte {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	ctl := synth.Host{MAC: [6]byte{0, 0xa0, 0x45, 1, 2, 3}, IP: netip.MustParseAddr("10.10.1.1")}
	dev := synth.Host{MAC: [6]byte{0, 0x0e, 0x8c, 4, 5, 6}, IP: netip.MustParseAddr("10.10.1.20")}
	var ex []synth.Exchange
	for _, d := range cmFragments(dcerpc.CLRequest, OpConnect, bigConnect(), 1200) {
		ex = append(ex, synth.Exchange{Data: d})
	}
	ex = append(ex, synth.Exchange{Data: cmFragments(dcerpc.CLResponse, OpConnect,
		stub(0, block(blockARRes, u16(1), arUUID, u16(5), []byte{0, 0x0e, 0x8c, 4, 5, 6}, u16(0x8892))), 1200)[0], FromServer: true})
	for _, d := range cmFragments(dcerpc.CLRequest, OpWrite, bigWrite(), 1200) {
		ex = append(ex, synth.Exchange{Data: d})
	}
	ex = append(ex, synth.Exchange{Data: cmFragments(dcerpc.CLResponse, OpWrite,
		stub(0, record(blockWriteRes, 1, 0x8000, 0x802f, 3000, 0)), 1200)[0], FromServer: true})
	b.UDP(ctl, dev, 49152, PortCM, ex...)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cmCounts counts what CMAnalyzer reads in a capture's UDP datagrams,
// keyed as the oracle test's: cm/<type>/<opnum> per datagram that
// carries a whole call (a fragment before a call's last is counted under
// fragment/<type>/<opnum>: tshark names the call only in the datagram
// that completes it), and the blocks of the calls.
func cmCounts(t *testing.T, path string) map[string]int {
	var a CMAnalyzer
	got := map[string]int{}
	for _, s := range testutil.Segments(t, path) {
		if s.Proto != 17 {
			continue
		}
		if err := a.Datagram(s.Payload, s.FromClient, func(m *CM) {
			if m.Malformed() {
				t.Errorf("packet %d malformed", s.Number)
			}
			k := "cm/"
			if m.Fragment {
				k = "fragment/"
			}
			got[fmt.Sprintf("%s%d/%d", k, m.Header.Type, m.Header.Opnum)]++
			for _, b := range m.Blocks[:m.NBlocks] {
				got["block/0x"+hex32(uint32(b))[4:]]++
			}
		}); err != nil {
			t.Fatalf("packet %d: %v", s.Number, err)
		}
	}
	return got
}

// TestCMFragmentedCapture: the generated capture read by CMAnalyzer, and
// (when tshark is installed) by tshark, whose DCE-RPC reassembly is on
// by default: the same datagrams per packet type and opnum, the same
// blocks decoded from the joined calls.
func TestCMFragmentedCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cm-fragmented.pcap")
	if err := os.WriteFile(path, cmFragmentedCapture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	got := cmCounts(t, path)
	nc, nw := len(cmFragments(dcerpc.CLRequest, OpConnect, bigConnect(), 1200)), len(cmFragments(dcerpc.CLRequest, OpWrite, bigWrite(), 1200))
	want := map[string]int{"cm/0/0": 1, "fragment/0/0": nc - 1, "cm/2/0": 1, "cm/0/3": 1, "fragment/0/3": nw - 1, "cm/2/3": 1,
		"block/0x0101": 1, "block/0x0102": 2, "block/0x0104": 1, "block/0x0103": 1, "block/0x8101": 1,
		"block/0x0008": 1, "block/0x8008": 1}
	testutil.DiffCounts(t, "ours", got, want)
	if nc < 3 || nw < 3 {
		t.Fatalf("%d and %d fragments: the calls should take three datagrams or more", nc, nw)
	}
	bin := testutil.Tshark(t)
	ts := tsharkOf(t, bin, path)
	for k := range ts {
		if !strings.HasPrefix(k, "cm/") && !strings.HasPrefix(k, "block/") {
			delete(ts, k)
		}
	}
	// The fragments tshark holds for reassembly: DCE-RPC datagrams that
	// are not PNIO-CM in its dissection.
	out, err := exec.Command(bin, "-r", path, "-Y", "dcerpc && !(pn_io_device || pn_io_controller)", "-T", "fields",
		"-e", "dcerpc.pkt_type", "-e", "dcerpc.opnum").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		ts["fragment/"+strings.ReplaceAll(strings.TrimSpace(line), "\t", "/")]++
	}
	testutil.DiffCounts(t, "tshark", got, ts)
}
