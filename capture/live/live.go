//go:build linux

// Package live captures packets from network interfaces with Linux
// AF_PACKET and a TPACKET_V3 memory-mapped ring, as a capture.Source the
// pipeline reads like a file: promiscuous, VLAN tags put back, kernel
// drops counted.
//
// The ring is read in place: the kernel fills blocks of packets, Next
// walks a block's packets and hands the block back when it has read them
// all, so a packet costs no system call and no allocation (the only copy
// is the one that puts back a VLAN tag the kernel took off, into a buffer
// of the Source's own). Pure Go, no cgo.
package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"harborwatch/capture"
)

// Options configure a capture.
type Options struct {
	// Ring is the size of the kernel ring in bytes (0 → 64 MiB); it is
	// rounded to whole blocks of 1 MiB.
	Ring int
	// Snaplen bounds the bytes kept of each packet (0 → 65535).
	Snaplen int
	// Filter, when not empty, is a classic BPF program the kernel runs
	// on each packet before it enters the ring (SO_ATTACH_FILTER): a
	// packet it rejects costs no copy, is not read and is not counted in
	// Stats. The kernel has taken the outermost VLAN tag off the bytes
	// by then (a program finds it with the ancillary loads
	// SKF_AD_VLAN_TAG_PRESENT and SKF_AD_VLAN_TAG): package
	// capture/filter compiles expressions for this (filter.Socket).
	Filter []bpf.RawInstruction
}

// Ring geometry and timing.
const (
	blockSize = 1 << 20
	// retireMS is how long the kernel fills a block before handing it
	// over part full: the latency of a quiet link.
	retireMS = 50
	// pollMS bounds a wait for a block, so Stop is seen.
	pollMS = 200
)

// Offsets in struct tpacket_block_desc (its tpacket_hdr_v1 at 8) and in
// struct tpacket3_hdr (linux/if_packet.h).
const (
	bdStatus     = 8
	bdNumPkts    = 12
	bdFirstPkt   = 16
	pkNext       = 0
	pkSec        = 4
	pkNsec       = 8
	pkSnaplen    = 12
	pkLen        = 16
	pkStatus     = 20
	pkMac        = 24
	pkVLANTCI    = 32
	pkVLANTPID   = 36
	tpStatusTPID = 1 << 6 // TP_STATUS_VLAN_TPID_VALID
)

// Source reads one interface.
type Source struct {
	name    string
	fd      int
	ring    []byte
	blocks  int
	n       int64
	stopped atomic.Bool
	buf     []byte // a packet with its VLAN tag put back

	cur     int // block being read, -1 before the first
	left    uint32
	next    int // offset in the ring of the next packet of cur
	pollset [1]unix.PollFd

	statsMu sync.Mutex
	total   Stats
}

// Open starts capturing on the interface named iface.
func Open(iface string, o Options) (*Source, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	if o.Ring <= 0 {
		o.Ring = 64 << 20
	}
	if o.Snaplen <= 0 {
		o.Snaplen = 65535
	}
	blocks := max(o.Ring/blockSize, 2)
	frame := 1 << 11
	for frame < o.Snaplen+128 && frame < blockSize {
		frame <<= 1
	}
	// Protocol 0: the socket receives nothing until bind names the
	// interface and ETH_P_ALL, so no packet of another interface enters
	// the ring meanwhile.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w (it needs root or CAP_NET_RAW)", iface, err)
	}
	s := &Source{name: iface, fd: fd, blocks: blocks, buf: make([]byte, o.Snaplen+4), cur: -1}
	fail := func(what string, err error) (*Source, error) {
		s.Close()
		return nil, fmt.Errorf("capture on %s: %s: %w", iface, what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("TPACKET_V3", err)
	}
	req := unix.TpacketReq3{
		Block_size: blockSize, Block_nr: uint32(blocks),
		Frame_size: uint32(frame), Frame_nr: uint32(blocks * (blockSize / frame)),
		Retire_blk_tov: retireMS,
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail("ring of "+fmt.Sprint(blocks)+" MiB", err)
	}
	if s.ring, err = unix.Mmap(fd, 0, blocks*blockSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err != nil {
		return fail("mmap", err)
	}
	if len(o.Filter) > 0 {
		// Before bind: no packet enters the ring unfiltered.
		prog := make([]unix.SockFilter, len(o.Filter))
		for i, in := range o.Filter {
			prog[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
		}
		fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
		if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fp); err != nil {
			return fail("filter", err)
		}
		// The kernel keeps a copy: prog is not needed after the call.
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return fail("bind", err)
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fail("promiscuous mode", err)
	}
	// The counters run from here: reading them clears them.
	if _, err := unix.GetsockoptTpacketStatsV3(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err != nil {
		return fail("statistics", err)
	}
	s.pollset[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}
	return s, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// u32 reads a native-endian (the kernel's) 32-bit field of the ring.
func (s *Source) u32(off int) uint32 {
	return *(*uint32)(unsafe.Pointer(&s.ring[off]))
}

// blockStatus reads a block's status as the kernel publishes it.
func (s *Source) blockStatus(b int) uint32 {
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&s.ring[b*blockSize+bdStatus])))
}

