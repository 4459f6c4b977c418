package xfer

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/internal/testutil"
	"harborwatch/proto"
)

// ndrWString is a conformant varying NUL-ended UTF-16LE string, padded
// to 4.
func ndrWString(s string) []byte {
	u := append(utf16.Encode([]rune(s)), 0)
	b := le{}.u32(uint32(len(u))).u32(0).u32(uint32(len(u)))
	for _, c := range u {
		b = b.u16(c)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// createServiceStub is an RCreateServiceW request's stub (MS-SCMR
// §3.1.4.12).
func createServiceStub(name, path string) []byte {
	b := le(make([]byte, 20)).raw(ndrWString(name)).u32(0x20000).raw(ndrWString(name)).
		u32(0xf01ff).u32(0x10).u32(3).u32(0).raw(ndrWString(path))
	return append(b, make([]byte, 28)...)
}

// ndrBind binds context ctx to version ver of interface u (its bytes as a
// bind carries them) over NDR 2.0, as Windows does.
func ndrBind(callID uint32, ctx uint16, u []byte, ver uint16) []byte {
	body := le{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0}.u16(ctx).u16(1).raw(u).u16(ver).u16(0).
		raw([]byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0})
	return rpc(11, callID, body)
}

var (
	svcctlIface = []byte{0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03}
	atsvcIface  = []byte{0x82, 0x06, 0xf7, 0x1f, 0x51, 0x0a, 0xe8, 0x30, 0x07, 0x6d, 0x74, 0x0b, 0xe8, 0xce, 0xe9, 0x8b}
)

// rpcFragments cuts a call's stub into PDUs of at most size stub bytes,
// hdr8 (the request's or response's 8 bytes) before each piece.
func rpcFragments(typ uint8, callID uint32, hdr8, stub []byte, size int) [][]byte {
	var out [][]byte
	for off := 0; ; off += size {
		end := min(off+size, len(stub))
		p := rpc(typ, callID, append(slices.Clone(hdr8), stub[off:end]...))
		p[3] = 0
		if off == 0 {
			p[3] |= 1
		}
		if end == len(stub) {
			p[3] |= 2
			return append(out, p)
		}
		out = append(out, p)
	}
}

// ioctlRspStatus is an IOCTL response (§2.2.32) with a status
// (STATUS_BUFFER_OVERFLOW: the pipe's message goes on).
func ioctlRspStatus(msgID uint64, status uint32, fid [16]byte, out []byte) []byte {
	b := ioctlRsp(msgID, fsctlPipeTransceive, fid, out)
	binary.LittleEndian.PutUint32(b[8:], status)
	return b
}

// evRec records the events with their details.
type evRec struct {
	pipeRec
	details []map[string]any
}

func (r *evRec) Event(e proto.Event) {
	r.pipeRec.Event(e)
	r.details = append(r.details, e.Detail)
}

// feedStream feeds one direction's bytes as the pipeline's reassembly
// does: in segments of seg bytes, what Feed leaves offered again with the
// next.
func feedStream(t *testing.T, fl proto.Flow, r proto.Reporter, fromClient bool, stream []byte, seg int) {
	t.Helper()
	var buf []byte
	for off := 0; off < len(stream); off += seg {
		buf = append(buf, stream[off:min(off+seg, len(stream))]...)
		n, err := fl.Feed(r, fromClient, buf)
		if err != nil || n > len(buf) {
			t.Fatalf("Feed: %d of %d, %v", n, len(buf), err)
		}
		buf = append(buf[:0], buf[n:]...)
	}
	if len(buf) != 0 {
		t.Errorf("segments of %d: %d bytes left", seg, len(buf))
	}
}

// pipeConversation is a client creating a service through \pipe\svcctl,
// its PDUs cut every way: the RCreateServiceW request in two fragments,
// the first written in two WRITE requests; a file's 100 KB written
// between; the server's answer to the request cut by
// STATUS_BUFFER_OVERFLOW and fetched by a READ.
func pipeConversation() (client, server []byte) {
	fid := [16]byte{7}
	svc := createServiceStub("PSEXESVC", `%SystemRoot%\PSEXESVC.exe`)
	frags := rpcFragments(0, 3, []byte{0, 0, 0, 0, 0, 0, 12, 0}, svc, 120)
	cat := func(ps ...[]byte) []byte { return bytes.Join(ps, nil) }
	bind := ndrBind(1, 0, svcctlIface, 2)
	client = cat(
		nbss(treeConnectReq(2, sess, `\\10.10.1.9\IPC$`)),
		nbss(createReq(hdr{msgID: 3, treeID: 1}, 0x0012019f, FileOpen, "svcctl")),
		nbss(writeReq(4, fid, bind, uint32(len(bind)))),
		nbss(ioctlReq(5, fsctlPipeTransceive, fid, rpcRequest(2, 15, 24))),
		nbss(writeReq(6, fid, frags[0][:50], 50)),
		nbss(writeReq(7, fid, frags[0][50:], uint32(len(frags[0])-50))),
		nbss(writeReq(8, [16]byte{9}, make([]byte, 100<<10), 100<<10)), // a file's data
		nbss(writeReq(9, fid, frags[1], uint32(len(frags[1])))),
		nbss(readReq(10, fid, 1024)),
	)
	bindAck := rpc(12, 1, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 24)...))
	resp := rpc(2, 3, make([]byte, 8+200))
	server = cat(
		nbss(readRsp(4, 0, bindAck)),
		nbss(ioctlRsp(5, fsctlPipeTransceive, fid, rpc(2, 2, make([]byte, 24)))),
		nbss(ioctlRspStatus(9, statusBufferOverflow, fid, resp[:100])),
		nbss(readRsp(10, 0, resp[100:])),
	)
	return client, server
}

