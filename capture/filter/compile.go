package filter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// Target is where a program runs, which decides where it finds an
// 802.1Q tag.
type Target int

const (
	// Bytes: the tag is in the packet's bytes, as in a capture file or a
	// packet of the live Source (which puts the tag back).
	Bytes Target = iota
	// Socket: a Linux packet socket's filter (SO_ATTACH_FILTER), which
	// runs after the kernel has taken the outermost tag off the bytes
	// into the packet's metadata; the program reads it with the ancillary
	// loads SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TAG and SKF_AD_VLAN_TPID,
	// and a packet's length with that tag counted.
	Socket
)

func (t Target) String() string {
	if t == Socket {
		return "socket"
	}
	return "bytes"
}

// MaxInstructions is the kernel's bound on a classic BPF program
// (BPF_MAXINSNS).
const MaxInstructions = 4096

// accept is what an accepting program returns: tcpdump's 262144, the
// number of bytes to keep (all of them).
const accept = 262144

// Program is a compiled filter expression.
type Program struct {
	Expr   string
	Target Target
	// Instructions is the program; Raw the same, assembled for the
	// kernel or for Match.
	Instructions []bpf.Instruction
	Raw          []bpf.RawInstruction
}

// Compile compiles a filter expression for a target. An expression of
// only blanks matches every packet: its program is one instruction that
// accepts. An expression outside the subset is an *Error naming the
// column.
func Compile(expr string, t Target) (*Program, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	g := &gen{labels: map[int]*labelState{}}
	acc, rej := g.label(), g.label()
	if root != nil {
		if t == Socket {
			plain, tagged := g.label(), g.label()
			g.emit(bpf.LoadExtension{Num: bpf.ExtVLANTagPresent}, loadState{})
			g.cjump(bpf.JumpEqual, 0, plain, tagged)
			g.place(tagged)
			g.view = viewTagged
			g.node(root, acc, rej)
			g.place(plain)
			g.view = viewPlain
			g.node(root, acc, rej)
		} else {
			g.node(root, acc, rej)
		}
	}
	g.place(acc)
	g.emit(bpf.RetConstant{Val: accept}, loadState{})
	if root != nil {
		g.place(rej)
		g.emit(bpf.RetConstant{Val: 0}, loadState{})
	}
	ins, err := g.assemble()
	if err != nil {
		return nil, &Error{expr, 1, err.Error()}
	}
	raw, err := bpf.Assemble(ins)
	if err != nil {
		return nil, fmt.Errorf("filter %q: assemble: %w", expr, err)
	}
	if err := Validate(raw); err != nil {
		return nil, fmt.Errorf("filter %q: compiled an invalid program (a bug): %w", expr, err)
	}
	return &Program{Expr: expr, Target: t, Instructions: ins, Raw: raw}, nil
}

// Load kinds of an atom.
type ldKind uint8

const (
	ldAbs ldKind = iota + 1 // [off]
	ldInd                   // [x + off], x = 4*([xoff]&0xf)
	ldLen                   // the packet's length on the wire
)

// load is what an atom compares, in offsets of the packet as on the
// wire (a tag in the bytes).
type load struct {
	kind ldKind
	size uint8
	off  uint32
	xoff uint32
}

// atom is one test: load, optionally mask, compare with k.
type atom struct {
	ld     load
	mask   uint32
	masked bool // and with mask before the test
	cond   bpf.JumpTest
	k      uint32
}

func (atom) isNode() {}

// loadState is what the accumulator holds: a load, unmasked; the zero
// value is unknown.
type loadState = load

type view uint8

const (
	viewPlain  view = iota // the bytes are the wire's
	viewTagged             // the wire's outermost tag is in the metadata
)

type labelState struct {
	pos      int // index among items; -1 until placed
	st       loadState
	incoming int
	mixed    bool
}

// item is one instruction, a jump to labels, or a label.
type item struct {
	ins   bpf.Instruction
	jump  bool
	cond  bpf.JumpTest
	k     uint32
	t, f  int
	ja    bool
	label int // >= 0: a label's place
}

type gen struct {
	items  []item
	labels map[int]*labelState
	nlabel int
	view   view
	acc    loadState // the accumulator at the end of items; zero: unknown
	live   bool      // the end of items is reachable by falling through
}