// Next fills p with the next packet, waiting for one; after Stop it
// returns io.EOF. The packet's bytes are valid until the next call.
func (s *Source) Next(p *capture.Packet) error {
	for s.left == 0 {
		if s.cur >= 0 {
			// Every packet of the block read: hand it back.
			atomic.StoreUint32((*uint32)(unsafe.Pointer(&s.ring[s.cur*blockSize+bdStatus])), unix.TP_STATUS_KERNEL)
			s.cur = (s.cur + 1) % s.blocks
		} else {
			s.cur = 0
		}
		for s.blockStatus(s.cur)&unix.TP_STATUS_USER == 0 {
			if s.stopped.Load() {
				return io.EOF
			}
			_, err := unix.Poll(s.pollset[:], pollMS)
			if err != nil && !errors.Is(err, unix.EINTR) {
				return fmt.Errorf("capture on %s: poll: %w", s.name, err)
			}
			if s.pollset[0].Revents&unix.POLLERR != 0 {
				return fmt.Errorf("capture on %s: the socket reported an error", s.name)
			}
		}
		base := s.cur * blockSize
		s.left = s.u32(base + bdNumPkts)
		s.next = base + int(s.u32(base+bdFirstPkt))
	}
	if s.stopped.Load() {
		return io.EOF
	}
	h := s.next
	s.left--
	if nx := s.u32(h + pkNext); nx != 0 {
		s.next = h + int(nx)
	}
	snap, length := int(s.u32(h+pkSnaplen)), int(s.u32(h+pkLen))
	mac := int(*(*uint16)(unsafe.Pointer(&s.ring[h+pkMac])))
	end := (s.cur + 1) * blockSize
	if h+mac+snap > end || snap < 0 {
		// A header the kernel would not write: skip the rest of the block.
		s.left = 0
		return s.Next(p)
	}
	data := s.ring[h+mac : h+mac+snap]
	status := s.u32(h + pkStatus)
	if tci := s.u32(h + pkVLANTCI); status&unix.TP_STATUS_VLAN_VALID != 0 && len(data) >= 12 {
		// The kernel took the 802.1Q tag off: put it back, as on the wire.
		tpid := uint16(unix.ETH_P_8021Q)
		if status&tpStatusTPID != 0 {
			tpid = uint16(s.u32(h+pkVLANTPID) & 0xffff)
		}
		n := copy(s.buf, data[:12])
		if n+4 <= len(s.buf) {
			binary.BigEndian.PutUint16(s.buf[n:], tpid)
			binary.BigEndian.PutUint16(s.buf[n+2:], uint16(tci))
			n += 4
			n += copy(s.buf[n:], data[12:])
		}
		data = s.buf[:n]
		length += 4
	}
	s.n++
	ts := int64(s.u32(h+pkSec))*1e9 + int64(s.u32(h+pkNsec))
	*p = capture.Packet{Data: data, OrigLen: length, TS: ts, Link: capture.LinkEthernet, Number: s.n}
	return nil
}

// Stop makes Next return io.EOF within the poll timeout (200 ms): the
// run ends as at the end of a file.
func (s *Source) Stop() { s.stopped.Store(true) }

// Name is the interface's name.
func (s *Source) Name() string { return s.name }

// Close releases the ring and the socket.
func (s *Source) Close() error {
	if s.ring != nil {
		unix.Munmap(s.ring)
		s.ring = nil
	}
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
	return nil
}

// Stats are the kernel's counts for the socket since it was opened:
// packets seen, packets dropped because the ring was full, and times the
// queue froze.
type Stats struct {
	Packets, Drops, Freezes uint64
}

// Stats reads the kernel's counters (PACKET_STATISTICS). The kernel
// clears them at each read; the Source adds them up. Safe to call while
// another goroutine reads packets.
func (s *Source) Stats() (Stats, error) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	v, err := unix.GetsockoptTpacketStatsV3(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return s.total, fmt.Errorf("capture on %s: statistics: %w", s.name, err)
	}
	s.total.Packets += uint64(v.Packets)
	s.total.Drops += uint64(v.Drops)
	s.total.Freezes += uint64(v.Freeze_q_cnt)
	return s.total, nil
}