// TestSMBStreamPipes: the pipe conversation, cut into TCP segments of
// any size, gives the same events: the request joined from its writes
// and fragments names the service it creates, the answer joined from the
// IOCTL and the READ takes its method.
func TestSMBStreamPipes(t *testing.T) {
	client, server := pipeConversation()
	want := []string{`smb share \\10.10.1.9\IPC$`, "smb upload svcctl", "dcerpc session bind",
		"dcerpc session svcctl.ROpenSCManagerW", "dcerpc config-change svcctl.RCreateServiceW",
		"dcerpc config-change svcctl.RCreateServiceW",
		"dcerpc session bind_ack", "dcerpc session svcctl.ROpenSCManagerW", "dcerpc config-change svcctl.RCreateServiceW"}
	a := SMBSpec.New()
	for _, seg := range []int{len(client) + len(server), 1460, 333, 64, 7} {
		fl := a.Open(proto.TCP)
		r := &evRec{}
		feedStream(t, fl, r, true, client, seg)
		feedStream(t, fl, r, false, server, seg)
		if !slices.Equal(r.events, want) || r.bad != 0 {
			t.Errorf("segments of %d: events %q\nwant %q\nbad %d", seg, r.events, want, r.bad)
		}
		var svc []string
		for _, d := range r.details {
			if d["service_name"] != nil {
				svc = append(svc, d["service_name"].(string)+" "+d["binary_path"].(string))
			}
		}
		if want := []string{`PSEXESVC %SystemRoot%\PSEXESVC.exe`}; !slices.Equal(svc, want) {
			t.Errorf("segments of %d: services %q, want %q", seg, svc, want)
		}
		if st := fl.(*smb).Stats(); st.Joined != 2 || st.Dropped != 0 || st.Evicted != 0 {
			t.Errorf("segments of %d: stats %+v", seg, st)
		}
		a.Close(fl)
	}
}

