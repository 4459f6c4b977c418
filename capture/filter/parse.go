package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Error is an expression harborwatch cannot compile: what is wrong and
// at which column (1-based, in bytes) of the expression.
type Error struct {
	Expr string
	Col  int
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("filter %q: column %d: %s", e.Expr, e.Col, e.Msg)
}

// Subset names the supported primitives, for error messages and help.
const Subset = "[ip|ip6|arp|rarp] [src|dst] host, [ip|ip6|arp|rarp] [src|dst] net (CIDR or 'mask'), [tcp|udp] [src|dst] port, portrange, " +
	"tcp, udp, sctp, icmp, icmp6, ip, ip6, arp, rarp, proto, ip proto, ip6 proto, ether host/src/dst, ether proto, " +
	"vlan [ID], less, greater; combined with and/&&, or/||, not/! and parentheses"

type tokKind int

const (
	tkEOF tokKind = iota
	tkWord
	tkLParen
	tkRParen
	tkNot
	tkAnd
	tkOr
)

type token struct {
	kind tokKind
	text string
	col  int
}

// lex splits an expression into tokens; a character that is no part of
// the subset's syntax is an error at its column.
func lex(expr string) ([]token, error) {
	var out []token
	i := 0
	for i < len(expr) {
		c := expr[i]
		col := i + 1
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tkLParen, "(", col})
			i++
		case c == ')':
			out = append(out, token{tkRParen, ")", col})
			i++
		case c == '!':
			if strings.HasPrefix(expr[i:], "!=") {
				return nil, &Error{expr, col, "comparisons (!=) are not in harborwatch's subset; supported: " + Subset}
			}
			out = append(out, token{tkNot, "!", col})
			i++
		case strings.HasPrefix(expr[i:], "&&"):
			out = append(out, token{tkAnd, "&&", col})
			i += 2
		case strings.HasPrefix(expr[i:], "||"):
			out = append(out, token{tkOr, "||", col})
			i += 2
		case wordChar(c):
			j := i
			for j < len(expr) && wordChar(expr[j]) {
				j++
			}
			w := expr[i:j]
			kind := tkWord
			switch w {
			case "and":
				kind = tkAnd
			case "or":
				kind = tkOr
			case "not":
				kind = tkNot
			}
			out = append(out, token{kind, w, col})
			i = j
		case c == '[' || c == ']' || c == '=' || c == '<' || c == '>' || c == '&' || c == '|' || c == '+' || c == '*':
			return nil, &Error{expr, col, fmt.Sprintf("%q: byte expressions and comparisons (proto[off], =, <, >) are not in harborwatch's subset; supported: %s", c, Subset)}
		default:
			return nil, &Error{expr, col, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	out = append(out, token{tkEOF, "", len(expr) + 1})
	return out, nil
}

func wordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == ':' || c == '/' || c == '-' || c == '_' || c == '\\'
}

// node is a parsed expression: and, or, not, or a primitive.
type node interface{ isNode() }

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ x node }

func (andNode) isNode() {}
func (orNode) isNode()  {}
func (notNode) isNode() {}
func (*prim) isNode()   {}

// primKind is the kind of a primitive.
type primKind int

const (
	pHost      primKind = iota // an IPv4 or IPv6 address
	pNet                       // a prefix
	pPort                      // a port or a range of ports
	pProto                     // an IP protocol number (tcp, proto 17, ip6 proto 58, ...)
	pEtherType                 // ip, ip6, arp, rarp, ether proto
	pEtherHost                 // a MAC address
	pVLAN                      // vlan [ID]
	pLess                      // len <= N
	pGreater                   // len >= N
)

// Address families a protocol test looks at.
const (
	famIP4 = 1 << iota
	famIP6
)

// dir is the side of a packet a host, net or port is on.
type dir int

const (
	dirAny dir = iota
	dirSrc
	dirDst
)

