package dns

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Capacity of a Message. Questions and answers beyond these are counted in
// Message.Dropped.
const (
	MaxQuestions = 8
	MaxAnswers   = 32
)

// Sizes of the fixed parts of a message (RFC 1035 §4.1).
const (
	headerLen   = 12 // §4.1.1
	questionLen = 4  // QTYPE, QCLASS after QNAME (§4.1.2)
	rrLen       = 10 // TYPE, CLASS, TTL, RDLENGTH after NAME (§4.1.3)
	arenaSize   = 4096
)

// Errors returned for malformed messages. The pipeline counts them; they
// are data, not failures.
var (
	ErrTruncated  = errors.New("dns: truncated")
	ErrLength     = errors.New("dns: bad tcp length")
	ErrLabel      = errors.New("dns: bad label")
	ErrPointer    = errors.New("dns: bad compression pointer")
	ErrNameLength = errors.New("dns: name too long")
	ErrRData      = errors.New("dns: bad rdata")
)

// Message is one parsed DNS message. The zero value is ready to use; reuse
// it for every message of a flow shard.
type Message struct {
	ID                 uint16
	Response           bool  // QR
	Opcode             uint8 // 0 QUERY, 1 IQUERY, 2 STATUS, 4 NOTIFY, 5 UPDATE
	Authoritative      bool  // AA
	Truncated          bool  // TC: the sender cut the message short
	RecursionDesired   bool  // RD
	RecursionAvailable bool  // RA
	RCode              uint8 // header RCODE, 4 bits (extended RCODE in OPT is not read)

	// Questions is the question section, at most MaxQuestions entries.
	Questions []Question
	// Answers is the answer section, at most MaxAnswers entries.
	Answers []Answer
	// Dropped counts questions and answers that were valid but not kept:
	// beyond the capacity above, or because the name arena was full.
	Dropped int

	questions [MaxQuestions]Question
	answers   [MaxAnswers]Answer
	names     arena
}

// Question is one entry of the question section (RFC 1035 §4.1.2).
type Question struct {
	// Name is lower-case and dotted with no trailing dot; the root is "".
	// It aliases the Message.
	Name  []byte
	Type  uint16
	Class uint16 // the mDNS unicast-response bit (RFC 6762 §5.4) is kept
}

// Answer is one resource record of the answer section (RFC 1035 §4.1.3).
type Answer struct {
	Name  []byte // as Question.Name
	Type  uint16
	Class uint16 // the mDNS cache-flush bit (RFC 6762 §10.2) is kept
	TTL   uint32
	// Addr is the address of an A or AAAA record of class IN; the zero
	// Addr otherwise.
	Addr netip.Addr
	// Target is the domain name in the RDATA of CNAME, NS, PTR, DNAME,
	// MX (exchange) and SRV (target) records; nil otherwise.
	Target []byte
}

