// Package capture reads packets from capture files (pcap and pcapng) and is the
// first stage of the harborwatch data path: source → decode → flow → analyzers
// → detect.
//
// Open (or NewReader, for a stream) recognises the format from the first
// bytes: pcap in either byte order with micro- or nanosecond timestamps
// (draft-ietf-opsawg-pcap), or pcapng (draft-ietf-opsawg-pcapng) with any
// number of sections, each in its own byte order, and any number of
// interfaces, each with its own link type, timestamp resolution (if_tsresol,
// decimal or binary) and offset (if_tsoffset). Enhanced, Simple and the
// obsolete Packet Blocks carry packets; other blocks are skipped by length.
// Timestamps come out as nanoseconds since the epoch, whatever the file's
// resolution. Merge reads several Sources as one timeline, by timestamp.
// PcapWriter and PcapNGWriter write files, for tests and the synthetic
// traffic generator.
//
// Ownership: a Source owns one reusable buffer. The Data of a Packet filled by
// Next is borrowed and valid only until the next call to Next on the same
// Source; callers that keep bytes must copy them. No Source allocates per
// packet in steady state: the buffer grows only when a packet larger than
// any before arrives, and then only as fast as the bytes actually arrive, so
// a hostile length field cannot make a short file allocate much. A Merge
// holds one pending packet per source and advances only the source whose
// packet it handed out last, so every pending packet's Data stays valid.
//
// Performance: input is read through one 64 KiB bufio.Reader per file and
// each packet is copied once, into the Source's buffer. Reading straight from
// the bufio buffer would save the copy but tie the packet size to the bufio
// size; at several million packets per second the copy is not what limits
// the pipeline.
//
// Content hash: with Options.Hash (OpenWith, NewReaderWith) a Source
// computes the SHA-256 of its input while reading it, so that evidence can
// name a capture by content rather than by path; SHA256 returns it once the
// input is read to its end. The hash sees the bytes as they enter the read
// buffer, once per buffer fill; it is off by default because SHA-256 runs
// at one to two gigabytes a second on one core, several times slower than
// the reading alone (BenchmarkNext/pcap+sha256). Of a damaged file, the sum is still
// that of the whole file: after the damage the rest of the input is read,
// unparsed, into the hash.
//
// Damage: a damaged or truncated file is not fatal. Next returns every packet
// before the damage, then a *DamageError naming the file, the byte offset of
// the first record or block that could not be read, and the number of the
// packet that would have come next, then io.EOF. It wraps ErrTruncated (the
// file ends inside a header, record or block) or ErrCorrupt (impossible
// lengths or versions, a trailing block length that differs from the leading
// one, a packet for an undefined interface). A file that ends exactly at a
// record or block boundary ends cleanly. A file that is not a capture at all
// fails in Open with ErrNotCapture; a capture whose file header is damaged
// fails in Open with a *DamageError.
//
// Concurrency: a Source, a Merged and the writers are not safe for concurrent
// use. Different Sources may be read from different goroutines.
package capture