// prim is one primitive, with the VLAN depth at which it was parsed: how
// many vlan primitives came before it in the expression, as in libpcap,
// where each vlan moves every later primitive 4 bytes further.
type prim struct {
	kind  primKind
	dir   dir
	depth int
	col   int

	addr, mask netip.Addr // pHost, pNet (mask as an address of the same family)
	lo, hi     uint32     // pPort range; pProto, pEtherType, pVLAN, pLess, pGreater value
	hasID      bool       // pVLAN with an ID
	rng        bool       // pPort: a portrange
	via        uint32     // pHost, pNet: only in this EtherType's header (ip host, arp net); 0: every one that has the family
	protos     []uint8    // pPort: the transport protocols (tcp, udp, sctp)
	fam        int        // pProto: famIP4|famIP6
	mac        [6]byte    // pEtherHost
}

type parser struct {
	expr  string
	toks  []token
	i     int
	depth int
	// last is the most recent qualified primitive: a bare value after
	// and/or takes its qualifiers ("port 502 or 102").
	last *prim
}

// parse parses an expression into a tree; "" (only blanks) is nil.
func parse(expr string) (node, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{expr: expr, toks: toks}
	if p.peek().kind == tkEOF {
		return nil, nil
	}
	n, err := p.expr1()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, p.errf(t, "unexpected %q: want and, or or the end", t.text)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tkEOF {
		p.i++
	}
	return t
}

func (p *parser) errf(t token, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if t.kind == tkEOF && !strings.Contains(msg, "ends") {
		msg = strings.TrimSuffix(msg, `, not ""`) + " (the expression ends here)"
	}
	return &Error{p.expr, t.col, msg}
}

// expr1: and and or have the same precedence and group left to right,
// as in pcap-filter(7).
func (p *parser) expr1() (node, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tkAnd && t.kind != tkOr {
			return l, nil
		}
		p.next()
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		if t.kind == tkAnd {
			l = andNode{l, r}
		} else {
			l = orNode{l, r}
		}
	}
}

func (p *parser) term() (node, error) {
	t := p.peek()
	switch t.kind {
	case tkNot:
		p.next()
		x, err := p.term()
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	case tkLParen:
		p.next()
		x, err := p.expr1()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tkRParen {
			return nil, p.errf(c, "want ')' to close the '(' at column %d", t.col)
		}
		return x, nil
	case tkWord:
		return p.primitive()
	case tkEOF:
		return nil, p.errf(t, "the expression ends where a primitive should follow")
	}
	return nil, p.errf(t, "unexpected %q: want a primitive (%s)", t.text, Subset)
}

var transport = map[string]uint8{"tcp": 6, "udp": 17, "sctp": 132}

var protoNames = map[string]uint32{"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmp6": 58, "igmp": 2}

