package dcerpc

import (
	"encoding/binary"
	"unicode/utf8"
)

// The service control manager's RCreateServiceW (MS-SCMR §3.1.4.12): the
// call with which a remote host installs a service, PsExec's way of
// running a program on a crane HMI. Its request names the service and the
// program it runs.

// opCreateServiceW is svcctl's RCreateServiceW.
const opCreateServiceW = 12

// ifSvcctl indexes the service control manager in the interface table.
var ifSvcctl = lookupIface(mustUUID("367abb81-9844-35f1-ad32-98f038001003"))

// Bounds of the names kept, in UTF-8 bytes; longer ones are cut (Cut).
const (
	maxServiceName = 64
	maxBinaryPath  = 256
)

// Service is the service an RCreateServiceW request creates: its name,
// the command line it runs (lpBinaryPathName) and its start type
// (MS-SCMR §2.2.15: 2 auto, 3 demand, 4 disabled). It is held in fixed
// buffers inside the Analyzer (a Message points to it: the Message stays
// small to reset).
type Service struct {
	name      [maxServiceName]byte
	path      [maxBinaryPath]byte
	NameLen   uint16
	PathLen   uint16
	StartType uint32
	Cut       bool
}

// Name is the service's name (UTF-8), valid as long as the Message; nil
// for a nil Service.
func (s *Service) Name() []byte {
	if s == nil {
		return nil
	}
	return s.name[:s.NameLen]
}

// BinaryPath is the command line the service runs (UTF-8), valid as long
// as the Message; nil for a nil Service.
func (s *Service) BinaryPath() []byte {
	if s == nil {
		return nil
	}
	return s.path[:s.PathLen]
}

// createService reads an RCreateServiceW request's stub: the SCM handle
// (20 bytes), lpServiceName (a [ref, string] wchar_t*: a conformant
// varying array, C706 §14.3.3.4), lpDisplayName ([unique]: a referent
// id, then the string when not null), dwDesiredAccess, dwServiceType,
// dwStartType, dwErrorControl, lpBinaryPathName. A stub too short for
// them marks the message malformed. It fills s and points m at it.
func createService(m *Message, s *Service, o binary.ByteOrder, b []byte) {
	*s = Service{}
	n, off, cut, ok := ndrString(o, b, 20, s.name[:])
	if !ok {
		m.malformed = true
		return
	}
	s.NameLen, s.Cut = uint16(n), cut
	off = align4(off)
	if off+4 > len(b) {
		m.malformed = true
		return
	}
	ref := o.Uint32(b[off:])
	off += 4
	if ref != 0 {
		var skip [0]byte
		if _, off, _, ok = ndrString(o, b, off, skip[:]); !ok {
			m.malformed = true
			return
		}
	}
	off = align4(off)
	if off+16 > len(b) {
		m.malformed = true
		return
	}
	s.StartType = o.Uint32(b[off+8:])
	if n, _, cut, ok = ndrString(o, b, off+16, s.path[:]); !ok {
		m.malformed = true
		return
	}
	s.PathLen, s.Cut = uint16(n), s.Cut || cut
	m.Service = s
}

func align4(n int) int { return (n + 3) &^ 3 }

// ndrString reads the conformant varying UTF-16 string at off (aligned to
// 4): maximum count, offset, actual count, then the code units. It
// converts it to UTF-8 into dst up to the first NUL, as much as fits
// (cut: not all did), and returns the bytes written and the offset after
// the string.
func ndrString(o binary.ByteOrder, b []byte, off int, dst []byte) (n, next int, cut, ok bool) {
	off = align4(off)
	if off < 0 || off+12 > len(b) {
		return 0, 0, false, false
	}
	actual := int(o.Uint32(b[off+8:]))
	off += 12
	if actual < 0 || actual > (len(b)-off)/2 {
		return 0, 0, false, false
	}
	end := off + 2*actual
	for i := off; i < end; i += 2 {
		u := rune(o.Uint16(b[i:]))
		if u == 0 {
			break
		}
		if u >= 0xd800 && u < 0xe000 {
			u = utf8.RuneError // surrogate halves are not joined
		}
		if utf8.RuneLen(u) > len(dst)-n {
			cut = true
			break
		}
		n += utf8.EncodeRune(dst[n:], u)
	}
	return n, end, cut, true
}
