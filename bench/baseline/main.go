// Command baseline is the Go baseline of the benchmarks in bench/: a plain
// gopacket loop over a pcap or pcapng file that decodes every packet and
// counts packets and bytes per flow, the least a Go flow tool does. It sets
// the bar harborwatch analyze is measured against (bench/run.sh).
//
//	go run ./bench/baseline [-mode parser|source] [-top N] CAPTURE
//
// Mode parser (the default) is gopacket at its fastest: pcapgo's
// ZeroCopyReadPacketData into a layers.DecodingLayerParser with Ethernet,
// 802.1Q, IPv4, IPv6, TCP, UDP, ARP and payload decoders, reused for every
// packet, and a map from flow key to a slot in a slice (one map look-up per
// packet, no allocation once the flow exists). Mode source is gopacket's
// everyday style, gopacket.NewPacketSource and Packet.Layer, which copies
// and allocates several objects per packet; it is there for contrast.
//
// A flow is VLAN (the innermost tag) + protocol + the two address:port ends,
// in either direction. Packets that are not TCP or UDP (ARP, ICMP, IP
// fragments after the first, …) are counted apart. Bytes are wire bytes
// (the original length), as tshark counts them.
//
// The flows go to standard output, one a line, most packets first; a
// one-line summary (packets, bytes, flows, time, Mpps, MB/s,
// allocations per packet) goes to standard error. Exit codes: 0 done, 1 a
// read or decode failure, 2 bad usage.
package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "parser", "`MODE` of decoding: parser (DecodingLayerParser, zero-copy) or source (NewPacketSource)")
	top := fs.Int("top", 0, "print the `N` flows with most packets (0: all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: baseline [-mode parser|source] [-top N] CAPTURE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || (*mode != "parser" && *mode != "source") || *top < 0 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "baseline: %v\n", err)
		return 1
	}
	defer f.Close()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	c, err := count(bufio.NewReaderSize(f, 1<<20), *mode)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		fmt.Fprintf(stderr, "baseline: %s: %v\n", path, err)
		return 1
	}
	bw := bufio.NewWriterSize(stdout, 1<<16)
	c.write(bw, *top)
	if err := bw.Flush(); err != nil {
		fmt.Fprintf(stderr, "baseline: write: %v\n", err)
		return 1
	}
	sec := elapsed.Seconds()
	fmt.Fprintf(stderr, "baseline mode=%s packets=%d bytes=%d flows=%d other=%d errors=%d seconds=%.3f mpps=%.3f mbps=%.1f allocs_per_packet=%.3f\n",
		*mode, c.packets, c.bytes, len(c.flows), c.other, c.errors, sec,
		float64(c.packets)/sec/1e6, float64(c.bytes)/sec/1e6,
		float64(after.Mallocs-before.Mallocs)/float64(max(c.packets, 1)))
	return 0
}

// reader is what pcapgo's Reader and NgReader both offer.
type reader interface {
	gopacket.PacketDataSource
	gopacket.ZeroCopyPacketDataSource
	LinkType() layers.LinkType
}

// open picks the pcap or pcapng reader by the file's first four bytes.
func open(br *bufio.Reader) (reader, error) {
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("read file header: %w", err)
	}
	var r reader
	if magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a {
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return nil, fmt.Errorf("file header: %w", err)
	}
	if lt := r.LinkType(); lt != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("link type %v: only Ethernet captures are supported", lt)
	}
	return r, nil
}

// flowKey is a flow in one canonical direction: (a, aPort) is the lesser end.
type flowKey struct {
	a, b         [16]byte
	aPort, bPort uint16
	vlan         uint16
	proto        uint8 // 6 TCP, 17 UDP
	v6           bool
}

func (k flowKey) String() string {
	a, b := k.ends()
	return fmt.Sprintf("%s vlan=%d %s %s", map[uint8]string{6: "tcp", 17: "udp"}[k.proto], k.vlan, a, b)
}