// TestSMBPipesApart: two pipes, each bound to its interface with context
// 0, their PDUs cut and interleaved, keep their own binds; a fifth pipe
// gives up the least recently used (counted).
func TestSMBPipesApart(t *testing.T) {
	f1, f2 := [16]byte{1}, [16]byte{2}
	b1, b2 := ndrBind(1, 0, svcctlIface, 2), ndrBind(1, 0, atsvcIface, 1)
	q1, q2 := rpcRequest(2, 12, 40), rpcRequest(2, 0, 40)
	a := SMBSpec.New()
	fl := a.Open(proto.TCP)
	r := &evRec{}
	var client []byte
	for _, m := range [][]byte{
		writeReq(1, f1, b1, uint32(len(b1))), writeReq(2, f2, b2, uint32(len(b2))),
		writeReq(3, f1, q1[:20], 20), writeReq(4, f2, q2[:30], 30),
		writeReq(5, f2, q2[30:], uint32(len(q2)-30)), writeReq(6, f1, q1[20:], uint32(len(q1)-20)),
	} {
		client = append(client, nbss(m)...)
	}
	feedStream(t, fl, r, true, client, 1460)
	want := []string{"dcerpc session bind", "dcerpc session bind", "dcerpc config-change atsvc.NetrJobAdd", "dcerpc config-change svcctl.RCreateServiceW"}
	if !slices.Equal(r.events, want) {
		t.Errorf("events %q, want %q", r.events, want)
	}
	client = nil
	for i := range maxPipes {
		b := ndrBind(1, 0, atsvcIface, 1)
		client = append(client, nbss(writeReq(uint64(10+i), [16]byte{byte(10 + i)}, b, uint32(len(b))))...)
	}
	feedStream(t, fl, r, true, client, 1460)
	if st := fl.(*smb).Stats(); st.Evicted != 2 {
		t.Errorf("stats %+v, want 2 pipes evicted", st)
	}
}

// TestSMBResync: after bytes that frame nothing, and after a hole cut a
// frame, the analyzer finds the next frame and reads it.
func TestSMBResync(t *testing.T) {
	fid := [16]byte{7}
	bind := ndrBind(1, 0, svcctlIface, 2)
	frame := nbss(writeReq(4, fid, bind, uint32(len(bind))))
	a := SMBSpec.New()
	fl := a.Open(proto.TCP)
	r := &evRec{}
	stream := append([]byte("\x17\x03\x03garbage that is no netbios frame"), frame...)
	feedStream(t, fl, r, true, stream, 10)
	g := fl.(proto.Gapped)
	if !g.Gap(true) {
		t.Fatal("Gap refused")
	}
	feedStream(t, fl, r, true, append(slices.Clone(frame[30:]), frame...), 1460)
	if want := []string{"dcerpc session bind", "dcerpc session bind"}; !slices.Equal(r.events, want) || r.bad != 1 {
		t.Errorf("events %q (violations %d), want %q", r.events, r.bad, want)
	}
	if rs := g.Resyncs(); rs.Count != 2 || rs.Skipped != uint64(len(stream)-len(frame)+len(frame)-30) {
		t.Errorf("resyncs %+v", rs)
	}
}

