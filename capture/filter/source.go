package filter

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"harborwatch/capture"
)

// ErrLinkType is a packet whose link layer a filter cannot look into.
var ErrLinkType = errors.New("the filter cannot look into this link layer (it reads Ethernet, Linux cooked v1 and v2, raw IP and BSD loopback)")

// Source hands on the packets of another Source that a Bytes program
// accepts, and counts those it leaves out. Like any Source it is read
// from one goroutine; Filtered may be called from any.
type Source struct {
	src      capture.Source
	prog     *Program
	filtered atomic.Uint64
	buf      []byte // a packet of another link layer as an Ethernet frame
}

var _ capture.Source = (*Source)(nil)

// NewSource filters src with prog, which must be compiled for Bytes.
func NewSource(src capture.Source, prog *Program) *Source {
	return &Source{src: src, prog: prog}
}

// Next fills p with the next packet the program accepts. A packet of a
// link layer other than Ethernet is matched as the Ethernet frame that
// would carry its network layer (see Ethernet); one of a link layer
// that has no such frame ends the Source with an error wrapping
// ErrLinkType.
func (s *Source) Next(p *capture.Packet) error {
	for {
		if err := s.src.Next(p); err != nil {
			return err
		}
		data := p.Data
		if p.Link != capture.LinkEthernet {
			var ok bool
			s.buf, ok = Ethernet(s.buf[:0], p.Link, p.Data)
			if !ok {
				return fmt.Errorf("%s: packet %d: link type %s: %w", s.src.Name(), p.Number, p.Link, ErrLinkType)
			}
			data = s.buf
		}
		if run(s.prog.Raw, data, uint32(p.OrigLen), Tag{}) != 0 {
			return nil
		}
		s.filtered.Add(1)
	}
}

// Ethernet appends to dst the Ethernet frame that carries the network
// layer of a packet of another link layer, for a program compiled for
// Ethernet: MAC addresses zero (Linux cooked captures: the sender's
// address as the source when it is a MAC), the EtherType the link
// header gives (raw IP: from the version; BSD loopback: AF_INET is IPv4,
// the BSDs' AF_INET6 values IPv6, in either byte order; other values 0)
// and the rest of the packet. A header cut short gives a frame of no
// network layer (a load beyond it rejects the packet, as tcpdump's would).
// ok is false for a link type it does not know.
func Ethernet(dst []byte, link capture.LinkType, data []byte) (frame []byte, ok bool) {
	var typ uint16
	var mac []byte
	hdr, need := 0, 0 // the link header's length, and what must be there
	switch link {
	case capture.LinkEthernet:
		return append(dst, data...), true
	case capture.LinkRaw:
		need = 1 // the version
		if len(data) > 0 {
			switch data[0] >> 4 {
			case 4:
				typ = 0x0800
			case 6:
				typ = 0x86dd
			}
		}
	case capture.LinkIPv4:
		typ = 0x0800
	case capture.LinkIPv6:
		typ = 0x86dd
	case capture.LinkNull:
		hdr = 4
		if len(data) >= 4 {
			fam := binary.LittleEndian.Uint32(data)
			if fam > 0xffff {
				fam = binary.BigEndian.Uint32(data)
			}
			switch fam {
			case 2:
				typ = 0x0800
			case 24, 28, 30:
				typ = 0x86dd
			}
		}
	case capture.LinkLinuxSLL:
		hdr = 16
		if len(data) >= 16 {
			typ = binary.BigEndian.Uint16(data[14:])
			if binary.BigEndian.Uint16(data[4:]) == 6 {
				mac = data[6:12]
			}
		}
	case capture.LinkLinuxSLL2:
		hdr = 20
		if len(data) >= 20 {
			typ = binary.BigEndian.Uint16(data)
			if data[11] == 6 {
				mac = data[12:18]
			}
		}
	default:
		return dst, false
	}
	var eth [14]byte
	copy(eth[6:12], mac)
	binary.BigEndian.PutUint16(eth[12:], typ)
	dst = append(dst, eth[:]...)
	if len(data) < max(hdr, need) {
		return dst[:len(dst)-2], true
	}
	return append(dst, data[hdr:]...), true
}

// Filtered is the number of packets left out so far.
func (s *Source) Filtered() uint64 { return s.filtered.Load() }

// Name is the underlying Source's name.
func (s *Source) Name() string { return s.src.Name() }

// Close closes the underlying Source.
func (s *Source) Close() error { return s.src.Close() }

// SHA256 is the underlying Source's hash (capture.SHA256): the filter
// does not change what was read.
func (s *Source) SHA256() ([sha256.Size]byte, bool) { return capture.SHA256(s.src) }
