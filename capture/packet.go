package capture

import "fmt"

// LinkType is a link-layer header type as numbered by tcpdump's LINKTYPE_
// registry (the value stored in pcap and pcapng headers).
type LinkType uint32

// Link types harborwatch decodes.
const (
	LinkNull      LinkType = 0   // BSD loopback
	LinkEthernet  LinkType = 1   // IEEE 802.3 Ethernet
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6, version from the first nibble
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2
)

// String returns the name tcpdump uses for the link type.
func (l LinkType) String() string {
	switch l {
	case LinkNull:
		return "NULL"
	case LinkEthernet:
		return "EN10MB"
	case LinkRaw:
		return "RAW"
	case LinkLinuxSLL:
		return "LINUX_SLL"
	case LinkIPv4:
		return "IPV4"
	case LinkIPv6:
		return "IPV6"
	case LinkLinuxSLL2:
		return "LINUX_SLL2"
	}
	return fmt.Sprintf("LINKTYPE_%d", uint32(l))
}

// Packet is one captured packet. Data is borrowed from the Source and valid
// until the next call to Next.
type Packet struct {
	Data    []byte   // captured bytes (may be shorter than OrigLen: snaplen)
	OrigLen int      // length on the wire
	TS      int64    // timestamp, nanoseconds since the Unix epoch (UTC)
	Link    LinkType // link type of the interface the packet came from
	Iface   int      // pcapng interface index (0 for pcap)
	Number  int64    // 1-based packet number within its file (as Wireshark numbers frames)
	Offset  int64    // byte offset of the packet's record in its file
	File    int      // index of the file in a Merge (0 for a single Source)
}

// Source yields packets in file order.
type Source interface {
	// Next fills p with the next packet. It returns io.EOF at the clean end
	// of the input, or a *DamageError once when the input is damaged (after
	// which it returns io.EOF). A failed read of the input is returned as
	// an error too, and also ends the Source. A Merged is the exception:
	// after one of its sources fails it goes on with the others.
	Next(p *Packet) error
	// Name is the file name given at Open.
	Name() string
	Close() error
}
