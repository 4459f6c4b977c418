package capture

import (
	"errors"
	"strconv"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrNotCapture is wrapped by the error Open and NewReader return when
	// the input is neither pcap nor pcapng (or is empty).
	ErrNotCapture = errors.New("capture: not a capture file")
	// ErrTruncated is wrapped by a *DamageError when the input ends in the
	// middle of a header, record or block.
	ErrTruncated = errors.New("capture: truncated")
	// ErrCorrupt is wrapped by a *DamageError when a header, record or
	// block holds values that cannot be right (lengths, versions, magic
	// numbers, references to undefined interfaces).
	ErrCorrupt = errors.New("capture: corrupt")
)

// DamageError reports where a capture file stops being readable. Every
// packet before Offset has been returned; nothing after it is read.
type DamageError struct {
	File   string // name given at Open or NewReader
	Offset int64  // byte offset of the first record or block that could not be read
	Packet int64  // number of the packet that would have come next (1-based)
	Err    error  // what is wrong; wraps ErrTruncated or ErrCorrupt
}

// Error reads like "x.pcap: damaged at byte 1234 (after packet 56):
// truncated record data".
func (e *DamageError) Error() string {
	where := "(before the first packet)"
	if e.Packet > 1 {
		where = "(after packet " + strconv.FormatInt(e.Packet-1, 10) + ")"
	}
	return e.File + ": damaged at byte " + strconv.FormatInt(e.Offset, 10) + " " + where + ": " + e.Err.Error()
}

// Unwrap returns Err, so errors.Is(err, ErrTruncated) and
// errors.Is(err, ErrCorrupt) work on a *DamageError.
func (e *DamageError) Unwrap() error { return e.Err }

// damage is a specific kind of damage: its own message, and the sentinel
// (ErrTruncated or ErrCorrupt) it belongs to. The values below are built
// once so that reporting damage costs one allocation, the *DamageError.
type damage struct {
	kind error
	msg  string
}

func (d *damage) Error() string { return d.msg }
func (d *damage) Unwrap() error { return d.kind }

func truncated(msg string) error { return &damage{kind: ErrTruncated, msg: msg} }
func corrupt(msg string) error   { return &damage{kind: ErrCorrupt, msg: msg} }

// Damage shared by both formats and the pcap format (draft-ietf-opsawg-pcap).
var (
	errTruncFileHeader   = truncated("truncated file header")
	errTruncRecordHeader = truncated("truncated record header")
	errTruncRecordData   = truncated("truncated record data")
	errPcapVersion       = corrupt("unsupported pcap version (want 2.x)")
	errRecordTooLong     = corrupt("record length exceeds the snap length")
	errCapOverOrig       = corrupt("captured length exceeds original length")
)

// Damage in pcapng files (draft-ietf-opsawg-pcapng).
var (
	errTruncBlockHeader = truncated("truncated block header")
	errTruncBlock       = truncated("truncated block")
	errBlockLength      = corrupt("implausible block length")
	errBlockShort       = corrupt("block too short for its type")
	errTrailer          = corrupt("trailing block length differs from leading one")
	errByteOrder        = corrupt("bad byte-order magic in section header")
	errOption           = corrupt("option runs past the end of its block")
	errTSResol          = corrupt("unusable timestamp resolution (if_tsresol)")
	errTSOffset         = corrupt("bad if_tsoffset option")
	errTooManyIfaces    = corrupt("too many interfaces in one section")
	errNoIface          = corrupt("packet refers to an undefined interface")
	errBlockCapLen      = corrupt("captured length exceeds the block")
)

// openError is what Open and NewReader return for input that is not a
// capture: it names the file and says what was found, and unwraps to
// ErrNotCapture (or to the underlying I/O error).
type openError struct {
	name string
	what string
	err  error
}

func (e *openError) Error() string { return "open " + e.name + ": " + e.what }
func (e *openError) Unwrap() error { return e.err }