func (g *gen) label() int {
	g.nlabel++
	g.labels[g.nlabel] = &labelState{pos: -1}
	return g.nlabel
}

func (g *gen) reach(l int, st loadState) {
	ls := g.labels[l]
	if ls.incoming == 0 {
		ls.st = st
	} else if ls.st != st {
		ls.mixed = true
	}
	ls.incoming++
}

func (g *gen) place(l int) {
	if g.live {
		g.reach(l, g.acc)
	}
	ls := g.labels[l]
	g.acc = ls.st
	if ls.mixed {
		g.acc = loadState{}
	}
	g.live = true
	g.items = append(g.items, item{label: l})
}

func (g *gen) emit(ins bpf.Instruction, st loadState) {
	g.items = append(g.items, item{ins: ins, label: -1})
	g.acc = st
	g.live = true
	if _, ok := ins.(bpf.RetConstant); ok {
		g.live = false
	}
}

func (g *gen) cjump(c bpf.JumpTest, k uint32, t, f int) {
	g.items = append(g.items, item{jump: true, cond: c, k: k, t: t, f: f, label: -1})
	g.reach(t, g.acc)
	g.reach(f, g.acc)
	g.live = false
}

// node emits code that goes to t when n holds and to f when not.
func (g *gen) node(n node, t, f int) {
	switch n := n.(type) {
	case andNode:
		m := g.label()
		g.node(n.l, m, f)
		g.place(m)
		g.node(n.r, t, f)
	case orNode:
		m := g.label()
		g.node(n.l, t, m)
		g.place(m)
		g.node(n.r, t, f)
	case notNode:
		g.node(n.x, f, t)
	case atom:
		g.atom(n, t, f)
	case *prim:
		g.node(expand(n), t, f)
	}
}

func (g *gen) atom(a atom, t, f int) {
	if g.acc != a.ld {
		g.load(a.ld)
	}
	if a.masked {
		g.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: a.mask}, loadState{})
	}
	g.cjump(a.cond, a.k, t, f)
}

// load emits a load of the wire's offsets as the view sees them.
func (g *gen) load(l load) {
	switch l.kind {
	case ldLen:
		g.emit(bpf.LoadExtension{Num: bpf.ExtLen}, loadState{})
		if g.view == viewTagged {
			// The tag the kernel took off is part of the wire's length.
			g.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 4}, loadState{})
		}
	case ldAbs:
		off := l.off
		if g.view == viewTagged {
			switch {
			case off == 12 && l.size == 2:
				g.emit(bpf.LoadExtension{Num: bpf.ExtVLANProto}, l)
				return
			case off == 14 && l.size == 2:
				g.emit(bpf.LoadExtension{Num: bpf.ExtVLANTag}, l)
				return
			case off >= 16:
				off -= 4
			}
			// Other loads in the tag's four bytes only follow a test of
			// the EtherType that a tagged packet fails: never run.
		}
		g.emit(bpf.LoadAbsolute{Off: off, Size: int(l.size)}, l)
	case ldInd:
		off, xoff := l.off, l.xoff
		if g.view == viewTagged && xoff >= 16 {
			off, xoff = off-4, xoff-4
		}
		g.emit(bpf.LoadMemShift{Off: xoff}, loadState{})
		g.emit(bpf.LoadIndirect{Off: off, Size: int(l.size)}, l)
	}
}

