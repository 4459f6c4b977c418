package xfer

import (
	"encoding/binary"
	"unicode/utf8"
)

// utf16LEToUTF8 decodes little-endian UTF-16 (the Unicode strings of
// [MS-SMB2] §2.2, per [MS-DTYP] §2.2.55 / RFC 2781 §2.2) from src into dst
// and returns the number of bytes written. Surrogate pairs become one code
// point; an unpaired surrogate, a dangling odd byte and the C0 controls and
// DEL (which Windows forbids in names and which must not reach a log) become
// U+FFFD. When dst is too small the output stops at the last whole code
// point that fits and cut is true.
func utf16LEToUTF8(dst, src []byte) (n int, cut bool) {
	for i := 0; i < len(src); i += 2 {
		r := utf8.RuneError
		if i+1 < len(src) {
			u := rune(binary.LittleEndian.Uint16(src[i:]))
			if u >= 0x20 && u < 0x7f { // printable ASCII: the common case
				if n == len(dst) {
					return n, true
				}
				dst[n] = byte(u)
				n++
				continue
			}
			switch {
			case u >= 0xd800 && u < 0xdc00: // high surrogate
				if i+3 < len(src) {
					if v := rune(binary.LittleEndian.Uint16(src[i+2:])); v >= 0xdc00 && v < 0xe000 {
						r = 0x10000 + (u-0xd800)<<10 + (v - 0xdc00)
						i += 2
					}
				}
			case u >= 0xdc00 && u < 0xe000: // unpaired low surrogate
			case u < 0x20 || u == 0x7f:
			default:
				r = u
			}
		}
		if utf8.RuneLen(r) > len(dst)-n {
			return n, true
		}
		n += utf8.EncodeRune(dst[n:], r)
	}
	return n, false
}
