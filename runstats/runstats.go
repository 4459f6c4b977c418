package runstats

import "time"

// Capture describes one input file of a run.
type Capture struct {
	File    string `json:"file"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	Error   string `json:"error,omitempty"`
	// DamageOffset is the byte offset of the damage when Error is set.
	DamageOffset int64 `json:"damage_offset,omitempty"`
}

// Stats describes a whole run. The JSON names are those of the report's
// "stats" object (schema version 1).
type Stats struct {
	// Partial is set when the run stopped before the end of its input
	// (it was interrupted): everything here counts only what was read by
	// then, and PartialReason says why it stopped.
	Partial       bool              `json:"partial,omitempty"`
	PartialReason string            `json:"partial_reason,omitempty"`
	Captures      []Capture         `json:"captures"`
	Packets       uint64            `json:"packets"`
	Bytes         uint64            `json:"bytes"`
	Flows         uint64            `json:"flows"`
	EvictedFlows  uint64            `json:"evicted_flows"`
	ExpiredFlows  uint64            `json:"-"` // depends on how flows were sharded; not reported
	PeakFlows     uint64            `json:"-"` // sum of the shards' peaks: depends on sharding; not reported
	DecodeErrors  map[string]uint64 `json:"decode_errors"`
	Fragments     uint64            `json:"fragments"`
	Truncated     uint64            `json:"truncated"`
	NonIP         uint64            `json:"non_ip"`
	// TCPGaps counts the holes skipped in the reassembled streams of ICS
	// flows (segments the capture lost; the segments after a hole are
	// analyzed); TCPDroppedBytes the captured bytes that could not be
	// parsed: the part of a PDU before a hole, a PDU left incomplete at a
	// flow's end, bytes shed.
	TCPGaps         uint64 `json:"tcp_gaps"`
	TCPDroppedBytes uint64 `json:"tcp_dropped_bytes"`
	// TCPShedBytes counts, of TCPDroppedBytes, the pending bytes dropped
	// to keep reassembly within the memory budget (--flow-memory).
	TCPShedBytes uint64 `json:"tcp_shed_bytes"`
	// HostsDropped counts the hosts, MACs, identities and stations not
	// remembered because the observation tables were full (their share of
	// the memory budget).
	HostsDropped    uint64     `json:"hosts_dropped"`
	ExternalDropped uint64     `json:"external_dropped"` // external addresses not remembered as asset candidates (observe.MaxExternalHosts)
	Routers         []string   `json:"routers,omitempty"`
	FirstTS         *time.Time `json:"first_ts"`
	LastTS          *time.Time `json:"last_ts"`

	// Analyzers counts, per protocol analyzer, the flows it confirmed and
	// those it gave up on.
	Analyzers map[string]Analyzer `json:"analyzers"`
	// UnknownLinkTypes counts, per link type (its tcpdump name, e.g.
	// "LINKTYPE_147"), the packets not analyzed because no decoder knows
	// their link layer: a capture (or pcapng interface) of such a link
	// type is read but not looked into.
	UnknownLinkTypes map[string]uint64 `json:"unknown_link_types,omitempty"`
	// EventsLate counts events written after an event of a later time:
	// a capture whose timestamps go back by more than the events' merge
	// window (a few thousand packets).
	EventsLate uint64 `json:"events_late,omitempty"`
	// EventsFiltered counts events the caller's filter
	// (pipeline.Options.KeepEvent) did not want: not handed on.
	EventsFiltered uint64 `json:"events_filtered,omitempty"`
	// Filter is the filter expression the captures were read through
	// (analyze --bpf); Filtered counts the packets it left out, which
	// are in no other count.
	Filter   string `json:"filter,omitempty"`
	Filtered uint64 `json:"filtered,omitempty"`
	// ExpectDropped counts announcements of data flows (FTP PORT, EPRT,
	// PASV, EPSV; TFTP requests) not remembered because the table of live
	// announcements was full: their data flows stay unidentified.
	ExpectDropped uint64 `json:"expect_dropped,omitempty"`
	// CyclicIO counts the cyclic I/O data of real-time industrial
	// protocols (PROFINET RT at layer 2 and over UDP) per connection; nil
	// when the run saw none.
	CyclicIO *CyclicIO `json:"cyclic_io,omitempty"`
}

// CyclicIO counts cyclic I/O frames: every one (Frames, those too short
// to carry their status, counted as malformed, included), per connection
// (Conns, sorted by transport, provider, consumer, frame ID), and those
// of the connections not counted one by one because a reader's table was
// full (PROFINET: 768 connections per pipeline worker).
type CyclicIO struct {
	Frames uint64   `json:"frames"`
	Conns  []IOConn `json:"connections"`
	// DroppedFrames counts the frames of connections not in Conns;
	// DroppedConns those connections (an undercount beyond a few
	// hundred: they are told apart by a hash in a small set).
	DroppedFrames uint64 `json:"dropped_frames,omitempty"`
	DroppedConns  uint64 `json:"dropped_connections,omitempty"`
}

// IOConn is one cyclic I/O connection: a provider sending one frame ID
// to a consumer, its frames, data bytes, the frames sent while the
// provider was in stop or with data marked invalid, the changes of its
// data status (provider run/stop, data valid, station problem,
// primary/backup) and the last status.
type IOConn struct {
	Protocol  string `json:"protocol"`  // "profinet"
	Transport string `json:"transport"` // "ethernet" or "udp"
	Provider  string `json:"provider"`  // MAC (ethernet) or address:port (udp)
	Consumer  string `json:"consumer"`
	VLAN      uint16 `json:"vlan,omitempty"`
	FrameID   uint16 `json:"frame_id"`
	Class     string `json:"class"` // RT_CLASS_1, RT_CLASS_UDP, …
	Frames    uint64 `json:"frames"`
	Bytes     uint64 `json:"bytes"`
	Changes   uint64 `json:"status_changes"`
	Stopped   uint64 `json:"provider_stopped"`
	Invalid   uint64 `json:"data_invalid"`
	// LastStatus is the last data status: "run" or "stop", then
	// ", invalid", ", problem", ", backup" when so.
	LastStatus string `json:"last_status"`
}

// Analyzer counts, for one protocol analyzer, the flows it confirmed
// (parsed as its protocol) and the flows on which it met bytes it could
// not parse where its protocol should be (violations: framing errors,
// malformed PDUs, messages that fail to parse after the probe matched). A
// flow may count in both. Data flows announced by a control flow (FTP,
// TFTP) are not counted.
type Analyzer struct {
	Confirmed  uint64 `json:"confirmed"`
	Violations uint64 `json:"violations"`
	// Resyncs counts the PDU boundaries a stream analyzer found again
	// after a gap (a hole in the capture, a framing error, a flow seen
	// midway), SkippedBytes the bytes it skipped to find them: the rest
	// of the PDUs the gaps cut, and bytes that were not its protocol.
	Resyncs      uint64 `json:"resyncs,omitempty"`
	SkippedBytes uint64 `json:"skipped_bytes,omitempty"`
	// Dropped counts the analyzer's per-flow bookkeeping that did not fit
	// its fixed tables (proto.Dropper): requests evicted before their
	// answer, I/O connections beyond a flow's table, calls being joined
	// given up, named pipes beyond a flow's. What it names is still
	// analyzed; what it would have added (a pairing, a count) is not.
	Dropped uint64 `json:"dropped,omitempty"`
}

// MemoryDropped reports whether the memory budget made the run drop
// anything: flows evicted, reassembly bytes shed, hosts not remembered.
func (s *Stats) MemoryDropped() bool {
	return s.EvictedFlows > 0 || s.TCPShedBytes > 0 || s.HostsDropped > 0
}

// Damaged returns how many captures were damaged.
func (s *Stats) Damaged() int {
	n := 0
	for _, c := range s.Captures {
		if c.Error != "" {
			n++
		}
	}
	return n
}

// UnknownLinkTotal returns how many packets were of a link type no
// decoder knows.
func (s *Stats) UnknownLinkTotal() uint64 {
	var n uint64
	for _, v := range s.UnknownLinkTypes {
		n += v
	}
	return n
}

// DecodeErrorTotal returns the sum of the decode errors of every layer and
// protocol.
func (s *Stats) DecodeErrorTotal() uint64 {
	var n uint64
	for _, v := range s.DecodeErrors {
		n += v
	}
	return n
}