// assemble lays the items out and resolves labels; a conditional jump
// reaches 255 instructions at most, so a farther target gets a jump
// always (32-bit) right after it.
func (g *gen) assemble() ([]bpf.Instruction, error) {
	items := g.items
	for {
		pos := map[int]int{}
		n := 0
		for _, it := range items {
			if it.label >= 0 {
				pos[it.label] = n
				continue
			}
			n++
		}
		if n > MaxInstructions {
			return nil, fmt.Errorf("the program has %d instructions, more than the kernel's %d: make the expression shorter", n, MaxInstructions)
		}
		// Every conditional jump too far gets its jump always; the
		// insertions move other targets, so lay out again until none is.
		fixed := true
		at := 0
		next := make([]item, 0, len(items))
		for _, it := range items {
			next = append(next, it)
			if it.label >= 0 {
				continue
			}
			if it.jump {
				j := len(next) - 1
				for _, far := range [2]int{it.t, it.f} {
					if pos[far]-at-1 > 255 {
						l := g.label()
						next[j].t, next[j].f = pick(it.t, far, l), pick(it.f, far, l)
						next = append(next, item{label: l}, item{ja: true, t: far, label: -1})
						fixed = false
						break
					}
				}
			}
			at++
		}
		items = next
		if !fixed {
			continue
		}
		out := make([]bpf.Instruction, 0, n)
		at = 0
		for _, it := range items {
			switch {
			case it.label >= 0:
				continue
			case it.jump:
				jt, jf := pos[it.t]-at-1, pos[it.f]-at-1
				if jt < 0 || jf < 0 {
					return nil, errors.New("a backward jump (a bug)")
				}
				out = append(out, bpf.JumpIf{Cond: it.cond, Val: it.k, SkipTrue: uint8(jt), SkipFalse: uint8(jf)})
			case it.ja:
				out = append(out, bpf.Jump{Skip: uint32(pos[it.t] - at - 1)})
			default:
				out = append(out, it.ins)
			}
			at++
		}
		return out, nil
	}
}

// Offsets in the wire's bytes of a primitive parsed after depth vlan
// primitives: the EtherType and the network header.
func offsets(depth int) (typ, nw uint32) {
	return 12 + 4*uint32(depth), 14 + 4*uint32(depth)
}

func abs(size uint8, off uint32) load { return load{kind: ldAbs, size: size, off: off} }

func eq(l load, k uint32) atom { return atom{ld: l, cond: bpf.JumpEqual, k: k} }

func and(ns ...node) node {
	n := ns[0]
	for _, x := range ns[1:] {
		n = andNode{n, x}
	}
	return n
}

func or(ns ...node) node {
	n := ns[0]
	for _, x := range ns[1:] {
		n = orNode{n, x}
	}
	return n
}