// ends returns the flow's two address:port ends, the lesser first.
func (k flowKey) ends() (a, b netip.AddrPort) {
	addr := func(b [16]byte) netip.Addr {
		if k.v6 {
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrPortFrom(addr(k.a), k.aPort), netip.AddrPortFrom(addr(k.b), k.bPort)
}

// makeKey builds the canonical key of a packet from its addresses (4 or 16
// bytes each, possibly aliasing the packet) and ports.
func makeKey(vlan uint16, proto uint8, src, dst []byte, sport, dport uint16) flowKey {
	k := flowKey{vlan: vlan, proto: proto, v6: len(src) == 16}
	copy(k.a[:], src)
	copy(k.b[:], dst)
	k.aPort, k.bPort = sport, dport
	if cmp.Or(slices.Compare(k.a[:], k.b[:]), cmp.Compare(sport, dport)) > 0 {
		k.a, k.b = k.b, k.a
		k.aPort, k.bPort = k.bPort, k.aPort
	}
	return k
}

type flowStat struct {
	key            flowKey
	packets, bytes uint64
}

// counter holds the totals and the flow table.
type counter struct {
	index          map[flowKey]int32 // slot in flows
	flows          []flowStat
	packets, bytes uint64
	other          uint64 // packets that are not TCP or UDP
	errors         uint64 // packets that did not decode to the end
}

func newCounter() *counter {
	return &counter{index: make(map[flowKey]int32)}
}

func (c *counter) add(k flowKey, wire int) {
	i, ok := c.index[k]
	if !ok {
		i = int32(len(c.flows))
		c.index[k] = i
		c.flows = append(c.flows, flowStat{key: k})
	}
	c.flows[i].packets++
	c.flows[i].bytes += uint64(wire)
}

// write prints the top flows (all when top is 0), most packets first, ties
// in key order so the output is deterministic.
func (c *counter) write(w io.Writer, top int) {
	s := slices.Clone(c.flows)
	slices.SortFunc(s, func(x, y flowStat) int {
		return cmp.Or(cmp.Compare(y.packets, x.packets), cmp.Compare(y.bytes, x.bytes), compareKeys(x.key, y.key))
	})
	if top > 0 && top < len(s) {
		s = s[:top]
	}
	for _, f := range s {
		fmt.Fprintf(w, "%s packets=%d bytes=%d\n", f.key, f.packets, f.bytes)
	}
}

func compareKeys(x, y flowKey) int {
	return cmp.Or(cmp.Compare(x.proto, y.proto), cmp.Compare(x.vlan, y.vlan),
		slices.Compare(x.a[:], y.a[:]), cmp.Compare(x.aPort, y.aPort),
		slices.Compare(x.b[:], y.b[:]), cmp.Compare(x.bPort, y.bPort))
}

// count reads a whole capture in the given mode. A read error (damaged or
// truncated file) ends it with the packet number where it happened; decode
// errors are counted, not fatal.
func count(br *bufio.Reader, mode string) (*counter, error) {
	r, err := open(br)
	if err != nil {
		return nil, err
	}
	c := newCounter()
	if mode == "source" {
		err = c.source(r)
	} else {
		err = c.parser(r)
	}
	if err != nil {
		return nil, fmt.Errorf("packet %d: %w", c.packets+1, err)
	}
	return c, nil
}

// parser is the DecodingLayerParser loop: the packet bytes are the
// reader's buffer, nothing is allocated per packet once its flow exists.
func (c *counter) parser(r reader) error {
	d := newDecoder()
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		d.packet(c, data, ci.Length)
	}
}

// decoder holds a DecodingLayerParser and the layer structs it fills,
// reused for every packet.
type decoder struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	arp     layers.ARP
	payload gopacket.Payload
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

func newDecoder() *decoder {
	d := &decoder{decoded: make([]gopacket.LayerType, 0, 16)}
	d.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet,
		&d.eth, &d.dot1q, &d.ip4, &d.ip6, &d.tcp, &d.udp, &d.arp, &d.payload)
	d.parser.IgnoreUnsupported = true
	return d
}

// packet decodes one frame, wire bytes long on the wire, and counts it.
func (d *decoder) packet(c *counter, data []byte, wire int) {
	c.packets++
	c.bytes += uint64(wire)
	if err := d.parser.DecodeLayers(data, &d.decoded); err != nil {
		c.errors++
	}
	var (
		vlan     uint16
		src, dst []byte
		proto    uint8
		sp, dp   uint16
	)
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeDot1Q:
			vlan = d.dot1q.VLANIdentifier
		case layers.LayerTypeIPv4:
			src, dst = d.ip4.SrcIP.To4(), d.ip4.DstIP.To4()
		case layers.LayerTypeIPv6:
			src, dst = d.ip6.SrcIP, d.ip6.DstIP
		case layers.LayerTypeTCP:
			proto, sp, dp = 6, uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort)
		case layers.LayerTypeUDP:
			proto, sp, dp = 17, uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
		}
	}
	if proto == 0 || src == nil || dst == nil {
		c.other++
		return
	}
	c.add(makeKey(vlan, proto, src, dst, sp, dp), wire)
}

// source is the NewPacketSource loop: a new Packet with its own copy of the
// bytes and a decoded layer object per layer, for every packet.
func (c *counter) source(r reader) error {
	ps := gopacket.NewPacketSource(r, r.LinkType())
	for {
		pkt, err := ps.NextPacket()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		md := pkt.Metadata()
		c.packets++
		c.bytes += uint64(md.Length)
		if pkt.ErrorLayer() != nil {
			c.errors++
		}
		var (
			vlan     uint16
			src, dst []byte
			proto    uint8
			sp, dp   uint16
		)
		for _, l := range pkt.Layers() {
			switch l := l.(type) {
			case *layers.Dot1Q:
				vlan = l.VLANIdentifier
			case *layers.IPv4:
				src, dst = l.SrcIP.To4(), l.DstIP.To4()
			case *layers.IPv6:
				src, dst = l.SrcIP, l.DstIP
			case *layers.TCP:
				proto, sp, dp = 6, uint16(l.SrcPort), uint16(l.DstPort)
			case *layers.UDP:
				proto, sp, dp = 17, uint16(l.SrcPort), uint16(l.DstPort)
			}
		}
		if proto == 0 || src == nil || dst == nil {
			c.other++
			continue
		}
		c.add(makeKey(vlan, proto, src, dst, sp, dp), md.Length)
	}
}
