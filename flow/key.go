package flow

import (
	"encoding/binary"
	"net/netip"

	"harborwatch/decode"
)

// Key identifies a bidirectional flow: the innermost VLAN, the IP protocol
// and the two endpoints in canonical order, (A, APort) <= (B, BPort), so that
// both directions of a conversation have the same Key. Addresses compare as
// netip.Addr.Compare does (IPv4 before IPv6, then numerically); equal
// addresses compare by port.
//
// Ports are the TCP or UDP ports. For every other protocol, ICMP and ICMPv6
// included, both ports are 0: an ICMP "flow" is every ICMP message between
// two hosts on one VLAN, whatever its type and code.
type Key struct {
	VLAN         uint16
	Proto        uint8
	A, B         netip.Addr
	APort, BPort uint16
}

// KeyOf returns the flow key of p and whether the packet's source is the
// key's A side. A packet between two identical endpoints reports aIsSrc.
func KeyOf(p *decode.Packet) (k Key, aIsSrc bool) {
	sp, dp := ports(p)
	k.VLAN = p.VLAN()
	k.Proto = p.Proto
	if endpointLess(p.Dst, dp, p.Src, sp) {
		k.A, k.APort, k.B, k.BPort = p.Dst, dp, p.Src, sp
		return k, false
	}
	k.A, k.APort, k.B, k.BPort = p.Src, sp, p.Dst, dp
	return k, true
}

// ports returns the ports a flow is keyed on: the TCP or UDP ports when an
// L4 header was decoded, zero otherwise (decode puts ICMP type and code in
// SrcPort and DstPort; flows do not key on them).
func ports(p *decode.Packet) (src, dst uint16) {
	if p.HasL4 && (p.Proto == decode.ProtoTCP || p.Proto == decode.ProtoUDP) {
		return p.SrcPort, p.DstPort
	}
	return 0, 0
}

func endpointLess(a netip.Addr, ap uint16, b netip.Addr, bp uint16) bool {
	c := a.Compare(b)
	return c < 0 || c == 0 && ap < bp
}

// Hash returns a symmetric hash of the flow p belongs to: both directions
// give the same value, which is also Key.Hash of KeyOf(p). It uses fixed
// constants, so it is the same in every run and on every machine; the
// pipeline picks a worker shard as Hash(p) % N, which sends both directions
// of a flow to the same shard and table.
//
// Being deterministic, Hash is not meant to resist a sender that crafts
// collisions; a Table uses its own seeded hash for its buckets.
func Hash(p *decode.Packet) uint64 {
	sp, dp := ports(p)
	return hash5(p.VLAN(), p.Proto, p.Src, sp, p.Dst, dp)
}

// Hash returns the symmetric shard hash of the flow k (see the function Hash).
func (k Key) Hash() uint64 {
	return hash5(k.VLAN, k.Proto, k.A, k.APort, k.B, k.BPort)
}

// Mixing constants: arbitrary odd 64-bit values (digits of pi and e).
const (
	mixA = 0x243f6a8885a308d3
	mixB = 0x13198a2e03707344
	mixC = 0xb7e151628aed2a6b
)

// hash5 hashes each endpoint on its own and combines the two results in
// sorted order, which makes it symmetric without comparing addresses. Every
// step is a bijective finalizer, so no input word can cancel the others.
func hash5(vlan uint16, proto uint8, a netip.Addr, ap uint16, b netip.Addr, bp uint16) uint64 {
	ea, eb := endpointHash(a, ap), endpointHash(b, bp)
	if ea > eb {
		ea, eb = eb, ea
	}
	h := fmix(ea ^ mixC)
	h = fmix(h ^ eb)
	return fmix(h ^ uint64(vlan)<<8 ^ uint64(proto))
}

func endpointHash(a netip.Addr, port uint16) uint64 {
	b := a.As16()
	h := fmix(binary.BigEndian.Uint64(b[:8]) ^ mixA)
	h = fmix(h ^ binary.BigEndian.Uint64(b[8:]))
	return fmix(h ^ uint64(port) ^ mixB)
}

// fmix is the 64-bit finalizer of MurmurHash3: a bijection in which every
// input bit affects every output bit.
func fmix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// serverSide reports whether the sender of a flow's first packet, when it
// is not a SYN or SYN-ACK, is the server, from the evidence of the ports:
// src is a server's port (a system port, a listed registered one, or any
// port of the registered range below the ephemeral ranges, < 32768) and
// dst a client's ephemeral port (ephemeral). Otherwise the sender of the
// first packet is taken for the client.
func serverSide(src, dst uint16) bool {
	return (serverPort(src) || src < 32768) && ephemeral(dst, src)
}

// ephemeral reports whether port, facing the port other, is a client's
// port: in the dynamic range (>= 49152); above the system ports when other
// is a system port (older stacks pick client ports from 1025 up, some of
// them registered ports); or above the system ports and no server's port
// when other is a server's port (Linux picks client ports from 32768).
func ephemeral(port, other uint16) bool {
	switch {
	case port >= 49152:
		return true
	case port < 1024:
		return false
	case other < 1024:
		return true
	}
	return !serverPort(port) && serverPort(other)
}

// serverPort reports whether port is one a server listens on: the system
// ports (below 1024) and the registered ports of the OT, database and remote
// access services seen on port networks. It breaks the tie when the first
// packet of a flow is not a TCP SYN or SYN-ACK.
func serverPort(port uint16) bool {
	if port < 1024 {
		return true
	}
	switch {
	case port == 1433, // Microsoft SQL Server
		port == 1883,                   // MQTT
		port == 2222,                   // EtherNet/IP implicit I/O
		port == 2404,                   // IEC 60870-5-104
		port == 3306,                   // MySQL
		port == 3389,                   // RDP
		port == 4840,                   // OPC UA
		port == 5432,                   // PostgreSQL
		port >= 5900 && port <= 5910,   // VNC
		port == 5938,                   // TeamViewer
		port == 7070,                   // AnyDesk
		port == 8080,                   // HTTP alternate
		port == 8443,                   // HTTPS alternate
		port == 20000,                  // DNP3
		port >= 34962 && port <= 34964, // PROFINET RT/CM
		port == 44818,                  // EtherNet/IP explicit messaging
		port == 47808:                  // BACnet/IP
		return true
	}
	return false
}
