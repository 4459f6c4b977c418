package enip

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"

	"harborwatch/proto"
)

// Sentinel errors. Framing errors wrap ErrFraming: the caller counts them
// and drops the stream's buffered bytes.
var (
	// ErrFraming: the bytes are not an encapsulation PDU.
	ErrFraming = errors.New("enip: framing error")
	// ErrCommand: the encapsulation command is not one CIP Vol. 2 defines.
	ErrCommand error = framingError("enip: unknown encapsulation command")
	// ErrOptions: the header's options field is not zero; CIP Vol. 2
	// §2-3.1 has the receiver discard such packets.
	ErrOptions error = framingError("enip: nonzero encapsulation options")
	// ErrDatagram: a UDP payload is neither an encapsulation PDU nor
	// class 0/1 I/O in Common Packet Format.
	ErrDatagram error = framingError("enip: datagram is not encapsulation or i/o")
)

// errPath reports an EPATH segment that is unknown or runs past the path;
// it marks the message malformed.
var errPath = errors.New("enip: invalid epath segment")

// framingError is a sentinel that wraps ErrFraming.
type framingError string

func (e framingError) Error() string { return string(e) }
func (e framingError) Unwrap() error { return ErrFraming }

// Problems of malformed PDUs, as Status reports them.
const (
	probCPF        = "malformed common packet format"
	probShortCIP   = "truncated CIP message"
	probPath       = "invalid EPATH"
	probMSP        = "malformed multiple service packet"
	probUCS        = "malformed unconnected send"
	probIdentity   = "truncated identity item"
	probListLength = "unexpected data in request"
)

const (
	headerLen = 24 // encapsulation header, CIP Vol. 2 Table 2-3.1

	maxPending  = 8  // outstanding requests remembered per flow
	maxEmbedded = 16 // services of one Multiple_Service_Packet remembered for pairing
	maxIO       = 64 // I/O connections counted per flow
	ioInline    = 2  // of them, held in the Analyzer itself
	maxFirmware = 8  // File object instances known to hold firmware
	maxItems    = 16 // CPF items read per PDU
	maxNesting  = 2  // Unconnected_Send → Multiple_Service_Packet → service
)

// Analyzer is the per-flow state of EtherNet/IP (both directions): requests
// waiting for their responses (keyed by sender context for unconnected
// messages and by sequence count for connected ones), the File object
// transfers in progress with their running SHA-256, the File object
// instances known to hold firmware, and the class 0/1 I/O counters. Partial
// PDUs are not kept: the caller re-offers unconsumed bytes.
//
// Its zero value is ready to use. Memory is bounded by the fixed tables
// above; what does not fit is counted by Dropped.
type Analyzer struct {
	msg Message // the message handed to emit; reused
	tmp Message // look-ahead for containers

	// pend is allocated at the flow's first request and kept by Reset: a
	// flow of implicit I/O (most ENIP flows on a crane network) makes
	// none, and so holds no pairing table.
	pend *[maxPending]pending
	age  uint64

	// io holds a flow's first ioInline I/O connections; ioBig, allocated
	// when a flow has more and kept by Reset, all of them. A UDP I/O flow
	// carries one or two.
	io    [ioInline]IOStat
	ioBig *[maxIO]IOStat
	ioN   int

	xfer [2]Transfer // [0] download, [1] upload
	fw   [maxFirmware]uint32
	fwN  int

	dropped uint64
	lost    [2]bool // per direction, after a gap: the next Feed seeks a header (resync.go)
	resync  proto.Resync
}

// Reset clears the Analyzer for another flow. The SHA-256 states of the
// transfers are kept, so a reused Analyzer does not allocate.
func (a *Analyzer) Reset() {
	h0, h1 := a.xfer[0].h, a.xfer[1].h
	pend, big := a.pend, a.ioBig
	*a = Analyzer{}
	a.xfer[0].h, a.xfer[1].h = h0, h1
	if pend != nil {
		*pend = [maxPending]pending{}
		a.pend = pend
	}
	a.ioBig = big
}

// Dropped counts bookkeeping that did not fit the Analyzer's fixed tables:
// requests evicted before their response came, services of a
// Multiple_Service_Packet beyond the pairing table, I/O packets of
// connections beyond the I/O table, and File object names cut short.
func (a *Analyzer) Dropped() uint64 { return a.dropped }

