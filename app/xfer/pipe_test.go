package xfer

import (
	"encoding/binary"
	"strings"
	"testing"

	"harborwatch/event"
	"harborwatch/proto"
)

// ioctlReq is an IOCTL request (§2.2.31) with input data.
func ioctlReq(msgID uint64, ctl uint32, fid [16]byte, in []byte) []byte {
	return hdr{cmd: SMB2IOCtl, msgID: msgID, treeID: 1, sessionID: 0x0000100000000011}.bytes().
		u16(57).u16(0).u32(ctl). // StructureSize, Reserved, CtlCode
		raw(fid[:]).
		u32(64 + 56).u32(uint32(len(in))). // InputOffset, InputCount
		u32(0).u32(0).u32(0).u32(1024).    // MaxInputResponse, OutputOffset, OutputCount, MaxOutputResponse
		u32(1).u32(0).                     // Flags (FSCTL), Reserved2
		raw(in)
}

// readRsp is a READ response (§2.2.20) returning data, with status
// (0, or STATUS_BUFFER_OVERFLOW for a pipe message longer than asked).
func readRsp(msgID uint64, status uint32, data []byte) []byte {
	return hdr{cmd: SMB2Read, flags: SMB2FlagResponse, status: status, msgID: msgID, treeID: 1, sessionID: 0x0000100000000011}.bytes().
		u16(17).u8(64 + 16).u8(0). // StructureSize, DataOffset, Reserved
		u32(uint32(len(data))).u32(0).u32(0).
		raw(data)
}

// ioctlRsp is an IOCTL response (§2.2.32) with output data.
func ioctlRsp(msgID uint64, ctl uint32, fid [16]byte, out []byte) []byte {
	return hdr{cmd: SMB2IOCtl, flags: SMB2FlagResponse, msgID: msgID, treeID: 1, sessionID: 0x0000100000000011}.bytes().
		u16(49).u16(0).u32(ctl).raw(fid[:]).
		u32(64 + 48).u32(0). // InputOffset, InputCount
		u32(64 + 48).u32(uint32(len(out))).
		u32(0).u32(0).
		raw(out)
}

// rpc builds a little-endian connection-oriented DCE-RPC PDU.
func rpc(typ uint8, callID uint32, body []byte) []byte {
	b := []byte{5, 0, typ, 3, 0x10, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(16+len(body)))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, callID)
	return append(b, body...)
}

// svcctlBind binds context 0 to the service control manager
// (367abb81-9844-35f1-ad32-98f038001003 v2.0).
var svcctlBind = rpc(11, 1, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0,
	0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03, 2, 0, 0, 0}, make([]byte, 20)...))

func rpcRequest(callID uint32, opnum uint16, stub int) []byte {
	return rpc(0, callID, append([]byte{0, 0, 0, 0, 0, 0, byte(opnum), byte(opnum >> 8)}, make([]byte, stub)...))
}

// pipeRec records what the SMB analyzer reports.
type pipeRec struct {
	ops    []string
	files  []string
	events []string
	bad    int
}

func (r *pipeRec) Events() bool        { return true }
func (r *pipeRec) EventOp(string) bool { return true }
func (r *pipeRec) Event(e proto.Event) {
	r.events = append(r.events, strings.TrimSpace(e.Proto+" "+e.Op+" "+e.Name+" "+e.Status))
}
func (r *pipeRec) Name(proto.Name)         {}
func (r *pipeRec) File(f proto.File)       { r.files = append(r.files, f.Op+" "+string(f.Name)) }
func (r *pipeRec) Op(o proto.Op)           { r.ops = append(r.ops, o.Op) }
func (r *pipeRec) Identity(proto.Identity) {}
func (r *pipeRec) Session(proto.Session)   {}
func (r *pipeRec) Expect(proto.Expect)     {}
func (r *pipeRec) Service() string         { return "smb" }
func (r *pipeRec) SetService(string)       {}
func (r *pipeRec) State() *uint8           { var b uint8; return &b }
func (r *pipeRec) Confirm()                {}
func (r *pipeRec) Violation()              { r.bad++ }
func (r *pipeRec) Malformed()              { r.bad++ }

