package xfer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
)

// Errors of ParseTFTP.
var (
	ErrTFTPTruncated = errors.New("xfer: tftp truncated")
	ErrTFTPOpcode    = errors.New("xfer: tftp unknown opcode")
	ErrTFTPMode      = errors.New("xfer: tftp empty mode")
	ErrTFTPOption    = errors.New("xfer: tftp bad option")
	ErrTFTPLength    = errors.New("xfer: tftp ack length")
)

// TFTPOpcode is the first field of every TFTP packet (RFC 1350 §5; OACK:
// RFC 2347).
type TFTPOpcode uint16

// TFTP opcodes.
const (
	TFTPRead      TFTPOpcode = 1 // RRQ
	TFTPWrite     TFTPOpcode = 2 // WRQ
	TFTPData      TFTPOpcode = 3 // DATA
	TFTPAck       TFTPOpcode = 4 // ACK
	TFTPError     TFTPOpcode = 5 // ERROR
	TFTPOptionAck TFTPOpcode = 6 // OACK
)

var tftpOpNames = [...]string{"", "RRQ", "WRQ", "DATA", "ACK", "ERROR", "OACK"}

// String returns the RFC name of the opcode ("RRQ", "WRQ", …), or
// "opcode(N)".
func (o TFTPOpcode) String() string {
	if o >= 1 && int(o) < len(tftpOpNames) {
		return tftpOpNames[o]
	}
	return "opcode(" + strconv.Itoa(int(o)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (o TFTPOpcode) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// TFTPPacket is one TFTP packet. It is owned by the caller and overwritten
// by every parse; the byte fields alias the parsed datagram. Which fields
// are set depends on Opcode.
type TFTPPacket struct {
	Opcode TFTPOpcode
	// RRQ and WRQ: the file name and transfer mode ("netascii", "octet",
	// "mail", any case), without their NUL terminators.
	Filename, Mode []byte
	// DATA and ACK: the block number.
	Block uint16
	// ERROR: the error code (RFC 1350 appendix) and message.
	ErrCode uint16
	ErrMsg  []byte
	// DATA: the data, 0 to 512 bytes (or the negotiated blksize); fewer
	// than the block size ends the transfer.
	Data []byte
	// RRQ, WRQ and OACK: the options (RFC 2347) as sent,
	// "name\x00value\x00…"; see Option.
	Options []byte
}

// ParseTFTP parses one TFTP datagram (RFC 1350 §5):
//
//	RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 | [opt | 0 | value | 0]… |
//	DATA     | 03    | block    | data (0–512 bytes, or blksize)        |
//	ACK      | 04    | block    |
//	ERROR    | 05    | code     | message | 0 |
//	OACK     | 06    | [opt | 0 | value | 0]… |   (RFC 2347)
//
// Every string must be NUL-terminated inside the datagram (else
// ErrTFTPTruncated); the mode must not be empty (its value is not checked:
// see ProbeTFTPRequest); an option name must not be empty (ErrTFTPOption),
// although NUL padding after the last option is tolerated; an ACK is exactly
// 4 bytes (ErrTFTPLength). Bytes after an ERROR message's NUL are ignored.
func ParseTFTP(b []byte, p *TFTPPacket) error {
	*p = TFTPPacket{}
	if err := parseTFTP(b, p); err != nil {
		*p = TFTPPacket{}
		return err
	}
	return nil
}

func parseTFTP(b []byte, p *TFTPPacket) error {
	if len(b) < 2 {
		return ErrTFTPTruncated
	}
	p.Opcode = TFTPOpcode(binary.BigEndian.Uint16(b))
	switch p.Opcode {
	case TFTPRead, TFTPWrite:
		var ok bool
		s := b[2:]
		if p.Filename, s, ok = cstring(s); !ok {
			return ErrTFTPTruncated
		}
		if p.Mode, s, ok = cstring(s); !ok {
			return ErrTFTPTruncated
		}
		if len(p.Mode) == 0 {
			return ErrTFTPMode
		}
		return p.options(s)
	case TFTPData, TFTPAck:
		if len(b) < 4 {
			return ErrTFTPTruncated
		}
		p.Block = binary.BigEndian.Uint16(b[2:])
		if p.Opcode == TFTPData {
			p.Data = b[4:]
		} else if len(b) != 4 {
			return ErrTFTPLength
		}
	case TFTPError:
		if len(b) < 4 {
			return ErrTFTPTruncated
		}
		p.ErrCode = binary.BigEndian.Uint16(b[2:])
		var ok bool
		if p.ErrMsg, _, ok = cstring(b[4:]); !ok {
			return ErrTFTPTruncated
		}
	case TFTPOptionAck:
		return p.options(b[2:])
	default:
		return ErrTFTPOpcode
	}
	return nil
}

// options checks the option list s (RFC 2347: pairs of NUL-terminated name
// and value) and keeps it in p.Options. Trailing NUL padding is dropped.
func (p *TFTPPacket) options(s []byte) error {
	for rest := s; len(rest) > 0; {
		if allZero(rest) {
			s = s[:len(s)-len(rest)] // NUL padding after the last pair
			break
		}
		name, r, ok := cstring(rest)
		if !ok {
			return ErrTFTPTruncated
		}
		if len(name) == 0 {
			return ErrTFTPOption
		}
		if _, rest, ok = cstring(r); !ok {
			return ErrTFTPTruncated
		}
	}
	if len(s) > 0 {
		p.Options = s
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Option returns the value of the option name (ASCII case-insensitive, as
// RFC 2347 says; the first if repeated), e.g. "blksize" (RFC 2348), "tsize", "timeout" (RFC 2349)
// or "windowsize" (RFC 7440). The value aliases the parsed datagram.
func (p *TFTPPacket) Option(name string) (value []byte, ok bool) {
	for rest := p.Options; len(rest) > 0; {
		var n, v []byte
		if n, rest, ok = cstring(rest); !ok {
			return nil, false
		}
		if v, rest, ok = cstring(rest); !ok {
			return nil, false
		}
		if foldEqual(n, name) {
			return v, true
		}
	}
	return nil, false
}

// ProbeTFTPRequest reports whether b is a TFTP read or write request as a
// client opens a transfer with (RFC 1350 §5; the first datagram to port
// 69): a well-formed RRQ or WRQ whose file name is not empty and whose
// mode is netascii, octet or mail, any case. Options, if any, must be well
// formed.
//
// The file name may hold any byte but NUL: control characters, DEL and
// bytes above 0x7f (UTF-8 names) do not make a request any less a
// request, and a sender who puts an escape sequence into a name to hide it
// must not hide the transfer. The name is kept as sent; views escape it.
func ProbeTFTPRequest(b []byte) bool {
	var p TFTPPacket
	if parseTFTP(b, &p) != nil || (p.Opcode != TFTPRead && p.Opcode != TFTPWrite) || len(p.Filename) == 0 {
		return false
	}
	return foldEqual(p.Mode, "netascii") || foldEqual(p.Mode, "octet") || foldEqual(p.Mode, "mail")
}

// cstring splits a NUL-terminated string off the front of b.
func cstring(b []byte) (s, rest []byte, ok bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

// foldEqual reports whether b equals s under ASCII case folding.
func foldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if lower(c) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