// Feed parses the encapsulation PDUs at the start of b, which holds
// contiguous, in-order stream bytes of one direction of a TCP flow
// (fromClient: sent by the flow's client). It calls emit for each message
// (see Kind) and returns the number of bytes consumed. An incomplete
// trailing PDU is not consumed. A header whose command CIP Vol. 2 does not
// define, or whose options field is not zero, returns the bytes consumed so
// far and ErrCommand or ErrOptions (both wrap ErrFraming): the stream is
// not (or no longer) in step with the PDU boundaries. After a Gap in the
// direction it first skips (consumes) bytes up to the first plausible
// header (see resync.go).
func (a *Analyzer) Feed(b []byte, fromClient bool, emit func(*Message)) (n int, err error) {
	if lost := &a.lost[dirIndex(fromClient)]; *lost {
		i, ok := seek(b)
		n += i
		a.resync.Skipped += uint64(i)
		if !ok {
			return n, nil
		}
		*lost = false
		a.resync.Count++
	}
	for len(b)-n >= headerLen {
		h := b[n:]
		cmd := binary.LittleEndian.Uint16(h)
		if _, ok := commandName(cmd); !ok {
			return n, ErrCommand
		}
		if binary.LittleEndian.Uint32(h[20:]) != 0 {
			return n, ErrOptions
		}
		total := headerLen + int(binary.LittleEndian.Uint16(h[2:]))
		if len(h) < total {
			break
		}
		a.encap(h[:total], fromClient, emit)
		n += total
	}
	return n, nil
}

// Datagram parses one UDP payload: an encapsulation PDU (UDP 44818:
// ListIdentity, ListServices, ListInterfaces) or a class 0/1 I/O packet in
// Common Packet Format (UDP 2222, CIP Vol. 2 §3-2.2). I/O is counted per
// connection id; only the first packet of a connection is emitted.
func (a *Analyzer) Datagram(b []byte, fromClient bool, emit func(*Message)) error {
	if len(b) >= headerLen {
		cmd := binary.LittleEndian.Uint16(b)
		if _, ok := commandName(cmd); ok && headerLen+int(binary.LittleEndian.Uint16(b[2:])) == len(b) &&
			binary.LittleEndian.Uint32(b[20:]) == 0 {
			a.encap(b, fromClient, emit)
			return nil
		}
	}
	return a.ioPacket(b, fromClient, emit)
}

// encap handles one complete encapsulation PDU.
func (a *Analyzer) encap(p []byte, fromClient bool, emit func(*Message)) {
	m := &a.msg
	*m = Message{
		Kind:        KindEncap,
		Response:    !fromClient,
		Command:     binary.LittleEndian.Uint16(p),
		Length:      binary.LittleEndian.Uint16(p[2:]),
		Session:     binary.LittleEndian.Uint32(p[4:]),
		EncapStatus: binary.LittleEndian.Uint32(p[8:]),
		Context:     [8]byte(p[12:20]),
		Options:     binary.LittleEndian.Uint32(p[20:]),
		Data:        p[headerLen:],
	}
	m.name, _ = commandName(m.Command)
	m.op = commandOp(m.Command)
	switch m.Command {
	case cmdSendRRData, cmdSendUnitData:
		if a.carried(m, fromClient, emit) {
			return
		}
	case cmdListIdentity:
		if m.Response && m.EncapStatus == 0 {
			if _, ok := m.Identity(); !ok {
				m.Malformed, m.problem = true, probIdentity
			}
		} else if !m.Response && len(m.Data) != 0 {
			m.Malformed, m.problem = true, probListLength
		}
	}
	emit(m)
}

// CPF item types, CIP Vol. 2 Table 2-6.3.
const (
	itemNull        = 0x0000
	itemIdentity    = 0x000C
	itemConnAddr    = 0x00A1
	itemConnData    = 0x00B1
	itemUnconnData  = 0x00B2
	itemServices    = 0x0100
	itemSockOT      = 0x8000
	itemSockTO      = 0x8001
	itemSeqAddr     = 0x8002
	cpfIfaceTimeout = 6 // interface handle + timeout before the CPF of SendRRData/SendUnitData
)

// cpf iterates the items of a Common Packet Format (CIP Vol. 2 §2-6).
type cpf struct {
	b    []byte
	left int
}

// cpfItems starts iterating the CPF at b; ok is false if the item count is
// missing.
func cpfItems(b []byte) (cpf, bool) {
	if len(b) < 2 {
		return cpf{}, false
	}
	n := int(binary.LittleEndian.Uint16(b))
	return cpf{b: b[2:], left: n}, n > 0
}

// next returns the next item. ok is false at the end or when an item runs
// past the data (it.bad reports which).
func (it cpf) next() (typ uint16, body []byte, rest cpf, ok bool) {
	if it.left <= 0 || len(it.b) < 4 {
		return 0, nil, cpf{}, false
	}
	typ = binary.LittleEndian.Uint16(it.b)
	n := int(binary.LittleEndian.Uint16(it.b[2:]))
	if len(it.b) < 4+n {
		return 0, nil, cpf{}, false
	}
	return typ, it.b[4 : 4+n], cpf{b: it.b[4+n:], left: it.left - 1}, true
}