var etherNames = map[string]uint32{"ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035}

func (p *parser) primitive() (node, error) {
	t := p.next()
	w := t.text
	pr := &prim{col: t.col, depth: p.depth}
	done := func() (node, error) { return pr, nil }
	switch w {
	case "tcp", "udp", "sctp":
		switch p.peek().text {
		case "port", "portrange", "src", "dst":
			return p.portPrim(pr, []uint8{transport[w]})
		}
		pr.kind, pr.lo, pr.fam = pProto, protoNames[w], famIP4|famIP6
		return done()
	case "icmp":
		pr.kind, pr.lo, pr.fam = pProto, 1, famIP4
		return done()
	case "icmp6":
		pr.kind, pr.lo, pr.fam = pProto, 58, famIP6
		return done()
	case "ip", "ip6", "arp", "rarp":
		switch p.peek().text {
		case "proto":
			if w == "ip" || w == "ip6" {
				p.next()
				fam := famIP4
				if w == "ip6" {
					fam = famIP6
				}
				return p.protoPrim(pr, fam)
			}
		case "host", "net", "src", "dst":
			// "ip host A": the IPv4 addresses only, not ARP's.
			pr.via = etherNames[w]
			return p.qualified(pr)
		}
		pr.kind, pr.lo = pEtherType, etherNames[w]
		return done()
	case "proto":
		return p.protoPrim(pr, famIP4|famIP6)
	case "ether":
		return p.etherPrim(pr)
	case "vlan":
		pr.kind = pVLAN
		if v := p.peek(); v.kind == tkWord && isDigit(v.text[0]) {
			p.next()
			n, err := p.number(v, 4095)
			if err != nil {
				return nil, err
			}
			pr.lo, pr.hasID = n, true
		}
		// Every later primitive looks past this tag, as in libpcap.
		p.depth++
		return done()
	case "less", "greater":
		v := p.next()
		if v.kind != tkWord {
			return nil, p.errf(v, "%s wants a length in bytes", w)
		}
		n, err := p.number(v, 1<<31)
		if err != nil {
			return nil, err
		}
		pr.kind, pr.lo = pLess, n
		if w == "greater" {
			pr.kind = pGreater
		}
		return done()
	case "src", "dst", "host", "net", "port", "portrange":
		p.i--
		return p.qualified(pr)
	}
	if p.last != nil && (isDigit(w[0]) || strings.Contains(w, ":")) {
		// A bare value: the qualifiers of the primitive before it.
		q := *p.last
		q.col, q.depth = t.col, p.depth
		p.i--
		return p.value(&q)
	}
	return nil, p.errf(t, "%q is not a primitive of harborwatch's subset (host names and port names are not resolved); supported: %s", w, Subset)
}

// qualified parses [src|dst] (host|net|port|portrange) VALUE.
func (p *parser) qualified(pr *prim) (node, error) {
	t := p.next()
	after := "src or dst"
	switch t.text {
	case "src":
		pr.dir, after = dirSrc, t.text
		t = p.next()
	case "dst":
		pr.dir, after = dirDst, t.text
		t = p.next()
	}
	switch t.text {
	case "host":
		pr.kind = pHost
	case "net":
		pr.kind = pNet
	case "port", "portrange":
		if pr.via != 0 {
			return nil, p.errf(t, "%s after ip, ip6, arp or rarp: write tcp %s, udp %s or %s alone", t.text, t.text, t.text, t.text)
		}
		p.i--
		return p.portPrim(pr, []uint8{6, 17, 132})
	default:
		if t.kind == tkWord && (isDigit(t.text[0]) || strings.Contains(t.text, ":")) && pr.dir != dirAny {
			// "src 10.0.0.1" is "src host 10.0.0.1", as in libpcap.
			pr.kind = pHost
			p.i--
			return p.value(pr)
		}
		return nil, p.errf(t, "want host, net, port or portrange after %s", after)
	}
	return p.value(pr)
}

// portPrim parses [src|dst] (port N | portrange N-M) for protos.
func (p *parser) portPrim(pr *prim, protos []uint8) (node, error) {
	t := p.next()
	switch t.text {
	case "src":
		pr.dir = dirSrc
		t = p.next()
	case "dst":
		pr.dir = dirDst
		t = p.next()
	}
	pr.protos = protos
	switch t.text {
	case "port":
		pr.kind, pr.rng = pPort, false
	case "portrange":
		pr.kind, pr.rng = pPort, true
	default:
		return nil, p.errf(t, "want port or portrange")
	}
	return p.value(pr)
}

// value reads the value of a host, net, port or portrange primitive
// (qualifiers in pr), and remembers the qualifiers for bare values.
func (p *parser) value(pr *prim) (node, error) {
	v := p.next()
	if v.kind != tkWord {
		return nil, p.errf(v, "want a value after the qualifiers")
	}
	switch pr.kind {
	case pHost:
		a, err := netip.ParseAddr(v.text)
		if err != nil || a.Zone() != "" {
			return nil, p.errf(v, "host: %q is not an IPv4 or IPv6 address (host names are not resolved)", v.text)
		}
		pr.addr = a // an IPv4-mapped IPv6 address is IPv6, as in libpcap
		if err := p.checkVia(pr, v, a); err != nil {
			return nil, err
		}
	case pNet:
		if err := p.netValue(pr, v); err != nil {
			return nil, err
		}
		if err := p.checkVia(pr, v, pr.addr); err != nil {
			return nil, err
		}
	case pPort:
		if pr.rng {
			lo, hi, ok := strings.Cut(v.text, "-")
			if !ok {
				return nil, p.errf(v, "portrange wants N-M, not %q", v.text)
			}
			a, err := p.number(token{tkWord, lo, v.col}, 65535)
			if err != nil {
				return nil, err
			}
			b, err := p.number(token{tkWord, hi, v.col + len(lo) + 1}, 65535)
			if err != nil {
				return nil, err
			}
			pr.lo, pr.hi = min(a, b), max(a, b)
		} else {
			n, err := p.number(v, 65535)
			if err != nil && !isDigit(v.text[0]) {
				return nil, p.errf(v, "port: %q is not a port number (port names are not resolved)", v.text)
			} else if err != nil {
				return nil, err
			}
			pr.lo, pr.hi = n, n
		}
	case pEtherHost:
		m, ok := parseMAC(v.text)
		if !ok {
			return nil, p.errf(v, "%q is not a MAC address (aa:bb:cc:dd:ee:ff)", v.text)
		}
		pr.mac = m
	default:
		return nil, p.errf(v, "unexpected %q", v.text)
	}
	last := *pr
	p.last = &last
	return pr, nil
}

// netValue parses A/LEN, A mask M, or a dotted IPv4 prefix of one to
// four octets ("net 10.1" is 10.1.0.0/16).
func (p *parser) netValue(pr *prim, v token) error {
	s := v.text
	if a, b, ok := strings.Cut(s, "/"); ok {
		addr, err := netip.ParseAddr(a)
		if err != nil {
			if addr, err = partialIPv4(a); err != nil {
				return p.errf(v, "net: %q is not an address", a)
			}
		}
		bits, err := strconv.Atoi(b)
		if err != nil || bits < 0 || bits > addr.BitLen() {
			return p.errf(v, "net: /%s is not a prefix length for %s", b, addr)
		}
		return p.setNet(pr, v, addr, bits)
	}
	if p.peek().text == "mask" {
		p.next()
		m := p.next()
		addr, err := netip.ParseAddr(s)
		mask, err2 := netip.ParseAddr(m.text)
		if err != nil || !addr.Is4() {
			return p.errf(v, "net ... mask: %q is not an IPv4 address", s)
		}
		if err2 != nil || !mask.Is4() {
			return p.errf(m, "mask %q is not an IPv4 mask", m.text)
		}
		pr.addr, pr.mask = addr, mask
		a, k := addr.As4(), mask.As4()
		for i := range 4 {
			if a[i]&^k[i] != 0 {
				return p.errf(v, "net %s mask %s: the address has bits outside the mask", addr, mask)
			}
		}
		return nil
	}
	if addr, err := netip.ParseAddr(s); err == nil {
		return p.setNet(pr, v, addr, addr.BitLen())
	}
	addr, err := partialIPv4(s)
	if err != nil {
		return p.errf(v, "net: %q is not an address or a prefix", s)
	}
	return p.setNet(pr, v, addr, 8*(strings.Count(s, ".")+1))
}

func (p *parser) setNet(pr *prim, v token, addr netip.Addr, bits int) error {
	pfx := netip.PrefixFrom(addr, bits)
	if pfx.Masked().Addr() != addr {
		return p.errf(v, "net %s: the address has bits outside the /%d prefix", v.text, bits)
	}
	mask := make([]byte, addr.BitLen()/8)
	for i := range bits {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	m, _ := netip.AddrFromSlice(mask)
	pr.addr, pr.mask = addr, m
	return nil
}

// partialIPv4 parses one to three dotted octets as the first octets of
// an IPv4 address.
func partialIPv4(s string) (netip.Addr, error) {
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return netip.Addr{}, fmt.Errorf("not a prefix")
	}
	var b [4]byte
	for i, x := range parts {
		n, err := strconv.ParseUint(x, 10, 8)
		if err != nil {
			return netip.Addr{}, err
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), nil
}

func (p *parser) protoPrim(pr *prim, fam int) (node, error) {
	v := p.next()
	pr.kind, pr.fam = pProto, fam
	name := strings.TrimPrefix(v.text, "\\")
	if n, ok := protoNames[name]; ok && v.kind == tkWord {
		pr.lo = n
		return pr, nil
	}
	n, err := p.number(v, 255)
	if err != nil {
		return nil, p.errf(v, "proto wants a protocol number or \\tcp, \\udp, \\sctp, \\icmp, \\icmp6, \\igmp, not %q", v.text)
	}
	pr.lo = n
	return pr, nil
}

func (p *parser) etherPrim(pr *prim) (node, error) {
	t := p.next()
	switch t.text {
	case "host", "src", "dst":
		pr.kind = pEtherHost
		switch t.text {
		case "src":
			pr.dir = dirSrc
		case "dst":
			pr.dir = dirDst
		}
		if (t.text == "src" || t.text == "dst") && p.peek().text == "host" {
			p.next()
		}
		return p.value(pr)
	case "proto":
		v := p.next()
		pr.kind = pEtherType
		if n, ok := etherNames[strings.TrimPrefix(v.text, "\\")]; ok && v.kind == tkWord {
			pr.lo = n
			return pr, nil
		}
		n, err := p.number(v, 65535)
		if err != nil {
			return nil, p.errf(v, "ether proto wants an EtherType number or \\ip, \\ip6, \\arp, \\rarp, not %q", v.text)
		}
		if n <= 1500 {
			return nil, p.errf(v, "ether proto %d: values up to 1500 are 802.3 lengths (LLC), not in harborwatch's subset", n)
		}
		pr.lo = n
		return pr, nil
	}
	return nil, p.errf(t, "want host, src, dst or proto after ether")
}

// number parses a decimal, 0x hexadecimal or 0 octal number up to max.
func (p *parser) number(t token, max uint32) (uint32, error) {
	n, err := strconv.ParseUint(t.text, 0, 32)
	if err != nil {
		return 0, p.errf(t, "%q is not a number", t.text)
	}
	if n > uint64(max) {
		return 0, p.errf(t, "%d is more than %d", n, max)
	}
	return uint32(n), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func parseMAC(s string) ([6]byte, bool) {
	var m [6]byte
	sep := byte(':')
	if strings.Contains(s, "-") {
		sep = '-'
	}
	parts := strings.Split(s, string(sep))
	if len(parts) != 6 {
		return m, false
	}
	for i, x := range parts {
		n, err := strconv.ParseUint(x, 16, 8)
		if err != nil || len(x) == 0 || len(x) > 2 {
			return m, false
		}
		m[i] = byte(n)
	}
	return m, true
}

// checkVia refuses an address of the wrong family for the protocol
// qualifier: ip6 takes IPv6, ip, arp and rarp IPv4 (libpcap refuses
// these too).
func (p *parser) checkVia(pr *prim, v token, a netip.Addr) error {
	if pr.via == 0 || (pr.via == 0x86dd) == a.Is6() {
		return nil
	}
	names := map[uint32]string{0x0800: "ip", 0x86dd: "ip6", 0x0806: "arp", 0x8035: "rarp"}
	return p.errf(v, "%s: %s is not an address of %s", v.text, a, names[pr.via])
}
