package enip

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// Path is a decoded padded EPATH (CIP Vol. 1 Appendix C): the first class,
// instance, attribute, member and connection point it names, whether it
// holds a symbolic segment (a Logix tag name), and the raw segments.
type Path struct {
	Class, Instance, Attribute, Member, Point uint32
	Has                                       PathHas
	Symbolic                                  bool
	Raw                                       []byte // the path bytes, borrowed from the PDU
}

// PathHas says which logical values a Path holds.
type PathHas uint8

// Logical values of a Path.
const (
	HasClass PathHas = 1 << iota
	HasInstance
	HasAttribute
	HasMember
	HasPoint
)

// parsePath decodes a padded EPATH. It never reads past b. An unknown or
// truncated segment stops decoding with errPath; what was decoded so far
// stays in p.
func parsePath(p *Path, b []byte) error {
	*p = Path{Raw: b}
	for i := 0; i < len(b); {
		n, err := segment(b[i:], func(kind segKind, v uint32, _ []byte) {
			switch kind {
			case segSymbol:
				p.Symbolic = true
			case segClass:
				p.first(&p.Class, HasClass, v)
			case segInstance:
				p.first(&p.Instance, HasInstance, v)
			case segAttribute:
				p.first(&p.Attribute, HasAttribute, v)
			case segMember:
				p.first(&p.Member, HasMember, v)
			case segPoint:
				p.first(&p.Point, HasPoint, v)
			}
		})
		if err != nil {
			return err
		}
		i += n
	}
	return nil
}

type segKind uint8

const (
	segPort segKind = iota
	segClass
	segInstance
	segMember
	segPoint
	segAttribute
	segKey
	segServiceID
	segNetwork
	segSymbol
	segData
)

// segment decodes the segment at the start of b, calls f with its kind,
// numeric value and (for symbols and port link addresses) bytes, and returns
// its padded length. f is a func value that does not escape, so the call does
// not allocate.
func segment(b []byte, f func(kind segKind, v uint32, s []byte)) (int, error) {
	if len(b) == 0 {
		return 0, errPath
	}
	s := b[0]
	switch s >> 5 {
	case 0: // port segment, Appendix C-1.4.1
		port := uint32(s & 0x0F)
		n := 1
		if port == 0x0F {
			if len(b) < n+2 {
				return 0, errPath
			}
			port = uint32(binary.LittleEndian.Uint16(b[n:]))
			n += 2
		}
		var link []byte
		if s&0x10 != 0 { // extended link address: size byte, then the address
			if len(b) < n+1 {
				return 0, errPath
			}
			size := int(b[n])
			n++
			if len(b) < n+size {
				return 0, errPath
			}
			link = b[n : n+size]
			n += size
		} else {
			if len(b) < n+1 {
				return 0, errPath
			}
			link = b[n : n+1]
			n++
		}
		if n%2 == 1 {
			n++ // pad byte
		}
		if n > len(b) {
			return 0, errPath
		}
		f(segPort, port, link)
		return n, nil
	case 1: // logical segment, Appendix C-1.4.2
		kind := [8]segKind{segClass, segInstance, segMember, segPoint, segAttribute, segKey, segServiceID, segKey}[(s>>2)&7]
		if (s>>2)&7 == 7 {
			return 0, errPath // reserved logical type
		}
		if kind == segKey { // electronic key: format 4, 8 bytes of key data
			if len(b) < 2 || b[1] != 4 || len(b) < 10 {
				return 0, errPath
			}
			f(segKey, 4, b[2:10])
			return 10, nil
		}
		switch s & 3 {
		case 0:
			if len(b) < 2 {
				return 0, errPath
			}
			f(kind, uint32(b[1]), nil)
			return 2, nil
		case 1:
			if len(b) < 4 {
				return 0, errPath
			}
			f(kind, uint32(binary.LittleEndian.Uint16(b[2:])), nil)
			return 4, nil
		case 2:
			if len(b) < 6 {
				return 0, errPath
			}
			f(kind, binary.LittleEndian.Uint32(b[2:]), nil)
			return 6, nil
		}
		return 0, errPath
	case 2: // network segment, Appendix C-1.4.3
		if s&0x10 != 0 { // data is a word count and words
			if len(b) < 2 || len(b) < 2+2*int(b[1]) {
				return 0, errPath
			}
			f(segNetwork, uint32(s), nil)
			return 2 + 2*int(b[1]), nil
		}
		if len(b) < 2 {
			return 0, errPath
		}
		f(segNetwork, uint32(s), nil)
		return 2, nil
	case 3: // symbolic segment, Appendix C-1.4.4
		size := int(s & 0x1F)
		if size == 0 {
			// Extended format: a format byte; numeric symbols (USINT,
			// UINT, UDINT) or double/triple-byte characters.
			if len(b) < 2 {
				return 0, errPath
			}
			fmtb := b[1]
			var n int
			switch fmtb >> 5 {
			case 1:
				n = 2 + 2*int(fmtb&0x1F)
			case 2:
				n = 2 + 3*int(fmtb&0x1F)
			case 6:
				switch fmtb & 0x1F {
				case 6:
					n = 3
				case 7:
					n = 4
				case 8:
					n = 6
				default:
					return 0, errPath
				}
			default:
				return 0, errPath
			}
			if n%2 == 1 {
				n++
			}
			if len(b) < n {
				return 0, errPath
			}
			f(segSymbol, 0, b[2:n])
			return n, nil
		}
		n := 1 + size
		if n%2 == 1 {
			n++
		}
		if len(b) < n {
			return 0, errPath
		}
		f(segSymbol, 0, b[1:1+size])
		return n, nil
	case 4: // data segment, Appendix C-1.4.5
		switch s {
		case 0x80: // simple data: word count, words
			if len(b) < 2 || len(b) < 2+2*int(b[1]) {
				return 0, errPath
			}
			f(segData, uint32(b[1]), b[2:2+2*int(b[1])])
			return 2 + 2*int(b[1]), nil
		case 0x91: // ANSI extended symbol: length, characters, pad
			if len(b) < 2 {
				return 0, errPath
			}
			size := int(b[1])
			n := 2 + size
			if n%2 == 1 {
				n++
			}
			if len(b) < n {
				return 0, errPath
			}
			f(segSymbol, 0, b[2:2+size])
			return n, nil
		}
	}
	// Data type segments (5, 6) do not appear in request paths; 7 is
	// reserved.
	return 0, errPath
}

