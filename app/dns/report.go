package dns

import "harborwatch/proto"

// Probes identify DNS by its header (see Probe) on its ports: UDP 53, 5353
// (mDNS) and 5355 (LLMNR), and TCP 53, where a 2-byte length precedes the
// message (RFC 1035 §4.2.2).
var (
	UDPProbe = proto.Probe{Transport: proto.UDP, Ports: []uint16{53, 5353, 5355}, Match: probeUDP}
	TCPProbe = proto.Probe{Transport: proto.TCP, Ports: []uint16{53}, Match: probeTCP}
)

func probeUDP(pl []byte, _ bool) proto.Verdict {
	if Probe(pl) {
		return proto.Sure
	}
	return proto.No
}

func probeTCP(pl []byte, _ bool) proto.Verdict {
	if len(pl) > 2 && Probe(pl[2:]) {
		return proto.Sure
	}
	return proto.No
}

// Spec is the DNS analyzer for the pipeline's registry. Each payload is
// one message (a TCP one must start and end in its segment). It reports
// the names of a query's questions (proto.SourceDNS) and, with events, one
// "query" or "answer" event per question, with the answers.
var Spec = proto.Spec{Name: "dns", New: newShard}

// shard is one pipeline shard's DNS analyzer. DNS keeps no per-flow state:
// every flow of a transport shares one Flow, and the parsed message.
type shard struct {
	msg      Message
	udp, tcp flowState
}

type flowState struct {
	s   *shard
	tcp bool
}

func newShard() proto.Analyzer {
	s := &shard{}
	s.udp = flowState{s: s}
	s.tcp = flowState{s: s, tcp: true}
	return s
}

func (s *shard) Open(t proto.Transport) proto.Flow {
	if t == proto.TCP {
		return &s.tcp
	}
	return &s.udp
}

func (s *shard) Close(proto.Flow) {}

func (f *flowState) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	m := &f.s.msg
	var err error
	if f.tcp {
		err = m.ParseTCP(pl)
	} else {
		err = m.Parse(pl)
	}
	if err != nil {
		r.Violation()
		return 0, nil
	}
	r.Confirm()
	if !m.Response {
		for _, q := range m.Questions {
			r.Name(proto.Name{Source: proto.SourceDNS, Name: q.Name})
		}
	}
	if !r.Events() {
		return 0, nil
	}
	for _, q := range m.Questions {
		d := map[string]any{"qtype": TypeString(q.Type), "id": m.ID}
		op := "query"
		if m.Response {
			op = "answer"
			d["rcode"] = m.RCode
			var answers []map[string]any
			for _, a := range m.Answers {
				an := map[string]any{"name": string(a.Name), "type": TypeString(a.Type), "ttl": a.TTL}
				if a.Addr.IsValid() {
					an["addr"] = a.Addr.String()
				}
				if len(a.Target) > 0 {
					an["target"] = string(a.Target)
				}
				answers = append(answers, an)
			}
			if answers != nil {
				d["answers"] = answers
			}
		}
		r.Event(proto.Event{Proto: "dns", Op: op, Name: string(q.Name), Response: !fromClient, Detail: d})
	}
	return 0, nil
}
