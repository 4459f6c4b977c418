// Package spool is a bounded, on-disk, first-in first-out queue of
// records: the sensor's buffer for what it publishes while the link to
// the message bus is down (package bus).
//
// Records are appended to segment files (DIR/NNNNNNNNNNNNNNNNNNNN.seg),
// each record a 4-byte big-endian length, the CRC-32C of the payload and
// the payload (docs/formats/bus.md, "The local queue"). A reader takes
// records from the oldest end without removing them (Read), and removes
// them only once they are delivered (Commit); the read position is kept
// in DIR/cursor, so records not yet committed survive a restart and are
// read again — delivery is at least once, and the bus's message ids make it exactly
// once where it matters. Segments wholly behind the cursor are deleted.
//
// The queue is bounded by Options.Max bytes on disk: an Append that does
// not fit is refused with ErrFull and counted (Stats.Dropped), never lost
// silently. Records are written through a small buffer that Read, Sync
// and Close flush: a process killed loses none that Read could have seen;
// a power cut may lose the last unsynced ones. A torn record at the end
// (a crash in the middle of a write) and damaged records (bad length or
// checksum) are counted in Stats.Damaged and skipped.
//
// A Spool is safe for concurrent use: typically one goroutine appends and
// another reads and commits.
package spool
