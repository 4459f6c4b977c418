package filter

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"

	"harborwatch/capture"
)

// ErrLinkType is a packet whose link layer a filter cannot look into:
// the subset is compiled for Ethernet.
var ErrLinkType = errors.New("the filter applies to Ethernet packets only")

// Source hands on the packets of another Source that a Bytes program
// accepts, and counts those it leaves out. Like any Source it is read
// from one goroutine; Filtered may be called from any.
type Source struct {
	src      capture.Source
	prog     *Program
	filtered atomic.Uint64
}

var _ capture.Source = (*Source)(nil)

// NewSource filters src with prog, which must be compiled for Bytes.
func NewSource(src capture.Source, prog *Program) *Source {
	return &Source{src: src, prog: prog}
}

// Next fills p with the next packet the program accepts. A packet of a
// link type other than Ethernet ends the Source with an error wrapping
// ErrLinkType.
func (s *Source) Next(p *capture.Packet) error {
	for {
		if err := s.src.Next(p); err != nil {
			return err
		}
		if p.Link != capture.LinkEthernet {
			return fmt.Errorf("%s: packet %d: link type %s: %w", s.src.Name(), p.Number, p.Link, ErrLinkType)
		}
		if run(s.prog.Raw, p.Data, uint32(p.OrigLen), Tag{}) != 0 {
			return nil
		}
		s.filtered.Add(1)
	}
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
