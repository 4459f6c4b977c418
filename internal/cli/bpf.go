package cli

import (
	"errors"
	"fmt"
	"io"

	"harborwatch/analysis"
	"harborwatch/capture"
	"harborwatch/capture/filter"
)

// bpfHelp is the --bpf paragraph of the help of analyze and sensor.
const bpfHelp = `--bpf EXPR keeps only the packets a filter expression selects, in
tcpdump's syntax (pcap-filter), compiled by harborwatch itself (no libpcap,
so the binary stays one static file) from a subset of the language:
  host A, src host A, dst host A      IPv4 or IPv6, ARP's too (ip host A: not)
  net 10.10.0.0/16, net A mask M      src net, dst net, ip net; IPv6 prefixes
  port N, portrange N-M               TCP, UDP, SCTP; tcp port N, udp dst port N
  tcp, udp, icmp, icmp6, ip, ip6, arp, proto N, ip proto N, ip6 proto N
  ether host MAC, ether src MAC, ether dst MAC, ether proto 0x88cc
  vlan, vlan ID                       primitives after it look inside the tag
  less N, greater N                   the length on the wire
  and (&&), or (||), not (!), ( )     and/or: same precedence, left to right
A value alone takes the qualifiers before it: 'tcp port 502 or 102'. Names
of hosts and ports are not resolved; byte expressions (ip[9] = 6) are not in
the subset. A packet is selected exactly as tcpdump -r would select it (a
port matches the first fragment of an IPv4 packet only, IPv6 without
extension headers); captures of raw IP, BSD loopback and Linux cooked
capture are filtered as the Ethernet frames that would carry the same
packets. Mind that, as in tcpdump, 'vlan' moves every primitive written
after it into the tag: write the untagged clauses first, as in
'tcp port 502 or (vlan 110 and tcp port 502)'.`

// compileBPF compiles --bpf for a target; "" is no filter (nil). A bad
// expression is a usage error naming its column.
func compileBPF(cmd, expr string, t filter.Target) (*filter.Program, error) {
	if expr == "" {
		return nil, nil
	}
	p, err := filter.Compile(expr, t)
	if err != nil {
		return nil, usagef("%s: --bpf: %v", cmd, err)
	}
	return p, nil
}

// filtered is the captures of a run read through a --bpf filter.
type filtered []*filter.Source

// openFiltered opens the capture files, each read through prog (a
// filter.Bytes program): as analysis.Options.Sources, with hash as
// capture.Options.Hash. A file that cannot be opened as a capture is bad
// input.
func openFiltered(files []string, prog *filter.Program, hash bool) (filtered, []capture.Source, error) {
	var fs filtered
	var srcs []capture.Source
	for _, f := range files {
		s, err := capture.OpenWith(f, capture.Options{Hash: hash})
		if err != nil {
			fs.close()
			return nil, nil, usageError{&analysis.InputError{File: f, Err: err}}
		}
		fs = append(fs, filter.NewSource(s, prog))
		srcs = append(srcs, fs[len(fs)-1])
	}
	return fs, srcs, nil
}

func (fs filtered) close() {
	for _, s := range fs {
		s.Close()
	}
}

// count is the number of packets the filter left out.
func (fs filtered) count() uint64 {
	var n uint64
	for _, s := range fs {
		n += s.Filtered()
	}
	return n
}

// linkTypeError explains a capture of a link layer the filter cannot
// look into.
func linkTypeError(cmd string, err error) error {
	if errors.Is(err, filter.ErrLinkType) {
		return usagef("%s: --bpf: %v", cmd, err)
	}
	return err
}

// reportFiltered says on w how many packets the filter left out.
func reportFiltered(w io.Writer, cmd, expr string, n uint64) {
	fmt.Fprintf(w, "harborwatch %s: --bpf %q left out %s\n", cmd, expr, nouns(n, "packet", "packets"))
}
