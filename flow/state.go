package flow

import (
	"strconv"

	"harborwatch/decode"
)

// Dir is the direction of a packet within its flow.
type Dir uint8

// Directions. A Dir indexes the per-direction counters of a Flow.
const (
	FromClient Dir = 0 // sent by the initiator
	FromServer Dir = 1 // sent by the responder
)

// String returns "client" or "server".
func (d Dir) String() string {
	switch d {
	case FromClient:
		return "client"
	case FromServer:
		return "server"
	}
	return "dir(" + strconv.Itoa(int(d)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (d Dir) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// State is the TCP state of a flow as far as a passive observer can tell it
// from the flags it sees (RFC 9293, section 3.3.2, seen from outside both
// endpoints). Non-TCP flows stay in None.
type State uint8

// TCP states.
const (
	None        State = iota // not TCP
	SynSent                  // the client's SYN was seen, no SYN-ACK yet
	SynAckSeen               // the server's SYN-ACK was seen, the client's ACK not yet
	Established              // the three-way handshake completed
	Midstream                // the flow started without a SYN or SYN-ACK in the capture
	FinWait                  // one side sent a FIN
	Closed                   // both sides sent a FIN
	Reset                    // a side sent a RST
)

var stateNames = [...]string{
	None:        "none",
	SynSent:     "syn-sent",
	SynAckSeen:  "syn-ack-seen",
	Established: "established",
	Midstream:   "midstream",
	FinWait:     "fin-wait",
	Closed:      "closed",
	Reset:       "reset",
}

// String returns the state's name, e.g. "established".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// EndReason says why a flow ended.
type EndReason uint8

// End reasons.
const (
	Expired EndReason = iota // idle past its timeout, or replaced by a new connection on the same ports
	Evicted                  // the table was full and the flow was the least recently used
	Flushed                  // Table.Flush, e.g. at the end of the input
)

// String returns "expired", "evicted" or "flushed".
func (r EndReason) String() string {
	switch r {
	case Expired:
		return "expired"
	case Evicted:
		return "evicted"
	case Flushed:
		return "flushed"
	}
	return "end-reason(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (r EndReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// tcpStep advances the TCP state of a flow with the flags of one packet
// travelling in direction d. The client's SYN, the server's SYN-ACK and the
// client's ACK make the three-way handshake (RFC 9293, section 3.5); a FIN
// from each side closes the flow (section 3.6); a RST ends it at once
// (section 3.5.2). A client ACK after the SYN completes the handshake even
// when the SYN-ACK was not captured (asymmetric routing, capture loss).
func tcpStep(s State, fin *uint8, d Dir, flags uint8) State {
	syn := flags&decode.TCPSyn != 0
	ack := flags&decode.TCPAck != 0
	if flags&decode.TCPRst != 0 {
		return Reset
	}
	if s == Reset {
		return Reset
	}
	switch s {
	case SynSent:
		if d == FromServer && syn && ack {
			s = SynAckSeen
		} else if d == FromClient && ack && !syn {
			s = Established
		}
	case SynAckSeen:
		if d == FromClient && ack && !syn {
			s = Established
		}
	}
	if flags&decode.TCPFin != 0 {
		*fin |= 1 << d
	}
	switch {
	case *fin == 3:
		s = Closed
	case *fin != 0:
		s = FinWait
	}
	return s
}
