package xfer

import (
	"bytes"
	"net/netip"
	"time"

	"harborwatch/ics/dcerpc"
	"harborwatch/proto"
)

// Probes identify the cleartext file transfers: SMB2/SMB1 by the header on
// any TCP port, FTP by a command or a reply on port 21, TFTP by a read or
// write request on UDP 69.
var (
	SMBProbe  = proto.Probe{Transport: proto.TCP, Match: probeSMB}
	FTPProbe  = proto.Probe{Transport: proto.TCP, Ports: []uint16{21}, Match: probeFTP}
	TFTPProbe = proto.Probe{Transport: proto.UDP, Ports: []uint16{69}, Match: probeTFTP}
)

func probeSMB(pl []byte, _ bool) proto.Verdict {
	_, ok := ProbeSMB(pl)
	return proto.SureIf(ok)
}

func probeFTP(pl []byte, fromClient bool) proto.Verdict {
	if !fromClient {
		_, _, ok := FTPReply(pl)
		return proto.SureIf(ok)
	}
	var c FTPCommand
	_, err := NextFTPCommand(pl, &c)
	return proto.SureIf(err == nil)
}

func probeTFTP(pl []byte, _ bool) proto.Verdict { return proto.SureIf(ProbeTFTPRequest(pl)) }

// How long an announced data flow is expected.
const (
	ftpExpect  = int64(60 * time.Second)
	tftpExpect = int64(60 * time.Second)
)

// Specs of the file-transfer analyzers for the pipeline's registry. Each
// reports the transfers (proto.File: download, upload, open, share) and,
// with events, one event per command or request. FTP and TFTP announce
// their data flows (proto.Expect), which they analyze too: FTP the data
// connection a PORT or EPRT command or a 227 or 229 reply names, TFTP the
// server's answer to a request. SMB also reads the DCE-RPC its client
// writes to named pipes (ncacn_np: WRITE requests and FSCTL_PIPE_TRANSCEIVE
// IOCTLs) and the pipes' answers (READ and IOCTL responses), through a
// DCE-RPC analyzer per flow that keeps the binds' presentation contexts
// and the calls awaiting an answer; FTP and TFTP keep no per-flow state.
var (
	FTPSpec  = proto.Spec{Name: "ftp", New: func() proto.Analyzer { return proto.NewShared(ftp{}) }}
	TFTPSpec = proto.Spec{Name: "tftp", New: func() proto.Analyzer { return proto.NewShared(tftp{}) }}
	SMBSpec  = proto.Spec{Name: "smb", PerFlow: true, New: func() proto.Analyzer { return new(smbFlows) }}
)

// smbFlows hands out the per-flow state of SMB flows from a pool.
type smbFlows struct{ pool proto.Pool[smb] }

// Open returns a flow's state.
func (a *smbFlows) Open(proto.Transport) proto.Flow {
	f := a.pool.Get()
	if f.emit == nil {
		f.emit = f.deliver // bound once per pooled state
	}
	return f
}

// Close resets a flow's DCE-RPC state and pools it.
func (a *smbFlows) Close(fl proto.Flow) {
	f := fl.(*smb)
	f.rpc.Reset()
	f.r = nil
	a.pool.Put(f)
}

type ftp struct{ cmd FTPCommand }

// Feed reads the client's commands, several per segment, and the
// server's replies that announce a passive data connection.
func (a *ftp) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	if !fromClient {
		ftpReplies(r, pl)
		return 0, nil
	}
	c := &a.cmd
	for len(pl) > 0 {
		rest, err := NextFTPCommand(pl, c)
		if err != nil {
			r.Violation()
			return 0, nil
		}
		if len(rest) >= len(pl) {
			return 0, nil // no progress: never loop forever on hostile input
		}
		pl = rest
		r.Confirm()
		// An active data connection is announced by the client (PORT,
		// EPRT): the server connects to the address and port it names.
		switch string(c.Verb) {
		case "PORT":
			if ap, ok := FTPHostPort(c.Arg); ok {
				r.Expect(proto.Expect{Transport: proto.TCP, Server: ap, Within: ftpExpect})
			}
		case "EPRT":
			if ad, port, ok := FTPExtended(c.Arg, false); ok {
				r.Expect(proto.Expect{Transport: proto.TCP, Server: netip.AddrPortFrom(ad, port), Within: ftpExpect})
			}
		}
		op, transfer := IsFTPTransferVerb(c.Verb)
		if transfer {
			r.File(proto.File{Op: op, Name: c.Arg})
		}
		if r.Events() {
			name := string(c.Arg)
			if string(c.Verb) == "PASS" {
				name = "********" // never write a password into the event log
			}
			evop := "command"
			if transfer {
				evop = op
			}
			r.Event(proto.Event{Proto: "ftp", Op: evop, Name: name, Detail: map[string]any{"command": string(c.Verb)}})
		}
	}
	return 0, nil
}

