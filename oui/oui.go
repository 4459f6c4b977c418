package oui

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
)

// Registry is the IEEE registry a block was assigned from.
type Registry uint8

// Registries. The zero Registry is "none", the registry of the zero Block.
const (
	MAL Registry = iota + 1 // MA-L, MAC Address Block Large: 24-bit OUI
	MAM                     // MA-M, MAC Address Block Medium: 28 bits
	MAS                     // MA-S, MAC Address Block Small: 36-bit OUI-36
	IAB                     // IAB, Individual Address Block (closed, replaced by MA-S): 36 bits

	numRegistries // not a registry
)

// String returns the IEEE name: "MA-L", "MA-M", "MA-S" or "IAB"; "none" for
// the zero Registry and "registry?" out of range.
func (r Registry) String() string {
	switch r {
	case 0:
		return "none"
	case MAL:
		return "MA-L"
	case MAM:
		return "MA-M"
	case MAS:
		return "MA-S"
	case IAB:
		return "IAB"
	}
	return "registry?"
}

// MarshalText implements encoding.TextMarshaler with String.
func (r Registry) MarshalText() ([]byte, error) {
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for the names String
// returns (but "registry?").
func (r *Registry) UnmarshalText(b []byte) error {
	for v := range numRegistries {
		if string(b) == v.String() {
			*r = v
			return nil
		}
	}
	return fmt.Errorf("oui: unknown registry %.20q", b)
}

// Block is one assignment of the IEEE registries.
type Block struct {
	// Prefix is the assignment as the IEEE writes it: "00-1B-1B" (MA-L),
	// "70-B3-D5-0" (MA-M), "70-B3-D5-0A-E" (MA-S, IAB).
	Prefix string
	// Bits is the prefix length: 24, 28 or 36.
	Bits     int
	Registry Registry
	// Org is the organisation's name as registered, white space
	// normalised. "Private" is a real entry: the owner paid to be unlisted.
	// An old MA-L given to several organisations lists all of them,
	// sorted, joined by " | ".
	Org string
}

// AddrKind classifies a MAC address by its first octet.
type AddrKind uint8

// Address kinds. The zero AddrKind is "unknown"; Kind never returns it.
const (
	// Universal: a unicast address whose U/L bit is 0, assigned by the
	// owner of an IEEE block. Only these are attributed to a vendor.
	Universal AddrKind = iota + 1
	// Local: a locally administered unicast address (U/L bit 1) in the
	// SLAP ELI or SAI quadrant: second hex digit A or E.
	Local
	// Multicast: the I/G bit is 1 (group address, broadcast included),
	// whatever the U/L bit.
	Multicast
	// Randomized: a locally administered unicast address in the SLAP AAI
	// or reserved quadrant: second hex digit 2 or 6.
	Randomized
)

// String returns "universal", "local", "multicast" or "randomized";
// "unknown" for the zero AddrKind and "kind?" out of range.
func (k AddrKind) String() string {
	switch k {
	case 0:
		return "unknown"
	case Universal:
		return "universal"
	case Local:
		return "local"
	case Multicast:
		return "multicast"
	case Randomized:
		return "randomized"
	}
	return "kind?"
}

// MarshalText implements encoding.TextMarshaler with String.
func (k AddrKind) MarshalText() ([]byte, error) {
	return []byte(k.String()), nil
}

// Bits of the first octet (IEEE Std 802-2014 clause 8.2; IEEE Std
// 802c-2017 clause 8.4 for the SLAP bits).
const (
	bitMulticast = 0x01 // I/G (the SLAP "M" bit)
	bitLocal     = 0x02 // U/L (the SLAP "X" bit)
	bitY         = 0x04 // SLAP Y bit
	bitZ         = 0x08 // SLAP Z bit
)

// Kind classifies mac by the I/G, U/L and SLAP bits of its first octet, in
// that order: multicast first, then universal, then the SLAP quadrant of a
// local address (see the package documentation). It allocates nothing.
func Kind(mac [6]byte) AddrKind {
	switch b := mac[0]; {
	case b&bitMulticast != 0:
		return Multicast
	case b&bitLocal == 0:
		return Universal
	case b&bitZ == 0: // AAI (Y=0) or reserved (Y=1)
		return Randomized
	default: // ELI (Y=0) or SAI (Y=1)
		return Local
	}
}

// ieee is the table generated from the IEEE registries (go generate).
//
//go:embed ieee.txt.gz
var ieee []byte

var embedded = sync.OnceValues(func() (*Table, error) {
	t, err := Load(bytes.NewReader(ieee))
	if err != nil {
		return nil, fmt.Errorf("oui: embedded table: %w", err)
	}
	return t, nil
})

// Default returns the table embedded in the binary, parsed on the first
// call (about 30 ms; later calls return the same table). An error means the
// build embedded a corrupt file, which the package tests rule out; the
// package-level functions then behave as if the table were empty.
func Default() (*Table, error) {
	return embedded()
}

// Lookup returns the block of the embedded table holding mac (see
// Table.Lookup). It allocates nothing once the table is loaded.
func Lookup(mac [6]byte) (Block, bool) {
	t, _ := embedded()
	return t.Lookup(mac)
}

// Version returns the embedded table's version: the date (YYYY-MM-DD, UTC)
// the IEEE lists it was generated from were fetched.
func Version() string {
	t, _ := embedded()
	return t.Version()
}

// Len returns the number of blocks in the embedded table.
func Len() int {
	t, _ := embedded()
	return t.Len()
}

// Count returns the number of blocks of registry r in the embedded table.
func Count(r Registry) int {
	t, _ := embedded()
	return t.Count(r)
}