// TestSMBStreamNoAllocs: framing the pipe conversation from TCP segments
// and joining its PDUs allocates nothing once the buffers have grown.
func TestSMBStreamNoAllocs(t *testing.T) {
	client, server := pipeConversation()
	a := SMBSpec.New()
	r := &quiet{}
	var buf []byte
	feed := func(fl proto.Flow, fromClient bool, stream []byte) {
		buf = buf[:0]
		for off := 0; off < len(stream); off += 1460 {
			buf = append(buf, stream[off:min(off+1460, len(stream))]...)
			n, _ := fl.Feed(r, fromClient, buf)
			buf = append(buf[:0], buf[n:]...)
		}
	}
	round := func() {
		fl := a.Open(proto.TCP)
		feed(fl, true, client)
		feed(fl, false, server)
		a.Close(fl)
	}
	round()
	if n := testing.AllocsPerRun(20, round); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// BenchmarkSMBStream feeds the pipe conversation in 1460-byte segments.
func BenchmarkSMBStream(b *testing.B) {
	client, server := pipeConversation()
	a := SMBSpec.New()
	r := &quiet{}
	var buf []byte
	feed := func(fl proto.Flow, fromClient bool, stream []byte) {
		buf = buf[:0]
		for off := 0; off < len(stream); off += 1460 {
			buf = append(buf, stream[off:min(off+1460, len(stream))]...)
			n, _ := fl.Feed(r, fromClient, buf)
			buf = append(buf[:0], buf[n:]...)
		}
	}
	b.SetBytes(int64(len(client) + len(server)))
	b.ReportAllocs()
	for b.Loop() {
		fl := a.Open(proto.TCP)
		feed(fl, true, client)
		feed(fl, false, server)
		a.Close(fl)
	}
	segs := (len(client)+1459)/1460 + (len(server)+1459)/1460
	b.ReportMetric(float64(b.N*segs)/b.Elapsed().Seconds(), "segments/s")
}

// treeConnectRsp is a TREE_CONNECT response (§2.2.10) for a share of type
// typ (2: a named pipe share, IPC$).
func treeConnectRsp(msgID uint64, typ uint8) []byte {
	return hdr{cmd: SMB2TreeConnect, flags: SMB2FlagResponse, msgID: msgID, treeID: 1, sessionID: sess}.bytes().
		u16(16).u8(typ).u8(0).u32(0).u32(0).u32(0x001f01ff)
}

// pipeCapture is the pipe conversation as a capture: negotiation, IPC$,
// \pipe\svcctl opened, the bind written and its answer read, ROpenSCManagerW
// by IOCTL, the RCreateServiceW request's first fragment in two WRITEs
// and its last by IOCTL, whose answer, cut by STATUS_BUFFER_OVERFLOW, a
// READ fetches the rest of; a file of 100 KB written between.
func pipeCapture(t testing.TB) []byte {
	fid := [16]byte{7, 0, 0, 0, 0, 0, 0, 0, 1}
	svc := createServiceStub("PSEXESVC", `%SystemRoot%\PSEXESVC.exe`)
	frags := rpcFragments(0, 3, []byte{0, 0, 0, 0, 0, 0, 12, 0}, svc, 120)
	bind := ndrBind(1, 0, svcctlIface, 2)
	bindAck := rpc(12, 1, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 24)...))
	resp := rpc(2, 3, make([]byte, 8+200))
	c := func(m []byte) synth.Exchange { return synth.Exchange{Data: nbss(m)} }
	s := func(m []byte) synth.Exchange { return synth.Exchange{Data: nbss(m), FromServer: true} }
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	cli := synth.Host{MAC: [6]byte{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("10.10.9.20")}
	srv := synth.Host{MAC: [6]byte{2, 0, 0, 0, 0, 2}, IP: netip.MustParseAddr("10.10.1.9")}
	b.TCPSession(cli, srv, 50123, 445,
		c(negotiateReq()), s(negotiateRsp(0x0210)),
		c(treeConnectReq(2, sess, `\\10.10.1.9\IPC$`)), s(treeConnectRsp(2, 2)),
		c(createReq(hdr{msgID: 3, treeID: 1, sessionID: sess}, 0x0012019f, FileOpen, "svcctl")), s(createRsp(3, fid)),
		c(writeReq(4, fid, bind, uint32(len(bind)))), c(readReq(5, fid, 1024)), s(readRsp(5, 0, bindAck)),
		c(ioctlReq(6, fsctlPipeTransceive, fid, rpcRequest(2, 15, 24))), s(ioctlRsp(6, fsctlPipeTransceive, fid, rpc(2, 2, make([]byte, 24)))),
		c(writeReq(7, fid, frags[0][:50], 50)),
		c(writeReq(8, [16]byte{9}, make([]byte, 100<<10), 100<<10)),
		c(writeReq(9, fid, frags[0][50:], uint32(len(frags[0])-50))),
		c(ioctlReq(10, fsctlPipeTransceive, fid, frags[1])), s(ioctlRspStatus(10, statusBufferOverflow, fid, resp[:100])),
		c(readReq(11, fid, 1024)), s(readRsp(11, 0, resp[100:])))
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// replaySMB feeds the TCP payloads of a capture to one SMB flow, each
// direction as the pipeline's reassembly offers it (the capture is in
// order), and returns the DCE-RPC PDUs per "direction type/opnum" and the
// services created.
func replaySMB(t *testing.T, path string) (map[string]int, []string) {
	a := SMBSpec.New()
	fl := a.Open(proto.TCP)
	r := &evRec{}
	var bufs [2][]byte
	dirs := map[int]string{}
	for _, sg := range testutil.Segments(t, path) {
		if sg.Proto != 6 {
			continue
		}
		d := side(sg.FromClient)
		bufs[d] = append(bufs[d], sg.Payload...)
		before := len(r.details)
		n, err := fl.Feed(r, sg.FromClient, bufs[d])
		if err != nil {
			t.Fatal(err)
		}
		bufs[d] = append(bufs[d][:0], bufs[d][n:]...)
		for i := before; i < len(r.details); i++ {
			dirs[i] = map[bool]string{true: "c>s ", false: "s>c "}[sg.FromClient]
		}
	}
	counts := map[string]int{}
	var svcs []string
	for i, d := range r.details {
		if d["pdu_type"] == nil {
			continue // an smb event
		}
		k := dirs[i] + d["pdu_type"].(string)
		if op, ok := d["opnum"]; ok && (k[4:] == "request" || k[4:] == "response") {
			k += "/" + strconv.Itoa(int(op.(uint16)))
		}
		counts[k]++
		if n, ok := d["service_name"].(string); ok {
			svcs = append(svcs, n+" "+d["binary_path"].(string))
		}
	}
	return counts, svcs
}

// TestSMBPipeCapture: the generated capture's DCE-RPC over \pipe\svcctl,
// per direction, type and opnum, and the service it creates; when tshark
// is installed (its SMB2 pipe and DCE-RPC reassembly on by default), the
// same as tshark dissects.
func TestSMBPipeCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "smb-pipe.pcap")
	if err := os.WriteFile(path, pipeCapture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	got, svcs := replaySMB(t, path)
	want := map[string]int{"c>s bind": 1, "s>c bind_ack": 1, "c>s request/15": 1, "s>c response/15": 1,
		"c>s request/12": 2, "s>c response/12": 1}
	testutil.DiffCounts(t, "ours", got, want)
	wantSvc := []string{`PSEXESVC %SystemRoot%\PSEXESVC.exe`}
	if !slices.Equal(svcs, wantSvc) {
		t.Errorf("services %q, want %q", svcs, wantSvc)
	}
	bin := testutil.Tshark(t)
	out, err := exec.Command(bin, "-r", path, "-Y", "dcerpc", "-T", "fields", "-E", "occurrence=a",
		"-e", "tcp.srcport", "-e", "dcerpc.pkt_type", "-e", "dcerpc.opnum", "-e", "svcctl.servicename", "-e", "svcctl.binarypathname").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	ts := map[string]int{}
	var tsSvcs []string
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		dir := "c>s "
		if f[0] == "445" {
			dir = "s>c "
		}
		ops := strings.Split(f[2], ",")
		for i, typ := range strings.Split(f[1], ",") {
			k := dir + map[string]string{"0": "request", "2": "response", "11": "bind", "12": "bind_ack"}[typ]
			if (typ == "0" || typ == "2") && i < len(ops) {
				k += "/" + ops[i]
			}
			ts[k]++
		}
		if f[3] != "" {
			tsSvcs = append(tsSvcs, f[3]+" "+f[4])
		}
	}
	testutil.DiffCounts(t, "tshark", got, ts)
	if !slices.Equal(tsSvcs, wantSvc) {
		t.Errorf("tshark: services %q, want %q", tsSvcs, wantSvc)
	}
}