// ftpReplies announces the passive data connection a 227 (PASV) or 229
// (EPSV) reply names: the client connects to the port the server names,
// at the address the 227 names or, for a 229, the server's own.
func ftpReplies(r proto.Reporter, pl []byte) {
	for n := 0; len(pl) > 0 && n < 16; n++ {
		code, text, ok := FTPReply(pl)
		switch {
		case !ok:
		case code == 227:
			if ap, ok := FTPHostPort(text); ok {
				r.Expect(proto.Expect{Transport: proto.TCP, Server: ap, Within: ftpExpect})
			}
		case code == 229:
			if _, port, ok := FTPExtended(text, true); ok {
				r.Expect(proto.Expect{Transport: proto.TCP, Server: netip.AddrPortFrom(netip.Addr{}, port), Within: ftpExpect})
			}
		}
		i := bytes.IndexByte(pl, '\n')
		if i < 0 {
			return
		}
		pl = pl[i+1:]
	}
}

type tftp struct{ pkt TFTPPacket }

// Feed reads a read or write request, which names the file.
func (a *tftp) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	t := &a.pkt
	if ParseTFTP(pl, t) != nil {
		r.Violation()
		return 0, nil
	}
	r.Confirm()
	if t.Opcode != 1 && t.Opcode != 2 {
		return 0, nil
	}
	op := "download"
	if t.Opcode == 2 {
		op = "upload"
	}
	r.File(proto.File{Op: op, Name: t.Filename})
	r.Expect(proto.Expect{Transport: proto.UDP, Within: tftpExpect})
	if r.Events() {
		r.Event(proto.Event{Proto: "tftp", Op: op, Name: string(t.Filename), Response: !fromClient,
			Detail: map[string]any{"mode": string(t.Mode)}})
	}
	return 0, nil
}

// fsctlPipeTransceive is the IOCTL that writes a named pipe's request
// and reads its answer in one call ([MS-FSCC] §2.3.49).
const fsctlPipeTransceive = 0x0011c017

type smb struct {
	msg  SMB2Message
	rpc  dcerpc.Analyzer       // the DCE-RPC the client writes to named pipes
	r    proto.Reporter        // the Feed in progress
	emit func(*dcerpc.Message) // deliver, bound once
}

func (a *smb) deliver(m *dcerpc.Message) { dcerpc.Report(a.r, m) }

// answers reads the server's answers of a segment for what named pipes
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
		if m.Response && (m.Command == SMB2Read || (m.Command == SMB2IOCtl && m.CtlCode == fsctlPipeTransceive)) && dcerpc.IsPDU(m.Data) {
			a.r = r
			a.rpc.Feed(m.Data, false, a.emit)
			a.r = nil
		}
		if len(rest) >= len(pl) {
			return
		}
		pl = rest
	}
}

// Feed reads the client's requests, up to 16 compounded in one segment:
// tree connects (share) and creates (open, upload when writing), and the
// DCE-RPC PDUs written to named pipes (whole PDUs in the segment; one cut
// by the segment's end is left out); from the server's segments, the
// pipes' answers (answers).
func (a *smb) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	if !fromClient {
		a.answers(r, pl)
		return 0, nil
	}
	m := &a.msg
	for n := 0; len(pl) > 0 && n < 16; n++ {
		rest, err := ParseSMB2(pl, m)
		if err != nil {
			r.Violation()
			return 0, nil
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
		if !m.Response && (m.Command == SMB2Write || (m.Command == SMB2IOCtl && m.CtlCode == fsctlPipeTransceive)) && dcerpc.IsPDU(m.Data) {
			a.r = r
			a.rpc.Feed(m.Data, true, a.emit) // a framing error only ends this write's PDUs
			a.r = nil
		}
		if len(rest) >= len(pl) {
			return 0, nil
		}
		pl = rest
	}
	return 0, nil
}
