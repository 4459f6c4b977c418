package discovery

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every parser returns an *Error that wraps one of them,
// so errors.Is(err, ErrTruncated) and the like classify any failure for a
// counter; the *Error adds what and where.
var (
	// ErrTruncated: the input ends inside a header, an option, a TLV or a
	// block, or before a part the message cannot do without.
	ErrTruncated = errors.New("discovery: truncated")
	// ErrMalformed: a length, a type or an order the specification forbids.
	ErrMalformed = errors.New("discovery: malformed")
	// ErrNotDHCP: the UDP payload is not a BOOTP/DHCP message.
	ErrNotDHCP = errors.New("discovery: not dhcp")
	// ErrNotCDP: the LLC payload is not LLC/SNAP with Cisco's OUI and the
	// CDP protocol id.
	ErrNotCDP = errors.New("discovery: not cdp")
	// ErrNotDCP: the frame ID is not one of PROFINET DCP's.
	ErrNotDCP = errors.New("discovery: not profinet dcp")
)

// Error tells which rule an input broke and where. It unwraps to one of the
// sentinel errors above.
//
// A parser returns a pointer to an Error kept inside its output struct
// (DHCP, LLDP, CDP, DCP), so that failing costs no allocation: the Error is
// valid until the next parse into the same struct. Copy it (*e) to keep it.
type Error struct {
	Proto  string // "dhcp", "lldp", "cdp" or "dcp"
	What   string // the field or structure at fault, e.g. "option 53 length"
	Offset int    // byte offset of the fault in the parser's input
	Err    error  // ErrTruncated, ErrMalformed, ErrNotDHCP, ErrNotCDP or ErrNotDCP
}

// Error formats e as "discovery: lldp: truncated at offset 42: system name
// tlv". It allocates; it is not meant for the per-packet path.
func (e *Error) Error() string {
	kind := "error"
	if e.Err != nil {
		kind = strings.TrimPrefix(e.Err.Error(), "discovery: ")
	}
	return "discovery: " + e.Proto + ": " + kind + " at offset " + strconv.Itoa(e.Offset) + ": " + e.What
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// set fills e and returns it as an error.
func (e *Error) set(proto string, err error, off int, what string) error {
	*e = Error{Proto: proto, What: what, Offset: off, Err: err}
	return e
}
