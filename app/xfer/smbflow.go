package xfer

import (
	"harborwatch/ics/dcerpc"
	"harborwatch/proto"
)

// The SMB analyzer of one flow. SMB is a stream analyzer (SMBSpec.Stream):
// the pipeline reassembles each direction of the TCP connection and Feed
// frames whole NetBIOS session messages ([MS-SMB2] §2.1), so a message cut
// by TCP segments is read once it is whole. Messages up to waitFrame
// bytes are waited for (the reassembly keeps their bytes); a longer one
// (a file's data) is read from what has come and the rest of it passed
// over without being kept. After a hole in the capture, or bytes that are
// no NetBIOS frame, the analyzer finds the next frame header again
// (proto.Gapped).
//
// The DCE-RPC written to and read from named pipes is a byte stream per
// pipe and direction: a PDU may be cut across several WRITE requests, or
// across an IOCTL answer cut short by STATUS_BUFFER_OVERFLOW and the READ
// answers that fetch the rest. Each pipe (by FileId; a READ answer takes
// the FileId of its request by message id) has its own DCE-RPC analyzer
// (its binds, its calls) and keeps the start of a PDU cut by the end of a
// pipe message until the rest comes (at most one fragment, 64 KiB). A few
// pipes are followed at once; the least recently used is given up for a
// new one, counted.

// fsctlPipeTransceive is the IOCTL that writes a named pipe's request
// and reads its answer in one call ([MS-FSCC] §2.3.49).
const fsctlPipeTransceive = 0x0011c017

// waitFrame is the largest NetBIOS frame the analyzer waits to have
// whole; the reassembly's bound (flow.MaxPending) is above it.
const waitFrame = 32 << 10

// maxPipes is how many named pipes of a flow are followed at once;
// maxReads how many READ requests on them await their answer.
const (
	maxPipes = 4
	maxReads = 8
)

// PipeStats counts what reading named pipes did on a flow.
type PipeStats struct {
	Joined  uint64 // DCE-RPC PDUs joined from several pipe messages
	Dropped uint64 // bytes of pipe data given up: a PDU that did not frame, data of a message too long to wait for
	Evicted uint64 // pipes given up for newer ones
}

// pipe is one named pipe carrying DCE-RPC.
type pipe struct {
	fid  [16]byte
	used bool
	age  uint32
	rpc  dcerpc.Analyzer
	held [2][]byte // per direction (0: written by the client): the start of a PDU cut by the message's end
}

// pendingRead is a READ request on a pipe awaiting its answer.
type pendingRead struct {
	msgID uint64
	fid   [16]byte
	used  bool
}

type smb struct {
	msg   SMB2Message
	pipes [maxPipes]pipe
	reads [maxReads]pendingRead
	nread int    // next slot of reads to fill
	clock uint32 // pipe use order
	skip  [2]int // per direction: bytes of a frame still to pass over
	sync  [2]bool
	res   proto.Resync
	stats PipeStats
	r     proto.Reporter        // the Feed in progress
	emit  func(*dcerpc.Message) // deliver, bound once
}

var _ proto.Gapped = (*smb)(nil)

func (a *smb) deliver(m *dcerpc.Message) { dcerpc.Report(a.r, m) }

// reset readies a for another flow, keeping its buffers.
func (a *smb) reset() {
	for i := range a.pipes {
		p := &a.pipes[i]
		p.rpc.Reset()
		p.used, p.age, p.fid = false, 0, [16]byte{}
		p.held[0], p.held[1] = p.held[0][:0], p.held[1][:0]
	}
	a.reads = [maxReads]pendingRead{}
	a.nread, a.clock = 0, 0
	a.skip, a.sync = [2]int{}, [2]bool{}
	a.res, a.stats = proto.Resync{}, PipeStats{}
	a.r = nil
}

// Stats returns what reading named pipes did since the flow began.
func (a *smb) Stats() PipeStats { return a.stats }

func side(fromClient bool) int {
	if fromClient {
		return 0
	}
	return 1
}

// Gap forgets the frame being passed over and the pipes' cut PDUs in
// that direction; the next Feed looks for a frame header.
func (a *smb) Gap(fromClient bool) bool {
	d := side(fromClient)
	a.skip[d], a.sync[d] = 0, true
	for i := range a.pipes {
		p := &a.pipes[i]
		a.stats.Dropped += uint64(len(p.held[d]))
		p.held[d] = p.held[d][:0]
	}
	return true
}

