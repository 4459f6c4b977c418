package tls

import (
	"harborwatch/app/remote"
	"harborwatch/proto"
)

// Probes identify TLS by its first handshake record (see Probe): on any
// TCP port (HTTPS), and on AnyDesk's own ports 7070 and 6568, where TLS is
// AnyDesk's (AnyDeskProbe, listed before RecordProbe).
var (
	RecordProbe  = proto.Probe{Transport: proto.TCP, Match: probe}
	AnyDeskProbe = proto.Probe{Transport: proto.TCP, Ports: []uint16{7070, 6568}, Match: probe}
)

func probe(pl []byte, _ bool) proto.Verdict {
	if Probe(pl) {
		return proto.Sure
	}
	return proto.No
}

// Spec is the TLS analyzer for the pipeline's registry, for HTTPS and the
// remote-access services that run over TLS or beside it (AnyDesk,
// TeamViewer). It parses a flow's first ClientHello: the server name is
// reported (proto.SourceTLS), an AnyDesk ALPN or server name, or a
// TeamViewer server name, renames the flow's service, and with events a
// "client-hello" event is recorded. On a TeamViewer flow any other payload
// reports the session.
var Spec = proto.Spec{Name: "tls", New: func() proto.Analyzer { return proto.NewShared(shard{}) }}

// shard is one pipeline shard's TLS analyzer; it serves every flow. A
// flow's one flag, whether its ClientHello was read, is kept in
// Reporter.State.
type shard struct{ hello ClientHello }

const named = 1 // Reporter.State: the flow's ClientHello was read

func (s *shard) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	st := r.State()
	switch {
	case *st&named == 0 && fromClient && Probe(pl):
		*st |= named
		s.clientHello(r, pl)
	case r.Service() == "teamviewer":
		r.Confirm()
		r.Session(proto.Session{Proto: "teamviewer"})
	}
	return 0, nil
}

func (s *shard) clientHello(r proto.Reporter, pl []byte) {
	h := &s.hello
	if err := ParseClientHello(pl, h); err != nil && len(h.SNI) == 0 {
		r.Violation()
		return
	}
	r.Confirm()
	for _, p := range h.ALPN {
		if remote.AnyDeskALPN(p) {
			r.SetService("anydesk")
		}
	}
	if len(h.SNI) > 0 {
		switch {
		case remote.AnyDeskName(h.SNI):
			r.SetService("anydesk")
		case remote.TeamViewerName(h.SNI):
			r.SetService("teamviewer")
		}
		r.Name(proto.Name{Source: proto.SourceTLS, Name: h.SNI})
	}
	if r.Events() {
		d := map[string]any{"version": h.Version}
		if len(h.ALPN) > 0 {
			alpn := make([]string, len(h.ALPN))
			for i, p := range h.ALPN {
				alpn[i] = string(p)
			}
			d["alpn"] = alpn
		}
		r.Event(proto.Event{Proto: "tls", Op: "client-hello", Name: string(h.SNI), Detail: d})
	}
}
