package remote

import (
	"encoding/binary"

	"harborwatch/proto"
)

// Probes identify the remote-access protocols: SSH and VNC by their
// banners on any TCP port; Telnet by option negotiation on port 23;
// TeamViewer by its framing on 5938 (or tunnelled on 443 and 80), and on
// UDP 5938 by the port; RDP on port 3389 by any TPKT packet, on any port by
// an X.224 Connection Request carrying a cookie or an RDP_NEG_REQ
// (RDPProbe: list it after the S7 probes, which share TPKT), and on UDP
// 3389 by the port.
var (
	SSHProbe           = proto.Probe{Transport: proto.TCP, Match: probeSSH}
	VNCProbe           = proto.Probe{Transport: proto.TCP, Match: probeVNC}
	TelnetProbe        = proto.Probe{Transport: proto.TCP, Ports: []uint16{23}, Match: probeTelnet}
	TeamViewerProbe    = proto.Probe{Transport: proto.TCP, Ports: []uint16{5938, 443, 80}, Match: probeTeamViewer}
	TeamViewerUDPProbe = proto.Probe{Transport: proto.UDP, Ports: []uint16{5938}}
	RDPPortProbe       = proto.Probe{Transport: proto.TCP, Ports: []uint16{3389}, Match: probeTPKT}
	RDPProbe           = proto.Probe{Transport: proto.TCP, Match: probeRDP}
	RDPUDPProbe        = proto.Probe{Transport: proto.UDP, Ports: []uint16{3389}}
)

func probeSSH(pl []byte, _ bool) proto.Verdict {
	_, ok := SSHBanner(pl)
	return proto.SureIf(ok)
}

func probeVNC(pl []byte, _ bool) proto.Verdict {
	_, ok := RFBVersion(pl)
	return proto.SureIf(ok)
}

func probeTelnet(pl []byte, _ bool) proto.Verdict { return proto.SureIf(Telnet(pl)) }

func probeTeamViewer(pl []byte, _ bool) proto.Verdict { return proto.SureIf(TeamViewer(pl)) }

// tpkt reports whether pl starts with a TPKT header (RFC 1006 §6) and the
// length indicator of a COTP TPDU.
func tpkt(pl []byte) bool {
	if len(pl) < 7 || pl[0] != 3 || pl[1] != 0 {
		return false
	}
	n := int(binary.BigEndian.Uint16(pl[2:]))
	return n >= 7 && int(pl[4]) >= 2
}

func probeTPKT(pl []byte, _ bool) proto.Verdict { return proto.SureIf(tpkt(pl)) }

func probeRDP(pl []byte, _ bool) proto.Verdict {
	if !tpkt(pl) || pl[5]&0xf0 != 0xe0 { // X.224 CR
		return proto.No
	}
	var r RDPRequest
	return proto.SureIf(ParseRDPConnectionRequest(pl, &r) == nil && (len(r.Cookie) > 0 || r.HasNegReq))
}

// Specs of the remote-access analyzers for the pipeline's registry. SSH
// and VNC report each banner as an event (an SSH server's is also its
// identity, ssh_banner: it names the software and often the firmware); RDP
// reports the session of a Connection Request with its cookie, Telnet the
// session of any payload. None keeps per-flow state.
var (
	SSHSpec    = proto.Spec{Name: "ssh", New: func() proto.Analyzer { return proto.NewShared(banners{proto: "ssh", banner: SSHBanner}) }}
	VNCSpec    = proto.Spec{Name: "vnc", New: func() proto.Analyzer { return proto.NewShared(banners{proto: "vnc", banner: RFBVersion}) }}
	RDPSpec    = proto.Spec{Name: "rdp", New: func() proto.Analyzer { return proto.NewShared(rdp{}) }}
	TelnetSpec = proto.Spec{Name: "telnet", New: func() proto.Analyzer { return proto.NewShared(telnet{}) }}
)

// banners analyzes a protocol that opens with a banner from each side.
type banners struct {
	proto  string
	banner func([]byte) ([]byte, bool)
}

func (a *banners) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	b, ok := a.banner(pl)
	if !ok {
		return 0, nil
	}
	r.Confirm()
	if !fromClient && a.proto == "ssh" {
		r.Identity(proto.Identity{Key: "ssh_banner", Value: b})
	}
	if r.Events() {
		side := "client"
		if !fromClient {
			side = "server"
		}
		r.Event(proto.Event{Proto: a.proto, Op: "banner", Name: string(b), Response: !fromClient, Detail: map[string]any{"side": side}})
	}
	return 0, nil
}

type rdp struct{ req RDPRequest }

func (a *rdp) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	if fromClient && ParseRDPConnectionRequest(pl, &a.req) == nil {
		r.Confirm()
		r.Session(proto.Session{Proto: "rdp", Name: a.req.Cookie})
	}
	return 0, nil
}

type telnet struct{}

func (a *telnet) Feed(r proto.Reporter, _ bool, _ []byte) (int, error) {
	r.Confirm()
	r.Session(proto.Session{Proto: "telnet"})
	return 0, nil
}