// expand turns a primitive into tests, following libpcap's code for
// Ethernet (gencode.c) so that a packet is accepted exactly when tcpdump
// accepts it.
func expand(p *prim) node {
	typ, nw := offsets(p.depth)
	ether := func(v uint32) node { return eq(abs(2, typ), v) }
	switch p.kind {
	case pEtherType:
		return ether(p.lo)
	case pProto:
		var parts []node
		if p.fam&famIP4 != 0 {
			parts = append(parts, and(ether(0x0800), eq(abs(1, nw+9), p.lo)))
		}
		if p.fam&famIP6 != 0 {
			// The protocol in the next header, or behind a fragment
			// header (44).
			parts = append(parts, and(ether(0x86dd), or(eq(abs(1, nw+6), p.lo),
				and(eq(abs(1, nw+6), 44), eq(abs(1, nw+40), p.lo)))))
		}
		return or(parts...)
	case pPort:
		cmp := func(l load) node {
			if p.lo == p.hi {
				return eq(l, p.lo)
			}
			return and(atom{ld: l, cond: bpf.JumpGreaterOrEqual, k: p.lo}, notNode{atom{ld: l, cond: bpf.JumpGreaterThan, k: p.hi}})
		}
		ports := func(src, dst load) node {
			switch p.dir {
			case dirSrc:
				return cmp(src)
			case dirDst:
				return cmp(dst)
			}
			return or(cmp(src), cmp(dst))
		}
		protos := func(l load) node {
			var ns []node
			for _, x := range p.protos {
				ns = append(ns, eq(l, uint32(x)))
			}
			return or(ns...)
		}
		// IPv6: the transport header right after the fixed header (no
		// extension headers). IPv4: not a fragment after the first,
		// the header length from IHL.
		v6 := and(ether(0x86dd), protos(abs(1, nw+6)), ports(abs(2, nw+40), abs(2, nw+42)))
		v4 := and(ether(0x0800), protos(abs(1, nw+9)),
			notNode{atom{ld: abs(2, nw+6), cond: bpf.JumpBitsSet, k: 0x1fff}},
			ports(load{kind: ldInd, size: 2, off: nw, xoff: nw}, load{kind: ldInd, size: 2, off: nw + 2, xoff: nw}))
		return or(v6, v4)
	case pHost, pNet:
		if p.addr.Is4() {
			a4 := p.addr.As4()
			a := uint32(a4[0])<<24 | uint32(a4[1])<<16 | uint32(a4[2])<<8 | uint32(a4[3])
			m := uint32(0xffffffff)
			if p.kind == pNet {
				m4 := p.mask.As4()
				m = uint32(m4[0])<<24 | uint32(m4[1])<<16 | uint32(m4[2])<<8 | uint32(m4[3])
			}
			if m == 0 {
				// 0.0.0.0/0: libpcap's optimizer leaves the EtherTypes only.
				if p.via != 0 {
					return ether(p.via)
				}
				return or(ether(0x0800), ether(0x0806), ether(0x8035))
			}
			word := func(off uint32) node {
				if m == 0xffffffff {
					return eq(abs(4, off), a)
				}
				return atom{ld: abs(4, off), mask: m, masked: true, cond: bpf.JumpEqual, k: a & m}
			}
			sides := func(src, dst uint32) node {
				switch p.dir {
				case dirSrc:
					return word(src)
				case dirDst:
					return word(dst)
				}
				return or(word(src), word(dst))
			}
			// IPv4, then ARP and RARP (sender and target protocol
			// addresses), as libpcap does for host and net.
			var parts []node
			for _, x := range []struct {
				typ      uint32
				src, dst uint32
			}{{0x0800, nw + 12, nw + 16}, {0x0806, nw + 14, nw + 24}, {0x8035, nw + 14, nw + 24}} {
				if p.via == 0 || p.via == x.typ {
					parts = append(parts, and(ether(x.typ), sides(x.src, x.dst)))
				}
			}
			return or(parts...)
		}
		a16 := p.addr.As16()
		var m16 [16]byte
		if p.kind == pNet {
			m16 = p.mask.As16()
		} else {
			for i := range m16 {
				m16[i] = 0xff
			}
		}
		addr6 := func(off uint32) node {
			var ws []node
			for i := range 4 {
				w := uint32(a16[4*i])<<24 | uint32(a16[4*i+1])<<16 | uint32(a16[4*i+2])<<8 | uint32(a16[4*i+3])
				m := uint32(m16[4*i])<<24 | uint32(m16[4*i+1])<<16 | uint32(m16[4*i+2])<<8 | uint32(m16[4*i+3])
				switch m {
				case 0:
				case 0xffffffff:
					ws = append(ws, eq(abs(4, off+4*uint32(i)), w))
				default:
					ws = append(ws, atom{ld: abs(4, off+4*uint32(i)), mask: m, masked: true, cond: bpf.JumpEqual, k: w & m})
				}
			}
			if len(ws) == 0 {
				return ether(0x86dd) // ::/0
			}
			return and(ws...)
		}
		var side node
		switch p.dir {
		case dirSrc:
			side = addr6(nw + 8)
		case dirDst:
			side = addr6(nw + 24)
		default:
			side = or(addr6(nw+8), addr6(nw+24))
		}
		return and(ether(0x86dd), side)
	case pEtherHost:
		mac := func(off uint32) node {
			m := p.mac
			return and(eq(abs(4, off+2), uint32(m[2])<<24|uint32(m[3])<<16|uint32(m[4])<<8|uint32(m[5])),
				eq(abs(2, off), uint32(m[0])<<8|uint32(m[1])))
		}
		switch p.dir {
		case dirSrc:
			return mac(6)
		case dirDst:
			return mac(0)
		}
		return or(mac(6), mac(0))
	case pVLAN:
		tag := or(ether(0x8100), ether(0x88a8), ether(0x9100))
		if !p.hasID {
			return tag
		}
		return and(tag, atom{ld: abs(2, nw), mask: 0x0fff, masked: true, cond: bpf.JumpEqual, k: p.lo})
	case pLess:
		return notNode{atom{ld: load{kind: ldLen}, cond: bpf.JumpGreaterThan, k: p.lo}}
	case pGreater:
		return atom{ld: load{kind: ldLen}, cond: bpf.JumpGreaterOrEqual, k: p.lo}
	}
	panic("filter: unknown primitive")
}

// pick is l in place of target far.
func pick(target, far, l int) int {
	if target == far {
		return l
	}
	return target
}