// TestPipeDCERPC: the DCE-RPC a client writes to a named pipe (PsExec's
// way of starting a service on a remote host: svcctl over \pipe\svcctl)
// is read with its bind, so that the requests name their methods and
// operations; the pipe's open is reported as before (opened for writing:
// "upload"); a PDU cut by the write is left out.
func TestPipeDCERPC(t *testing.T) {
	fid := [16]byte{7}
	a := SMBSpec.New()
	fl := a.Open(proto.TCP)
	r := &pipeRec{}
	for _, seg := range [][]byte{
		nbss(treeConnectReq(2, sess, `\\10.10.1.9\IPC$`)),
		nbss(createReq(hdr{msgID: 3, treeID: 1}, 0x0012019f, FileOpen, "svcctl")),
		nbss(writeReq(4, fid, svcctlBind, uint32(len(svcctlBind)))),
		nbss(ioctlReq(5, fsctlPipeTransceive, fid, rpcRequest(2, 15, 24))), // ROpenSCManagerW
		nbss(writeReq(6, fid, rpcRequest(3, 12, 120), 144)),                // RCreateServiceW
		nbss(writeReq(7, fid, rpcRequest(4, 19, 40)[:30], 56)),             // a write cut short
		nbss(ioctlReq(8, 0x00060194, fid, rpcRequest(5, 19, 8))),           // another IOCTL: not a pipe's
	} {
		if _, err := fl.Feed(r, true, seg); err != nil {
			t.Fatal(err)
		}
	}
	wantOps := []string{event.OpSession, event.OpSession, event.OpConfigChange}
	wantEv := []string{`smb share \\10.10.1.9\IPC$`, "smb upload svcctl", "dcerpc session bind",
		"dcerpc session svcctl.ROpenSCManagerW", "dcerpc config-change svcctl.RCreateServiceW"}
	if !equal(r.ops, wantOps) || !equal(r.events, wantEv) || r.bad != 0 {
		t.Errorf("ops %q\nevents %q\nbad %d", r.ops, r.events, r.bad)
	}
	// The server's answers: the bind's acknowledgement and the calls'
	// responses and faults, read from READ and IOCTL responses (a READ
	// cut by STATUS_BUFFER_OVERFLOW included), take their requests'
	// methods; other server messages are left alone.
	bindAck := rpc(12, 1, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 24)...))
	fault := rpc(3, 3, []byte{0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0})
	r.ops, r.events = nil, nil
	for _, seg := range [][]byte{
		nbss(readRsp(10, 0, bindAck)),
		nbss(ioctlRsp(11, fsctlPipeTransceive, fid, rpc(2, 2, make([]byte, 24)))),
		nbss(readRsp(12, statusBufferOverflow, fault)),
		nbss(errorRsp(SMB2Read, 0xc0000022, 13)),
		[]byte("\x00\x00\x00\x04junk"),
	} {
		if _, err := fl.Feed(r, false, seg); err != nil {
			t.Fatal(err)
		}
	}
	wantEv = []string{"dcerpc session bind_ack", "dcerpc session svcctl.ROpenSCManagerW", "dcerpc config-change svcctl.RCreateServiceW access_denied"}
	if !equal(r.events, wantEv) || !equal(r.ops, []string{event.OpSession, event.OpSession, event.OpConfigChange}) || r.bad != 0 {
		t.Errorf("answers: ops %q\nevents %q\nbad %d", r.ops, r.events, r.bad)
	}

	// A new flow from the pool knows none of the old binds.
	a.Close(fl)
	fl = a.Open(proto.TCP)
	r = &pipeRec{}
	fl.Feed(r, true, nbss(writeReq(9, fid, rpcRequest(6, 12, 8), 32)))
	if !equal(r.events, []string{"dcerpc other context 0 opnum 12"}) {
		t.Errorf("after Close: events %q", r.events)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPipeNoAllocs: reading DCE-RPC from named pipes allocates nothing
// (events off).
func TestPipeNoAllocs(t *testing.T) {
	fid := [16]byte{7}
	a := SMBSpec.New()
	fl := a.Open(proto.TCP)
	r := &quiet{}
	segs := [][]byte{nbss(writeReq(4, fid, svcctlBind, uint32(len(svcctlBind)))), nbss(ioctlReq(5, fsctlPipeTransceive, fid, rpcRequest(2, 15, 24)))}
	if n := testing.AllocsPerRun(100, func() {
		for _, s := range segs {
			fl.Feed(r, true, s)
		}
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

type quiet struct{ pipeRec }

func (*quiet) Events() bool    { return false }
func (*quiet) Op(proto.Op)     {}
func (*quiet) File(proto.File) {}