// cpfValid checks that a CPF's items fit its data and are not too many.
func cpfValid(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	n := int(binary.LittleEndian.Uint16(b))
	if n > maxItems {
		return false
	}
	b = b[2:]
	for range n {
		if len(b) < 4 {
			return false
		}
		l := int(binary.LittleEndian.Uint16(b[2:]))
		if len(b) < 4+l {
			return false
		}
		b = b[4+l:]
	}
	return true
}

// carried handles the CPF of SendRRData/SendUnitData. It reports whether it
// emitted CIP messages; if not, the caller emits the encapsulation message
// (marked malformed when the CPF is).
func (a *Analyzer) carried(m *Message, fromClient bool, emit func(*Message)) bool {
	if len(m.Data) == 0 && m.EncapStatus != 0 {
		return false // an error reply carries no data
	}
	if len(m.Data) < cpfIfaceTimeout || !cpfValid(m.Data[cpfIfaceTimeout:]) {
		m.Malformed, m.problem = true, probCPF
		return false
	}
	items, ok := cpfItems(m.Data[cpfIfaceTimeout:])
	var cip []byte
	connected, found := false, false
	var connID uint32
	var seq uint16
	for ok {
		var typ uint16
		var body []byte
		typ, body, items, ok = items.next()
		if !ok {
			break
		}
		switch typ {
		case itemConnAddr:
			if len(body) >= 4 {
				connID = binary.LittleEndian.Uint32(body)
			}
		case itemConnData:
			if !found && len(body) >= 2 {
				seq = binary.LittleEndian.Uint16(body)
				cip, connected, found = body[2:], true, true
			}
		case itemUnconnData:
			if !found {
				cip, found = body, true
			}
		}
	}
	if !found || len(cip) == 0 {
		return false
	}
	m.Kind = KindCIP
	m.Connected, m.ConnID, m.Sequence = connected, connID, seq
	key := pairKey(m, connected)
	if cip[0]&0x80 != 0 {
		a.cipResponse(m, cip, connected, key, emit)
	} else {
		a.cipRequest(m, cip, connected, key, emit)
	}
	return true
}

// pairKey is the key a response is matched to its request by: the
// connected data sequence count (CIP Vol. 1 §3-4.4.4: the target echoes it),
// or the encapsulation sender context (CIP Vol. 2 §2-3.1: returned
// unchanged).
func pairKey(m *Message, connected bool) uint64 {
	if connected {
		return uint64(m.Sequence)
	}
	return binary.LittleEndian.Uint64(m.Context[:])
}

// Transfer is a File object upload or download (CIP Vol. 1 §5-42.4): the
// instance, the file name and size the initiating service gave, and the
// SHA-256 of the file data transferred so far.
type Transfer struct {
	Instance uint32
	Upload   bool
	Firmware bool   // the file name or the instance name says firmware
	Size     uint32 // declared file size
	Length   uint64 // file data bytes seen
	Packets  int    // transfer packets seen (repeats excluded)
	Number   uint8  // transfer number of the current packet
	Type     uint8  // transfer packet type of the current packet: 0 first, 1 middle, 2 last, 3 abort, 4 first and last
	Done     bool   // the last (or abort) packet was seen
	Aborted  bool
	Sum      [32]byte // SHA-256 of the file data; valid when Done and not Aborted

	active bool
	seen   bool
	name   [64]byte // file name from Initiate_Download, cut at 64 bytes
	nameN  int
	h      hash.Hash
}

// FileName returns the file name Initiate_Download gave ("" for uploads and
// for transfers whose initiation was not seen).
func (t *Transfer) FileName() string { return string(t.name[:t.nameN]) }

// detail renders the transfer for Message.Detail: the evidence the
// integrity work compares with baselines.
func (t *Transfer) detail() map[string]any {
	out := map[string]any{
		"type":     "file",
		"instance": int(t.Instance),
		"upload":   t.Upload,
		"firmware": t.Firmware,
		"size":     int(t.Size),
		"length":   int(t.Length),
		"packets":  t.Packets,
		"done":     t.Done,
	}
	if t.nameN > 0 {
		out["name"] = printable(t.name[:t.nameN])
	}
	if t.seen {
		out["transfer_number"] = int(t.Number)
		out["packet_type"] = int(t.Type)
	}
	switch {
	case t.Aborted:
		out["aborted"] = true
	case t.Done:
		out["sha256"] = hex.EncodeToString(t.Sum[:])
		out["complete"] = t.Size == 0 || uint64(t.Size) == t.Length
	}
	return out
}
