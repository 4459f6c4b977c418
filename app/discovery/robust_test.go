package discovery

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"unsafe"
)

// protocol ties a parser to the tests every parser must pass.
type protocol struct {
	name  string
	goods [][]byte
	// parse parses b into a fresh result and returns it (with its error
	// field cleared, for comparison), the error and the byte slices of the
	// result.
	parse func(b []byte) (res any, slices [][]byte, err error)
	// prefixOK says whether good[:i] may parse without error: it is then
	// also a complete message, whose result is res.
	prefixOK func(good []byte, i int, res any) bool
}

func protocols() []protocol {
	return []protocol{
		{
			name:  "dhcp",
			goods: [][]byte{dhcpDiscoverWin, dhcpRequestCam, dhcpAckCam, dhcpInformPLC},
			parse: func(b []byte) (any, [][]byte, error) {
				var d DHCP
				err := ParseDHCP(b, &d)
				err = detach(err) // the *Error lives in the result, cleared next
				d.err = Error{}
				return d, [][]byte{d.Hostname, d.DomainName, d.VendorClass, d.ClientID, d.FQDN, d.ParamRequest}, err
			},
			// Only the padding after End may go.
			prefixOK: func(good []byte, i int, res any) bool { return sameAsWhole("dhcp", good, res) },
		},
		{
			name:  "lldp",
			goods: [][]byte{lldpScalance, lldpET200SP, lldpLinux},
			parse: func(b []byte) (any, [][]byte, error) {
				var l LLDP
				err := ParseLLDP(b, &l)
				err = detach(err) // the *Error lives in the result, cleared next
				l.err = Error{}
				return l, [][]byte{l.ChassisID, l.PortID, l.PortDescription, l.SystemName, l.SystemDescription}, err
			},
			// End is optional: a cut after a whole TLV past Time To Live is
			// a shorter LLDPDU, without End.
			prefixOK: func(good []byte, i int, res any) bool {
				n, ok := lldpBoundary(good, i)
				return ok && n >= 3 && !res.(LLDP).End
			},
		},
		{
			name:  "cdp",
			goods: [][]byte{cdpIE4000, cdpOddLow, cdpOddHigh},
			parse: func(b []byte) (any, [][]byte, error) {
				var c CDP
				err := ParseCDP(b, &c)
				err = detach(err) // the *Error lives in the result, cleared next
				c.err = Error{}
				return c, [][]byte{c.DeviceID, c.PortID, c.SoftwareVersion, c.Platform}, err
			},
			// A cut after a whole TLV is a shorter advertisement, which the
			// checksum gives away.
			prefixOK: func(good []byte, i int, res any) bool {
				return cdpBoundary(good, i) && !res.(CDP).ChecksumOK
			},
		},
		{
			name:  "dcp",
			goods: [][]byte{dcpET200SPIdent, dcpIdentAll, dcpIdentName, dcpSetName, dcpSetResp, dcpHello, dcpGetReq, dcpGetResp},
			parse: func(b []byte) (any, [][]byte, error) {
				var d DCP
				err := ParseDCP(b, &d)
				err = detach(err) // the *Error lives in the result, cleared next
				d.err = Error{}
				return d, [][]byte{d.NameOfStation, d.TypeOfStation, d.AliasName}, err
			},
			// DCPDataLength covers everything.
			prefixOK: func([]byte, int, any) bool { return false },
		},
	}
}

// detach copies the *Error that err points to out of the parser's result.
func detach(err error) error {
	if e, ok := err.(*Error); ok {
		c := *e
		return &c
	}
	return err
}

// sameAsWhole reports whether res is what the whole message good parses to.
func sameAsWhole(proto string, good []byte, res any) bool {
	for _, p := range protocols() {
		if p.name == proto {
			whole, _, err := p.parse(exact(good))
			return err == nil && reflect.DeepEqual(whole, res)
		}
	}
	return false
}

// lldpBoundary reports whether offset i of the LLDPDU b falls between two
// TLVs, walking the 7+9-bit TLV headers, and how many TLVs come before it.
func lldpBoundary(b []byte, i int) (n int, ok bool) {
	for j := 0; j < len(b); j += 2 + int(binary.BigEndian.Uint16(b[j:])&0x1ff) {
		if j == i {
			return n, true
		}
		n++
	}
	return n, false
}

// cdpBoundary reports whether offset i of the CDP LLC payload b falls
// between two TLVs.
func cdpBoundary(b []byte, i int) bool {
	for j := 12; j < len(b); j += int(binary.BigEndian.Uint16(b[j+2:])) {
		if j == i {
			return true
		}
	}
	return false
}

// TestTruncated cuts every good message at every byte: each prefix is
// ErrTruncated, unless it is itself a complete message (see prefixOK), and
// nothing reads past the cut (exact makes an over-read panic).
func TestTruncated(t *testing.T) {
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) {
			for k, good := range p.goods {
				if _, _, err := p.parse(exact(good)); err != nil {
					t.Fatalf("message %d: %v", k, err)
				}
				for i := range len(good) {
					res, _, err := p.parse(exact(good[:i]))
					switch {
					case err == nil && !p.prefixOK(good, i, res):
						t.Fatalf("message %d cut at %d: no error", k, i)
					case err != nil && !errors.Is(err, ErrTruncated):
						t.Fatalf("message %d cut at %d: %v, want ErrTruncated", k, i, err)
					}
				}
			}
		})
	}
}

// TestCorrupt flips bits of every byte of every good message: no panic, an
// *Error whose offset lies within the input, or a result whose slices lie
// within it.
func TestCorrupt(t *testing.T) {
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) {
			for _, good := range p.goods {
				for i := range good {
					for _, x := range []byte{0x01, 0x02, 0x80, 0xff} {
						in := exact(good)
						in[i] ^= x
						_, slices, err := p.parse(in)
						checkOutcome(t, in, slices, err)
					}
				}
			}
		})
	}
}

// checkOutcome checks what any parse of in must satisfy.
func checkOutcome(t testing.TB, in []byte, slices [][]byte, err error) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%x: error %T %v is not an *Error", in, err, err)
		}
		if e.Offset < 0 || e.Offset > len(in) || e.What == "" || e.Proto == "" {
			t.Fatalf("%x: bad error %+v", in, e)
		}
		if !isSentinel(err) {
			t.Fatalf("%x: error %v wraps no sentinel", in, err)
		}
		_ = err.Error()
	}
	for _, s := range slices {
		within(t, in, s)
	}
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrTruncated, ErrMalformed, ErrNotDHCP, ErrNotCDP, ErrNotDCP} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// within fails unless s is nil, or empty, or a subslice of b. It compares
// addresses, in constant time: the fuzz targets call it on every input.
func within(t testing.TB, b, s []byte) {
	t.Helper()
	if len(s) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	if len(b) == 0 || p < lo || p+uintptr(len(s)) > lo+uintptr(len(b)) {
		t.Fatalf("slice %q is not inside the input", s)
	}
}

func TestErrorString(t *testing.T) {
	var l LLDP
	err := ParseLLDP(exact(lldpHead[:16]), &l)
	if got, want := err.Error(), "discovery: lldp: truncated at offset 16: time to live tlv"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	var d DCP
	err = ParseDCP(hx("8000"), &d)
	if got, want := err.Error(), "discovery: dcp: not profinet dcp at offset 0: frame id"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
