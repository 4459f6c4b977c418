package http

import (
	"bytes"

	"harborwatch/proto"
)

// Probes identify RTSP (RFC 2326, HTTP's syntax with its own version; list
// it first) and HTTP/1.x requests and responses, on any TCP port.
var (
	RTSPProbe = proto.Probe{Transport: proto.TCP, Match: probeRTSP}
	Probe     = proto.Probe{Transport: proto.TCP, Match: probe}
)

func probe(pl []byte, _ bool) proto.Verdict {
	if ProbeRequest(pl) || ProbeResponse(pl) {
		return proto.Sure
	}
	return proto.No
}

var rtspVersion = []byte("RTSP/1.0")

// probeRTSP checks for an RTSP request or response line (RFC 2326 §6.1,
// §7.1).
func probeRTSP(pl []byte, _ bool) proto.Verdict {
	line := pl
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if bytes.HasPrefix(pl, rtspVersion) || bytes.Contains(line, rtspVersion) {
		return proto.Sure
	}
	return proto.No
}

// Spec is the HTTP analyzer for the pipeline's registry. A client's request
// reports its Host (proto.SourceHTTP) and, with events, a "request" event;
// the first response's Server field is the server's identity
// (http_server: a camera's or a PLC's web server names its maker).
var Spec = proto.Spec{Name: "http", New: func() proto.Analyzer { return proto.NewShared(shard{}) }}

// shard is one pipeline shard's HTTP analyzer; it serves every flow. A
// flow's one flag, whether a response head was read, is kept in
// Reporter.State.
type shard struct {
	req  Request
	resp Response
}

const named = 1 // Reporter.State: a response head was read

func (s *shard) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	st := r.State()
	switch {
	case fromClient && ProbeRequest(pl):
		q := &s.req
		if err := ParseRequest(pl, q); err != nil {
			r.Violation()
			return 0, nil
		}
		r.Confirm()
		if len(q.Host) > 0 {
			r.Name(proto.Name{Source: proto.SourceHTTP, Name: q.Host})
		}
		if r.Events() {
			d := map[string]any{"method": string(q.Method), "target": string(q.Target), "version": string(q.Version)}
			if len(q.UserAgent) > 0 {
				d["user_agent"] = string(q.UserAgent)
			}
			r.Event(proto.Event{Proto: "http", Op: "request", Name: string(q.Host), Detail: d})
		}
	case !fromClient && *st&named == 0 && ProbeResponse(pl):
		*st |= named
		if err := ParseResponse(pl, &s.resp); err != nil {
			r.Violation()
			return 0, nil
		}
		r.Confirm()
		if len(s.resp.Server) > 0 {
			r.Identity(proto.Identity{Key: "http_server", Value: s.resp.Server})
		}
	}
	return 0, nil
}