// Resyncs returns what finding frame headers again has cost.
func (a *smb) Resyncs() proto.Resync { return a.res }

// Feed frames the NetBIOS messages of one direction's reassembled bytes
// and reads each whole (compounded SMB2 messages included): the client's
// requests (frame), the server's answers on named pipes (answers). It
// returns the bytes consumed: a frame not yet whole stays, unless it is
// longer than waitFrame. It never fails: bytes that frame nothing are
// passed over to the next frame header (counted in Resyncs).
func (a *smb) Feed(r proto.Reporter, fromClient bool, b []byte) (int, error) {
	d := side(fromClient)
	n := 0
	for n < len(b) {
		if k := min(a.skip[d], len(b)-n); k > 0 {
			a.skip[d] -= k
			n += k
			continue
		}
		p := b[n:]
		if a.sync[d] {
			i := frameStart(p)
			a.res.Skipped += uint64(i)
			n += i
			if i == len(p) || len(p)-i < 8 {
				return n, nil // no header yet: wait for more
			}
			a.sync[d] = false
			a.res.Count++
			continue
		}
		if len(p) < nbssHeaderLen {
			return n, nil
		}
		if p[0] != 0x00 && (p[0] < 0x81 || p[0] > 0x85) {
			// No NetBIOS frame: the stream is out of step. (The client's
			// side decides whether the flow is SMB.)
			if fromClient {
				r.Violation()
			}
			a.sync[d] = true
			continue
		}
		fl := nbssHeaderLen + (int(p[1])<<16 | int(p[2])<<8 | int(p[3]))
		if fl <= len(p) {
			a.frame(r, fromClient, p[:fl])
			n += fl
			continue
		}
		if fl <= waitFrame {
			return n, nil // the reassembly keeps the frame's start
		}
		// Too long to wait for: read its start, pass over the rest.
		a.frame(r, fromClient, p)
		a.skip[d] = fl - len(p)
		n = len(b)
	}
	return n, nil
}

// frameStart returns the offset of the first plausible NetBIOS session
// message carrying SMB in b (type 0x00, a length of at least an SMB2
// header, "\xfeSMB", "\xffSMB", "\xfdSMB" or "\xfcSMB"), or how much of b
// surely holds none.
func frameStart(b []byte) int {
	for i := 0; i+8 <= len(b); i++ {
		if b[i] == 0 && b[i+5] == 'S' && b[i+6] == 'M' && b[i+7] == 'B' && b[i+4] >= 0xfc &&
			int(b[i+1])<<16|int(b[i+2])<<8|int(b[i+3]) >= 32 {
			return i
		}
	}
	return max(len(b)-7, 0)
}

// frame reads one NetBIOS frame (or the start of one too long to wait
// for) sent by the client (fromClient) or the server.
func (a *smb) frame(r proto.Reporter, fromClient bool, pl []byte) {
	if !fromClient {
		a.answers(r, pl)
		return
	}
	m := &a.msg
	for n := 0; len(pl) > 0 && n < 16; n++ {
		rest, err := ParseSMB2(pl, m)
		if err != nil {
			if err != ErrSMB2Truncated && err != ErrNoMessage {
				r.Violation()
			}
			return
		}
		r.Confirm()
		var op string
		var name []byte
		switch {
		case m.Response:
		case m.Command == SMB2TreeConnect && len(m.Path) > 0:
			op, name = "share", m.Path
		case m.Command == SMB2Create && len(m.Name) > 0:
			op, name = "open", m.Name
			if m.Write {
				op = "upload"
			}
		}
		if op != "" {
			r.File(proto.File{Op: op, Name: name})
			if r.Events() {
				r.Event(proto.Event{Proto: "smb", Op: op, Name: string(name), Detail: map[string]any{"command": m.Command}})
			}
		}
		if !m.Response {
			switch {
			case m.Command == SMB2Write || (m.Command == SMB2IOCtl && m.CtlCode == fsctlPipeTransceive):
				a.pipeData(r, m, true, m.FileID)
			case m.Command == SMB2Read:
				if a.find(m.FileID) != nil {
					a.reads[a.nread] = pendingRead{msgID: m.MessageID, fid: m.FileID, used: true}
					a.nread = (a.nread + 1) % maxReads
				}
			}
		}
		if len(rest) >= len(pl) {
			return
		}
		pl = rest
	}
}

