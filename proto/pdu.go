package proto

// PDU is what an industrial protocol's message offers (Modbus ADUs, S7
// PDUs, CIP services).
type PDU interface {
	Request() bool
	Op() string
	Func() int
	Name() string
	Status() string
	Detailer
}

// opIdentity is the identity operation of the event vocabulary
// (event.OpIdentity).
const opIdentity = "identity"

// ReportPDU reports one industrial PDU the way every industrial analyzer
// does: the operation for detection (Container: judged through its parts),
// the PDU as confirming the protocol or as malformed, a device's identity
// answer, and, when events are wanted, its event under the name protoName.
// fromClient says who sent it.
func ReportPDU(r Reporter, m PDU, fromClient bool, protoName string, container, malformed bool) {
	op := m.Op()
	r.Op(Op{Op: op, Request: m.Request(), Container: container, PDU: m})
	if malformed {
		r.Malformed()
	} else {
		r.Confirm()
	}
	var d map[string]any
	if op == opIdentity && !fromClient && !m.Request() {
		// Identity answers are rare: their detail (which allocates) is
		// taken for the asset record even without events.
		d = map[string]any{}
		m.Detail(d)
		r.Identity(Identity{Server: true, Fields: record(d["identity"])})
	}
	if !r.Events() || !r.EventOp(op) {
		return
	}
	if d == nil {
		d = map[string]any{}
		m.Detail(d)
	}
	if len(d) == 0 {
		d = nil
	}
	r.Event(Event{Proto: protoName, Op: op, Name: m.Name(), Status: m.Status(),
		Func: m.Func(), HasFunc: true, Response: !m.Request(), Detail: d})
}

// record turns an identity detail into a flat record.
func record(v any) map[string]any {
	switch id := v.(type) {
	case map[string]any:
		return id
	case map[string]string:
		out := make(map[string]any, len(id))
		for k, x := range id {
			out[k] = x
		}
		return out
	}
	return nil
}
