package xfer

import (
	"bytes"
	"net/netip"
	"time"

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
// server's answer to a request. SMB is a stream analyzer (whole NetBIOS
// messages from the reassembled bytes) and also reads the DCE-RPC its
// client writes to named pipes (ncacn_np: WRITE requests and
// FSCTL_PIPE_TRANSCEIVE IOCTLs) and the pipes' answers (READ and IOCTL
// responses), through a DCE-RPC analyzer per pipe that keeps the binds'
// presentation contexts, the calls awaiting an answer and a PDU cut
// across pipe messages (smbflow.go); FTP and TFTP keep no per-flow state.
var (
	FTPSpec  = proto.Spec{Name: "ftp", New: func() proto.Analyzer { return proto.NewShared(ftp{}) }}
	TFTPSpec = proto.Spec{Name: "tftp", New: func() proto.Analyzer { return proto.NewShared(tftp{}) }}
	SMBSpec  = proto.Spec{Name: "smb", Stream: true, PerFlow: true, New: func() proto.Analyzer { return new(smbFlows) }}
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

// Close resets a flow's state (keeping its buffers) and pools it.
func (a *smbFlows) Close(fl proto.Flow) {
	f := fl.(*smb)
	f.reset()
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
