// Package evidence writes the packets a finding rests on to capture files
// an analyst can open: for each request (an ID and a list of packets, each
// a capture's index and a 1-based packet number, as Wireshark numbers
// frames), a file DIR/<ID>.pcap holding exactly those packets, in the order
// the request lists them, with their original timestamps (to the
// nanosecond), captured bytes, lengths on the wire and link types.
//
// Place in the data path: it sits beside the views, after the analysis. It
// reads the captures again, with the capture package, once: one pass over
// each file, in the run's file order, for all requests together, stopping
// after the last packet any request asks of that file. It imports capture
// and the standard library only; it knows nothing of findings, so any
// caller (the CLI today, a server later) turns its own records into
// requests.
//
// Format: a request whose packets share one link type is written as pcap
// (little-endian, nanosecond timestamps, magic 0xa1b23c4d); one whose
// packets come from interfaces of different link types is written as
// pcapng, DIR/<ID>.pcapng, with one interface per link type.
//
// Bounds: at most Options.MaxPackets packets per request (the first ones
// it lists) and at most Options.MaxBytes captured bytes over all the files
// written, given to packets in the order the pass meets them (file order,
// then packet number; for a packet several requests want, in request
// order). What the bounds leave out is counted per request and in total;
// nothing is dropped silently. A packet the captures do not hold (a number
// beyond a file's end, or at or after the damage in a damaged file) is
// reported as missing. Memory is bounded by MaxBytes: each packet wanted is
// copied once, however many requests want it.
//
// Ownership and concurrency: Write owns nothing after it returns; the
// Result is the caller's. Write may be called from several goroutines at
// once for different directories.
package evidence