// answers reads the server's answers of a frame for what named pipes
// return to DCE-RPC calls (READ and FSCTL_PIPE_TRANSCEIVE responses): the
// call's bind_ack, response or fault, whose status goes with its request.
// Nothing else of the server's is read, and what does not parse is left
// alone (the client's side decides whether the flow is SMB).
func (a *smb) answers(r proto.Reporter, pl []byte) {
	m := &a.msg
	for n := 0; len(pl) > 0 && n < 16; n++ {
		rest, err := ParseSMB2(pl, m)
		if err != nil {
			return
		}
		if m.Response {
			switch {
			case m.Command == SMB2Read:
				a.pipeData(r, m, false, a.readFile(m.MessageID))
			case m.Command == SMB2IOCtl && m.CtlCode == fsctlPipeTransceive:
				a.pipeData(r, m, false, m.FileID)
			}
		}
		if len(rest) >= len(pl) {
			return
		}
		pl = rest
	}
}

// readFile returns the FileId of the READ request with message id id,
// forgetting it; without one, that of the pipe used last.
func (a *smb) readFile(id uint64) [16]byte {
	for i := range a.reads {
		if q := &a.reads[i]; q.used && q.msgID == id {
			q.used = false
			return q.fid
		}
	}
	var last *pipe
	for i := range a.pipes {
		if p := &a.pipes[i]; p.used && (last == nil || p.age > last.age) {
			last = p
		}
	}
	if last == nil {
		return [16]byte{}
	}
	return last.fid
}

// find returns the pipe of fid, nil when not followed.
func (a *smb) find(fid [16]byte) *pipe {
	for i := range a.pipes {
		if p := &a.pipes[i]; p.used && p.fid == fid {
			return p
		}
	}
	return nil
}

// open follows a new pipe, giving up the least recently used when all
// are taken.
func (a *smb) open(fid [16]byte) *pipe {
	var p *pipe
	for i := range a.pipes {
		q := &a.pipes[i]
		if !q.used {
			p = q
			break
		}
		if p == nil || q.age < p.age {
			p = q
		}
	}
	if p.used {
		a.stats.Evicted++
	}
	p.rpc.Reset()
	p.used, p.fid = true, fid
	p.held[0], p.held[1] = p.held[0][:0], p.held[1][:0]
	return p
}

// pipeData hands the data of a pipe message (m.Data, written by the
// client when fromClient) to its pipe's DCE-RPC: a pipe is followed from
// the first message whose data starts with a DCE-RPC PDU. Data of a
// message cut short (a frame too long to wait for) is not read.
func (a *smb) pipeData(r proto.Reporter, m *SMB2Message, fromClient bool, fid [16]byte) {
	data := m.Data
	if len(data) == 0 {
		return
	}
	p := a.find(fid)
	if p == nil {
		if !dcerpc.IsPDU(data) {
			return
		}
		p = a.open(fid)
	}
	a.clock++
	p.age = a.clock
	d := side(fromClient)
	if m.Partial {
		a.stats.Dropped += uint64(len(data) + len(p.held[d]))
		p.held[d] = p.held[d][:0]
		return
	}
	a.r = r
	a.feedPipe(p, d, fromClient, data)
	a.r = nil
}

// feedPipe feeds a pipe message's data to the pipe's DCE-RPC after what
// it held of a PDU cut by the previous message, and holds the start of a
// PDU this one cuts.
func (a *smb) feedPipe(p *pipe, d int, fromClient bool, data []byte) {
	if old := len(p.held[d]); old > 0 {
		held := append(p.held[d], data...)
		n, err := p.rpc.Feed(held, fromClient, a.emit)
		switch {
		case err == nil:
			if n >= old {
				a.stats.Joined++
			}
			p.held[d] = append(held[:0], held[n:]...)
			return
		case n >= old: // the held PDU was whole; this message's went wrong
			a.stats.Dropped += uint64(len(held) - n)
			p.held[d] = held[:0]
			return
		}
		// What was held does not go on with this message: read the
		// message alone.
		a.stats.Dropped += uint64(old - n)
		p.held[d] = held[:0]
	}
	n, err := p.rpc.Feed(data, fromClient, a.emit)
	if err != nil {
		a.stats.Dropped += uint64(len(data) - n) // a framing error only ends this message's PDUs
		return
	}
	p.held[d] = append(p.held[d][:0], data[n:]...)
}

// Dropped implements proto.Dropper: the pipes given up for newer ones.
func (a *smb) Dropped() uint64 { return a.stats.Evicted }
