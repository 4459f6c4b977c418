// Package ring keeps the most recent packets a live capture read, so that
// a finding raised on them can still be given its evidence packets as a
// capture file although the sensor writes nothing else of the traffic to
// disk (harborwatch sensor --ring).
//
// Place in the data path: beside the source. A Ring wraps each capture
// Source of a run (Tap); every packet the pipeline reads is copied into
// the ring as Next returns it, before the pipeline sees it, so any finding
// that names a packet is made after the packet is in the ring. Cut then
// copies a finding's evidence packets out (by capture and packet number),
// as evidence.Packet values package evidence encodes.
//
// Memory: the packets live in a preallocated file of Options.Size bytes,
// not in the Go heap: the page cache holds what the kernel wants of it,
// outside the process's resident set. The file is written sequentially in
// blocks (Options.Block: 4 MiB, or a 16th of a smaller ring): packets are appended to one block in
// memory, which is written with one pwrite when full, so a packet costs a
// copy and no system call and no allocation. In memory besides the block:
// an index per capture, 4 bytes a packet (the record's offset in the file
// and a claimed bit), bounded to Options.Index entries over all captures
// (Size/128 by default: 8 MiB for the default 256 MiB ring), shared
// equally between the captures. A capture's packet numbers run on without
// a gap (the capture package numbers every packet), so the index of a
// capture is a window of numbers [oldest, newest] and a lookup is one
// subtraction.
//
// File layout: blocks of Options.Block bytes; each record is a 32-byte
// header — capture index, captured length, length on the wire, link type
// (uint32 each), packet number and timestamp in ns (int64 each), all
// little-endian — and the captured bytes, padded to 8 bytes; a record
// never crosses a block. The file is made anew by Open and removed by
// Close: it is not read after a restart (a ring is of one run of the
// sensor; the packets of an earlier run are no evidence of this one's
// findings), so there is no reader of foreign ring files.
//
// Bounds and counts: when the writer starts a block again it evicts the
// packets the block held (so the ring holds the last Size-Block bytes at
// least); when a capture's index is full its oldest packet is evicted.
// An evicted packet no Cut ever asked for is counted in
// Stats.Overwritten; a packet Cut asks for that is no longer held is
// returned as missing and counted in Stats.Missing. Nothing leaves the
// ring uncounted.
//
// Concurrency: Append (through the Tap sources) is called by the run's
// reader, Cut and Stats by any goroutine; a mutex orders them. Cut reads
// the file outside the mutex and checks afterwards that what it read was
// not overwritten meanwhile.
package ring
