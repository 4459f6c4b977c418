package filter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// Tag is the 802.1Q tag a Socket program finds in a packet's metadata
// (the kernel took it off the bytes); the zero value is none.
type Tag struct {
	Present bool
	TPID    uint16 // 0x8100, 0x88a8
	TCI     uint16 // priority, DEI and VLAN ID
}

// Classic BPF opcode fields (linux/filter.h, linux/bpf_common.h).
const (
	clsLD, clsLDX, clsST, clsSTX, clsALU, clsJMP, clsRET, clsMISC = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07

	szW, szH, szB = 0x00, 0x08, 0x10

	mdIMM, mdABS, mdIND, mdMEM, mdLEN, mdMSH = 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0

	aluADD, aluSUB, aluMUL, aluDIV, aluOR, aluAND, aluLSH, aluRSH, aluNEG, aluMOD, aluXOR = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0

	jmpJA, jmpJEQ, jmpJGT, jmpJGE, jmpJSET = 0x00, 0x10, 0x20, 0x30, 0x40

	srcX = 0x08
	rvA  = 0x10

	miscTXA = 0x80

	skfADOff         = 0xfffff000 // SKF_AD_OFF: ancillary data
	adVLANTag        = 44
	adVLANTagPresent = 48
	adVLANTPID       = 60
)

// Match reports whether the program accepts a packet: data are its
// captured bytes, wireLen its length on the wire (as a file records it),
// tag the tag a Socket program finds in the metadata. It runs the
// program as the kernel does: a load beyond the captured bytes ends it
// and rejects the packet. It allocates nothing and is safe to call from
// several goroutines.
func (p *Program) Match(data []byte, wireLen int, tag Tag) bool {
	return run(p.Raw, data, uint32(wireLen), tag) != 0
}

// run interprets a classic BPF program that Validate accepts.
func run(prog []bpf.RawInstruction, data []byte, wireLen uint32, tag Tag) uint32 {
	var a, x uint32
	var mem [16]uint32
	n := uint32(len(data))
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		k := in.K
		switch in.Op & 0x07 {
		case clsLD, clsLDX:
			var v uint32
			switch in.Op & 0xe0 {
			case mdIMM:
				v = k
			case mdLEN:
				v = wireLen
			case mdMEM:
				v = mem[k&15]
			case mdMSH:
				if k >= n {
					return 0
				}
				v = 4 * uint32(data[k]&0xf)
			case mdABS, mdIND:
				off := k
				if in.Op&0xe0 == mdIND {
					off = x + k
					if off < x { // wrapped
						return 0
					}
				} else if k >= skfADOff {
					switch k - skfADOff {
					case adVLANTag:
						v = uint32(tag.TCI)
					case adVLANTagPresent:
						if tag.Present {
							v = 1
						}
					case adVLANTPID:
						v = uint32(tag.TPID)
					default:
						return 0
					}
					break
				}
				var size uint32
				switch in.Op & 0x18 {
				case szW:
					size = 4
				case szH:
					size = 2
				default:
					size = 1
				}
				if off > n || n-off < size {
					return 0
				}
				switch size {
				case 4:
					v = binary.BigEndian.Uint32(data[off:])
				case 2:
					v = uint32(binary.BigEndian.Uint16(data[off:]))
				default:
					v = uint32(data[off])
				}
			}
			if in.Op&0x07 == clsLD {
				a = v
			} else {
				x = v
			}
		case clsST:
			mem[k&15] = a
		case clsSTX:
			mem[k&15] = x
		case clsALU:
			v := k
			if in.Op&srcX != 0 {
				v = x
			}
			switch in.Op & 0xf0 {
			case aluADD:
				a += v
			case aluSUB:
				a -= v
			case aluMUL:
				a *= v
			case aluDIV:
				if v == 0 {
					return 0
				}
				a /= v
			case aluMOD:
				if v == 0 {
					return 0
				}
				a %= v
			case aluOR:
				a |= v
			case aluAND:
				a &= v
			case aluXOR:
				a ^= v
			case aluLSH:
				if v >= 32 {
					a = 0
				} else {
					a <<= v
				}
			case aluRSH:
				if v >= 32 {
					a = 0
				} else {
					a >>= v
				}
			case aluNEG:
				a = -a
			}
		case clsJMP:
			op := in.Op & 0xf0
			if op == jmpJA {
				pc += int(k)
				continue
			}
			v := k
			if in.Op&srcX != 0 {
				v = x
			}
			var ok bool
			switch op {
			case jmpJEQ:
				ok = a == v
			case jmpJGT:
				ok = a > v
			case jmpJGE:
				ok = a >= v
			case jmpJSET:
				ok = a&v != 0
			}
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case clsRET:
			if in.Op&rvA != 0 {
				return a
			}
			return k
		case clsMISC:
			if in.Op&0xf8 == miscTXA {
				a = x
			} else {
				x = a
			}
		}
	}
	return 0
}