// renderPath writes a path in a form an operator can read:
// "port 1 link 0, class 0x01, instance 1, attribute 7" or, for a Logix tag,
// the tag name ("Program:Main.Motor[3].Speed"). It allocates; it is called
// only from Detail.
func renderPath(b []byte) (text, tag string) {
	var t, g strings.Builder
	inTag, inIndex := false, false
	sep := func() {
		if t.Len() > 0 {
			t.WriteString(", ")
		}
	}
	closeIndex := func() {
		if inIndex {
			g.WriteByte(']')
			inIndex = false
		}
	}
	for i := 0; i < len(b); {
		n, err := segment(b[i:], func(kind segKind, v uint32, s []byte) {
			switch kind {
			case segSymbol:
				closeIndex()
				if inTag {
					g.WriteByte('.')
				}
				inTag = true
				g.WriteString(printable(s))
				sep()
				t.WriteString("symbol ")
				t.WriteString(printable(s))
				return
			case segMember:
				if inTag {
					if inIndex {
						g.WriteByte(',')
					} else {
						g.WriteByte('[')
						inIndex = true
					}
					g.WriteString(strconv.FormatUint(uint64(v), 10))
				}
				sep()
				t.WriteString("member ")
				t.WriteString(strconv.FormatUint(uint64(v), 10))
				return
			}
			closeIndex()
			sep()
			switch kind {
			case segPort:
				t.WriteString("port ")
				t.WriteString(strconv.FormatUint(uint64(v), 10))
				t.WriteString(" link ")
				if len(s) == 1 {
					t.WriteString(strconv.Itoa(int(s[0])))
				} else {
					t.WriteString(printable(s))
				}
			case segClass:
				t.WriteString("class 0x")
				t.WriteString(hex2(v))
			case segInstance:
				t.WriteString("instance ")
				t.WriteString(strconv.FormatUint(uint64(v), 10))
			case segAttribute:
				t.WriteString("attribute ")
				t.WriteString(strconv.FormatUint(uint64(v), 10))
			case segPoint:
				t.WriteString("connection point ")
				t.WriteString(strconv.FormatUint(uint64(v), 10))
			case segKey:
				t.WriteString("electronic key")
				if len(s) == 8 {
					t.WriteString(" vendor ")
					t.WriteString(strconv.Itoa(int(binary.LittleEndian.Uint16(s))))
					t.WriteString(" product ")
					t.WriteString(strconv.Itoa(int(binary.LittleEndian.Uint16(s[4:]))))
				}
			case segServiceID:
				t.WriteString("service 0x")
				t.WriteString(hex2(v))
			case segNetwork:
				t.WriteString("network segment 0x")
				t.WriteString(hex2(v))
			case segData:
				t.WriteString("data ")
				t.WriteString(strconv.FormatUint(uint64(v), 10))
				t.WriteString(" words")
			}
		})
		if err != nil {
			sep()
			t.WriteString("invalid segment")
			break
		}
		i += n
	}
	closeIndex()
	return t.String(), g.String()
}

// hex2 formats v as at least two lower-case hex digits.
func hex2(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

// printable copies b as a string with bytes outside printable ASCII written
// as '?', so names from the wire cannot put control characters in a report.
func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7E {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// first sets a logical segment's value the first time the path names it:
// later segments of the same kind (a member after a member) are kept in
// Raw only.
func (p *Path) first(dst *uint32, has PathHas, v uint32) {
	if p.Has&has == 0 {
		*dst, p.Has = v, p.Has|has
	}
}
