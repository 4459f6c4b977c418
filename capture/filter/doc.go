// Package filter compiles a documented subset of tcpdump's filter
// language (pcap-filter(7)) into classic BPF, in pure Go: the program the
// live capture attaches to its socket (SO_ATTACH_FILTER), so the kernel
// drops what is not wanted before it reaches the ring, and the same
// program run in user space over capture files, so a file and a live
// interface select the same packets.
//
// # The subset
//
//	host A, src host A, dst host A       A an IPv4 or IPv6 address ("src A" is "src host A")
//	ip host A, ip6 host A, arp host A    only that protocol's addresses (also with net, src, dst)
//	net A/LEN, net A mask M, net 10.1    src net, dst net; IPv6 prefixes too
//	port N, src port N, dst port N       TCP, UDP and SCTP; tcp port N, udp dst port N, ...
//	portrange N-M                        with the same qualifiers as port
//	tcp, udp, sctp, icmp, icmp6          the IP protocol (over IPv4 or IPv6)
//	ip, ip6, arp, rarp                   the EtherType
//	proto N, ip proto N, ip6 proto N     N a number or \tcp, \udp, \sctp, \icmp, \icmp6, \igmp
//	ether host M, ether src M, ether dst M
//	ether proto N                        N > 1500, or \ip, \ip6, \arp, \rarp
//	vlan, vlan ID                        an 802.1Q/802.1ad tag (see below)
//	less N, greater N                    the length on the wire, at most / at least N
//	and &&  or ||  not !  ( )            not binds tightest; and and or have the same
//	                                     precedence and group left to right
//
// A value without qualifiers takes those of the primitive before it, as in
// tcpdump: "tcp port 502 or 102" is "tcp port 502 or tcp port 102".
// Host and port names are not resolved, byte expressions (ip[9] = 6),
// comparisons and the other link layers' primitives are not in the subset:
// such an expression is an *Error naming its column and the subset.
//
// Each primitive compiles to the tests libpcap makes for Ethernet (its
// gencode.c), so a packet of a capture is accepted exactly when tcpdump
// -r accepts it; the tests hold the two against each other. That
// includes libpcap's choices: host and net match ARP and RARP addresses
// too; a port matches only the first fragment of an IPv4 packet; IPv6 is
// matched only when the transport header follows the fixed header (no
// extension headers), and tcp, udp and icmp6 also look behind a fragment
// header; each vlan primitive moves every primitive written after it four
// bytes further, whatever the and, or and parentheses between them
// ("vlan 100 or tcp" tests tcp inside a tag).
//
// The programs are compiled for Ethernet, the link layer of the live
// capture. Source matches a packet of a capture of raw IP, BSD loopback or
// Linux cooked capture (v1, v2) as the Ethernet frame carrying the same
// network layer (see Ethernet), which is what tcpdump's program for that
// link layer decides for every primitive it compiles there (tcpdump
// refuses ether and vlan primitives on those links; here they see zero
// MAC addresses, or the sender's of a cooked capture, and no tag).
//
// # VLAN tags on a live socket
//
// Linux takes the outermost 802.1Q/802.1ad tag of a received frame off
// its bytes into the packet's metadata before a socket filter runs. A
// program compiled for Socket first asks the metadata
// (SKF_AD_VLAN_TAG_PRESENT) and then runs the expression compiled for a
// frame with that tag: the tag's EtherType and TCI come from
// SKF_AD_VLAN_TPID and SKF_AD_VLAN_TAG, the rest from the bytes four
// bytes nearer, the length four bytes more; or for a frame without one.
// The result is that of the same expression on the frame as it was on
// the wire, which is also the frame package live hands on (it puts the
// tag back): a live interface and a capture of it select the same
// packets. (libpcap differs here: on a live Linux socket it asks the
// metadata only for vlan primitives, so its "ip" also matches tagged
// frames there, and not in a file.) A Socket program holds the
// expression twice, so an expression reaches the kernel's bound of 4096
// instructions at about half the length a Bytes program does.
//
// # Place in the path, ownership, concurrency
//
// The filter sits at the very start of the packet path, before decode:
// in the kernel for package live (its Options.Filter takes Program.Raw of
// a Socket program), or as a Source between a capture file and the
// pipeline. Compile returns a Program: x/net/bpf instructions and their
// raw form. Programs are immutable and safe to share between goroutines;
// Program.Match runs one over a packet without allocating and keeps
// nothing of the packet. Source wraps a capture.Source and leaves out the
// packets a Bytes program rejects, counting them: the packets it hands on
// are the underlying Source's, borrowed until the next call to Next (a
// packet of another link layer is matched in a buffer of the Source's
// own; what is handed on is still the original). Like any Source it is
// read from one goroutine; Filtered may be called from any.
package filter