// ErrInvalid is a program the kernel's checker (bpf_check_classic)
// would refuse.
var ErrInvalid = errors.New("invalid classic BPF program")

// Validate checks a program as the kernel does before it attaches one:
// 1 to 4096 instructions, known opcodes, scratch memory indexes below
// 16, no division by a constant zero, every jump inside the program and
// a return as the last instruction. (The kernel also refuses a read of
// scratch memory never written; harborwatch's programs use none.)
func Validate(prog []bpf.RawInstruction) error {
	if len(prog) == 0 || len(prog) > MaxInstructions {
		return fmt.Errorf("%w: %d instructions (1 to %d)", ErrInvalid, len(prog), MaxInstructions)
	}
	bad := func(pc int, why string) error {
		return fmt.Errorf("%w: instruction %d (op %#x): %s", ErrInvalid, pc, prog[pc].Op, why)
	}
	for pc, in := range prog {
		switch in.Op {
		case clsLD | szW | mdIMM, clsLD | szW | mdLEN, clsLDX | szW | mdIMM, clsLDX | szW | mdLEN, clsLDX | szB | mdMSH,
			clsLD | szW | mdABS, clsLD | szH | mdABS, clsLD | szB | mdABS,
			clsLD | szW | mdIND, clsLD | szH | mdIND, clsLD | szB | mdIND,
			clsRET, clsRET | rvA, clsMISC, clsMISC | miscTXA:
		case clsLD | szW | mdMEM, clsLDX | szW | mdMEM, clsST, clsSTX:
			if in.K >= 16 {
				return bad(pc, "scratch memory index beyond 15")
			}
		case clsALU | aluADD, clsALU | aluSUB, clsALU | aluMUL, clsALU | aluOR, clsALU | aluAND, clsALU | aluXOR,
			clsALU | aluLSH, clsALU | aluRSH, clsALU | aluNEG,
			clsALU | aluADD | srcX, clsALU | aluSUB | srcX, clsALU | aluMUL | srcX, clsALU | aluOR | srcX, clsALU | aluAND | srcX,
			clsALU | aluXOR | srcX, clsALU | aluLSH | srcX, clsALU | aluRSH | srcX, clsALU | aluDIV | srcX, clsALU | aluMOD | srcX:
		case clsALU | aluDIV, clsALU | aluMOD:
			if in.K == 0 {
				return bad(pc, "division by zero")
			}
		case clsJMP | jmpJA:
			if uint64(pc)+1+uint64(in.K) >= uint64(len(prog)) {
				return bad(pc, "jump beyond the end")
			}
		case clsJMP | jmpJEQ, clsJMP | jmpJGT, clsJMP | jmpJGE, clsJMP | jmpJSET,
			clsJMP | jmpJEQ | srcX, clsJMP | jmpJGT | srcX, clsJMP | jmpJGE | srcX, clsJMP | jmpJSET | srcX:
			if pc+1+int(in.Jt) >= len(prog) || pc+1+int(in.Jf) >= len(prog) {
				return bad(pc, "jump beyond the end")
			}
		default:
			return bad(pc, "unknown opcode")
		}
	}
	if last := prog[len(prog)-1].Op; last != clsRET && last != clsRET|rvA {
		return bad(len(prog)-1, "the last instruction is not a return")
	}
	return nil
}