// Parse parses one DNS message as carried in a UDP datagram (RFC 1035
// §4.2.1), mDNS or LLMNR. It reads the header, the question section and
// the answer section. On error the fields hold what was parsed before the
// error.
func (m *Message) Parse(b []byte) error {
	m.reset()
	if len(b) < headerLen {
		return ErrTruncated
	}
	// Header, §4.1.1.
	m.ID = binary.BigEndian.Uint16(b)
	f := b[2]
	m.Response = f&0x80 != 0
	m.Opcode = f >> 3 & 0x0f
	m.Authoritative = f&0x04 != 0
	m.Truncated = f&0x02 != 0
	m.RecursionDesired = f&0x01 != 0
	m.RecursionAvailable = b[3]&0x80 != 0
	m.RCode = b[3] & 0x0f
	qd := int(binary.BigEndian.Uint16(b[4:]))
	an := int(binary.BigEndian.Uint16(b[6:]))

	pos := headerLen
	for i := 0; i < qd; i++ {
		var q Question
		var err error
		kept := len(m.Questions) < MaxQuestions
		if kept {
			q.Name, pos, err = m.names.decode(b, pos)
		} else {
			pos, err = skipName(b, pos)
		}
		if err == errArenaFull {
			kept = false
		} else if err != nil {
			return err
		}
		if len(b)-pos < questionLen {
			return ErrTruncated
		}
		q.Type = binary.BigEndian.Uint16(b[pos:])
		q.Class = binary.BigEndian.Uint16(b[pos+2:])
		pos += questionLen
		if kept {
			m.Questions = append(m.Questions, q)
		} else {
			m.Dropped++
		}
	}
	for i := 0; i < an; i++ {
		var err error
		if len(m.Answers) < MaxAnswers {
			pos, err = m.answer(b, pos)
		} else {
			pos, err = skipRR(b, pos)
			m.Dropped++
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ParseTCP parses one DNS message sent over TCP, that is preceded by its
// two-octet length (RFC 1035 §4.2.2). Bytes after that message are ignored.
func (m *Message) ParseTCP(b []byte) error {
	if len(b) < 2 {
		m.reset()
		return ErrTruncated
	}
	n := int(binary.BigEndian.Uint16(b))
	if n < headerLen {
		m.reset()
		return ErrLength
	}
	if len(b)-2 < n {
		m.reset()
		return ErrTruncated
	}
	return m.Parse(b[2 : 2+n])
}

// reset clears the header fields and empties the sections. The arrays
// and the arena are not zeroed: only what Parse writes is read back.
func (m *Message) reset() {
	m.ID, m.Opcode, m.RCode = 0, 0, 0
	m.Response, m.Authoritative, m.Truncated = false, false, false
	m.RecursionDesired, m.RecursionAvailable = false, false
	m.Questions = m.questions[:0]
	m.Answers = m.answers[:0]
	m.Dropped = 0
	m.names.reset()
}

// answer parses the resource record at pos into the next Answer and
// returns the offset after it. A record whose names do not fit the arena is
// validated, counted in Dropped and not kept.
func (m *Message) answer(b []byte, pos int) (int, error) {
	var a Answer
	var err error
	kept := true
	a.Name, pos, err = m.names.decode(b, pos)
	if err == errArenaFull {
		kept = false
	} else if err != nil {
		return 0, err
	}
	if len(b)-pos < rrLen {
		return 0, ErrTruncated
	}
	a.Type = binary.BigEndian.Uint16(b[pos:])
	a.Class = binary.BigEndian.Uint16(b[pos+2:])
	a.TTL = binary.BigEndian.Uint32(b[pos+4:])
	rdlen := int(binary.BigEndian.Uint16(b[pos+8:]))
	pos += rrLen
	if len(b)-pos < rdlen {
		return 0, ErrTruncated
	}
	rdata := pos
	end := pos + rdlen
	in := a.Class&0x7fff == ClassIN // mask the mDNS cache-flush bit

	// The offset of a domain name inside the RDATA, or -1.
	name := -1
	switch a.Type {
	case TypeA: // §3.4.1
		if in {
			if rdlen != 4 {
				return 0, ErrRData
			}
			a.Addr = netip.AddrFrom4([4]byte(b[rdata:end]))
		}
	case TypeAAAA: // RFC 3596 §2.2
		if in {
			if rdlen != 16 {
				return 0, ErrRData
			}
			a.Addr = netip.AddrFrom16([16]byte(b[rdata:end]))
		}
	case TypeCNAME, TypeNS, TypePTR, TypeDNAME: // §3.3.1, §3.3.11, §3.3.12, RFC 6672 §2.1
		name = rdata
	case TypeMX: // §3.3.9: PREFERENCE, EXCHANGE
		name = rdata + 2
	case TypeSRV: // RFC 2782: priority, weight, port, target
		name = rdata + 6
	}
	if name >= 0 {
		if name >= end {
			return 0, ErrRData
		}
		// Names in RDATA may point anywhere before them, but their own
		// labels must end with the RDATA.
		var after int
		if kept {
			a.Target, after, err = m.names.decode(b[:end], name)
		} else {
			after, err = skipName(b[:end], name)
		}
		switch {
		case err == errArenaFull:
			kept = false
			a.Target = nil
		case err == ErrTruncated:
			return 0, ErrRData
		case err != nil:
			return 0, err
		case after != end:
			return 0, ErrRData
		}
	}
	if kept {
		m.Answers = append(m.Answers, a)
	} else {
		m.Dropped++
	}
	return end, nil
}

// skipRR returns the offset after the resource record at pos without
// decoding it.
func skipRR(b []byte, pos int) (int, error) {
	pos, err := skipName(b, pos)
	if err != nil {
		return 0, err
	}
	if len(b)-pos < rrLen {
		return 0, ErrTruncated
	}
	rdlen := int(binary.BigEndian.Uint16(b[pos+8:]))
	pos += rrLen
	if len(b)-pos < rdlen {
		return 0, ErrTruncated
	}
	return pos + rdlen, nil
}

// Probe reports whether b could be a DNS message: a header whose opcode is
// assigned, whose reserved Z bit is clear, that is not a query with an
// error code, that has at least one record, and whose record counts fit in
// len(b) at their smallest size. It is meant to confirm a flow on an
// unusual port, not to validate a message. For DNS over TCP, pass the
// bytes after the two-octet length.
func Probe(b []byte) bool {
	if len(b) < headerLen {
		return false
	}
	f, g := b[2], b[3]
	switch f >> 3 & 0x0f {
	case 0, 1, 2, 4, 5: // RFC 1035, RFC 1996 NOTIFY, RFC 2136 UPDATE
	default:
		return false
	}
	if g&0x40 != 0 { // Z
		return false
	}
	if f&0x80 == 0 && g&0x0f != 0 { // a query never carries an RCODE
		return false
	}
	qd := int(binary.BigEndian.Uint16(b[4:]))
	rr := int(binary.BigEndian.Uint16(b[6:])) + int(binary.BigEndian.Uint16(b[8:])) + int(binary.BigEndian.Uint16(b[10:]))
	if qd+rr == 0 {
		return false
	}
	// Smallest question: root name and 4 octets; smallest record: root
	// name and 10 octets.
	return headerLen+qd*(1+questionLen)+rr*(1+rrLen) <= len(b)
}
