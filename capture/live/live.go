//go:build linux

// Package live captures packets from network interfaces with Linux
// AF_PACKET and a TPACKET_V3 memory-mapped ring (through gopacket's
// afpacket, pure Go), as a capture.Source the pipeline reads like a file:
// promiscuous, VLAN tags kept, kernel drops counted.
package live

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/afpacket"

	"harborwatch/capture"
)

// Options configure a capture.
type Options struct {
	// Ring is the size of the kernel ring in bytes (0 → 64 MiB); it is
	// rounded to whole blocks of 1 MiB.
	Ring int
	// Snaplen bounds the bytes kept of each packet (0 → 65535).
	Snaplen int
}

// Source reads one interface.
type Source struct {
	name    string
	tp      *afpacket.TPacket
	n       int64
	stopped atomic.Bool
	buf     []byte
}

// Open starts capturing on the interface named iface.
func Open(iface string, o Options) (*Source, error) {
	if _, err := net.InterfaceByName(iface); err != nil {
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	if o.Ring <= 0 {
		o.Ring = 64 << 20
	}
	if o.Snaplen <= 0 {
		o.Snaplen = 65535
	}
	const block = 1 << 20
	blocks := max(o.Ring/block, 2)
	frame := 1 << 11
	for frame < o.Snaplen+128 && frame < block {
		frame <<= 1
	}
	tp, err := afpacket.NewTPacket(afpacket.OptInterface(iface), afpacket.TPacketVersion3,
		afpacket.OptBlockSize(block), afpacket.OptNumBlocks(blocks), afpacket.OptFrameSize(frame),
		afpacket.OptPollTimeout(200*time.Millisecond), afpacket.OptBlockTimeout(50*time.Millisecond),
		afpacket.OptAddVLANHeader(true))
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w (it needs root or CAP_NET_RAW)", iface, err)
	}
	if err := tp.SetPromiscuous(true); err != nil {
		tp.Close()
		return nil, fmt.Errorf("capture on %s: promiscuous mode: %w", iface, err)
	}
	_ = tp.InitSocketStats()
	return &Source{name: iface, tp: tp, buf: make([]byte, o.Snaplen)}, nil
}

// Next fills p with the next packet, waiting for one; after Stop it
// returns io.EOF. The packet's bytes are valid until the next call.
func (s *Source) Next(p *capture.Packet) error {
	for {
		if s.stopped.Load() {
			return io.EOF
		}
		data, ci, err := s.tp.ZeroCopyReadPacketData()
		switch {
		case errors.Is(err, afpacket.ErrTimeout):
			continue
		case err != nil:
			if s.stopped.Load() {
				return io.EOF
			}
			return fmt.Errorf("capture on %s: %w", s.name, err)
		}
		n := copy(s.buf, data)
		s.n++
		*p = capture.Packet{Data: s.buf[:n], OrigLen: ci.Length, TS: ci.Timestamp.UnixNano(), Link: capture.LinkEthernet, Number: s.n}
		return nil
	}
}

// Stop makes Next return io.EOF within the poll timeout (200 ms): the
// run ends as at the end of a file.
func (s *Source) Stop() { s.stopped.Store(true) }

// Name is the interface's name.
func (s *Source) Name() string { return s.name }

// Close releases the ring.
func (s *Source) Close() error {
	s.tp.Close()
	return nil
}

// Stats are the kernel's counts for the socket: packets seen and packets
// dropped because the ring was full.
type Stats struct {
	Packets, Drops, Freezes uint64
}

// Stats reads the kernel's counters (PACKET_STATISTICS).
func (s *Source) Stats() (Stats, error) {
	_, v3, err := s.tp.SocketStats()
	if err != nil {
		return Stats{}, err
	}
	return Stats{Packets: uint64(v3.Packets()), Drops: uint64(v3.Drops()), Freezes: uint64(v3.QueueFreezes())}, nil
}
