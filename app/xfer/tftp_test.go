package xfer

import (
	"bytes"
	"errors"
	"testing"
)

// tftpWRQ uploads a firmware image with the blksize (RFC 2348) and tsize
// (RFC 2349) options; tshark 4.0 reads it as a Write Request for
// firmware.bin, octet, blksize = 1428, tsize = 2097152.
var tftpWRQ = []byte("\x00\x02firmware.bin\x00octet\x00blksize\x001428\x00tsize\x002097152\x00")

var tftpCases = []struct {
	name string
	in   []byte
	want TFTPPacket
	err  error
}{
	{
		name: "wrq with options",
		in:   tftpWRQ,
		want: TFTPPacket{Opcode: TFTPWrite, Filename: []byte("firmware.bin"), Mode: []byte("octet"),
			Options: []byte("blksize\x001428\x00tsize\x002097152\x00")},
	},
	{
		name: "rrq netascii",
		in:   []byte("\x00\x01startup-config\x00netascii\x00"),
		want: TFTPPacket{Opcode: TFTPRead, Filename: []byte("startup-config"), Mode: []byte("netascii")},
	},
	{
		name: "rrq padded",
		in:   []byte("\x00\x01pxelinux.0\x00OCTET\x00tsize\x000\x00\x00\x00\x00"),
		want: TFTPPacket{Opcode: TFTPRead, Filename: []byte("pxelinux.0"), Mode: []byte("OCTET"), Options: []byte("tsize\x000\x00")},
	},
	{
		name: "option with empty value",
		in:   []byte("\x00\x01f\x00octet\x00x\x00\x00"),
		want: TFTPPacket{Opcode: TFTPRead, Filename: []byte("f"), Mode: []byte("octet"), Options: []byte("x\x00\x00")},
	},
	{
		name: "empty filename",
		in:   []byte("\x00\x01\x00octet\x00"),
		want: TFTPPacket{Opcode: TFTPRead, Filename: []byte{}, Mode: []byte("octet")},
	},
	{
		name: "data",
		in:   append([]byte{0, 3, 0, 1}, bytes.Repeat([]byte{0xa5}, 512)...),
		want: TFTPPacket{Opcode: TFTPData, Block: 1, Data: bytes.Repeat([]byte{0xa5}, 512)},
	},
	{
		name: "last data empty",
		in:   []byte{0, 3, 0xff, 0xff},
		want: TFTPPacket{Opcode: TFTPData, Block: 0xffff, Data: []byte{}},
	},
	{name: "ack", in: []byte{0, 4, 0, 7}, want: TFTPPacket{Opcode: TFTPAck, Block: 7}},
	{
		name: "error",
		in:   []byte("\x00\x05\x00\x01File not found\x00"),
		want: TFTPPacket{Opcode: TFTPError, ErrCode: 1, ErrMsg: []byte("File not found")},
	},
	{
		name: "error padded",
		in:   []byte("\x00\x05\x00\x02Access violation\x00\x00\x00"),
		want: TFTPPacket{Opcode: TFTPError, ErrCode: 2, ErrMsg: []byte("Access violation")},
	},
	{
		name: "oack",
		in:   []byte("\x00\x06blksize\x001428\x00"),
		want: TFTPPacket{Opcode: TFTPOptionAck, Options: []byte("blksize\x001428\x00")},
	},
	{name: "oack empty", in: []byte{0, 6}, want: TFTPPacket{Opcode: TFTPOptionAck}},

	{name: "empty", in: nil, err: ErrTFTPTruncated},
	{name: "one byte", in: []byte{0}, err: ErrTFTPTruncated},
	{name: "opcode 0", in: []byte{0, 0, 0, 0}, err: ErrTFTPOpcode},
	{name: "opcode 7", in: []byte{0, 7, 0, 0}, err: ErrTFTPOpcode},
	{name: "dns query", in: hx("12340100000100000000000003777777"), err: ErrTFTPOpcode},
	{name: "filename unterminated", in: []byte("\x00\x01file"), err: ErrTFTPTruncated},
	{name: "mode unterminated", in: []byte("\x00\x01file\x00octet"), err: ErrTFTPTruncated},
	{name: "empty mode", in: []byte("\x00\x01file\x00\x00"), err: ErrTFTPMode},
	{name: "option without value", in: []byte("\x00\x02f\x00octet\x00blksize\x00"), err: ErrTFTPTruncated},
	{name: "option value unterminated", in: []byte("\x00\x02f\x00octet\x00blksize\x001428"), err: ErrTFTPTruncated},
	{name: "empty option name", in: []byte("\x00\x02f\x00octet\x00\x00x\x00"), err: ErrTFTPOption},
	{name: "ack short", in: []byte{0, 4, 0}, err: ErrTFTPTruncated},
	{name: "ack long", in: []byte{0, 4, 0, 1, 0}, err: ErrTFTPLength},
	{name: "data short", in: []byte{0, 3, 1}, err: ErrTFTPTruncated},
	{name: "error unterminated", in: []byte("\x00\x05\x00\x01oops"), err: ErrTFTPTruncated},
	{name: "error short", in: []byte{0, 5, 0}, err: ErrTFTPTruncated},
}

func TestParseTFTP(t *testing.T) {
	for _, tc := range tftpCases {
		t.Run(tc.name, func(t *testing.T) {
			p := TFTPPacket{Filename: []byte("stale"), Block: 9}
			err := ParseTFTP(exact(tc.in), &p)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			checkTFTP(t, &p, &tc.want)
		})
	}
}

func checkTFTP(t *testing.T, got, want *TFTPPacket) {
	t.Helper()
	eq := func(name string, g, w []byte) {
		if !bytes.Equal(g, w) || (g == nil) != (w == nil) {
			t.Errorf("%s = %q, want %q", name, g, w)
		}
	}
	if got.Opcode != want.Opcode || got.Block != want.Block || got.ErrCode != want.ErrCode {
		t.Errorf("opcode/block/code = %v %d %d, want %v %d %d", got.Opcode, got.Block, got.ErrCode, want.Opcode, want.Block, want.ErrCode)
	}
	eq("Filename", got.Filename, want.Filename)
	eq("Mode", got.Mode, want.Mode)
	eq("ErrMsg", got.ErrMsg, want.ErrMsg)
	eq("Data", got.Data, want.Data)
	eq("Options", got.Options, want.Options)
}

// TestTFTPTruncated cuts every valid packet at every byte: each prefix is
// either ErrTFTPTruncated or, where the cut falls on a field boundary, a
// valid shorter packet of the same opcode.
func TestTFTPTruncated(t *testing.T) {
	for _, tc := range tftpCases {
		if tc.err != nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			var p TFTPPacket
			for i := range len(tc.in) {
				err := ParseTFTP(exact(tc.in[:i]), &p)
				switch {
				case err == nil && p.Opcode != tc.want.Opcode:
					t.Fatalf("prefix %d: opcode %v", i, p.Opcode)
				case err != nil && err != ErrTFTPTruncated && err != ErrTFTPMode && err != ErrTFTPOption:
					t.Fatalf("prefix %d: %v", i, err)
				}
			}
		})
	}
}

func TestTFTPOption(t *testing.T) {
	var p TFTPPacket
	if err := ParseTFTP(tftpWRQ, &p); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"blksize", "1428", true},
		{"BLKSIZE", "1428", true},
		{"tsize", "2097152", true},
		{"timeout", "", false},
		{"1428", "", false},
		{"", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := p.Option(tc.name)
			if string(v) != tc.value || ok != tc.ok {
				t.Fatalf("Option(%q) = %q %v, want %q %v", tc.name, v, ok, tc.value, tc.ok)
			}
		})
	}
	t.Run("empty value", func(t *testing.T) {
		var q TFTPPacket
		if err := ParseTFTP([]byte("\x00\x01f\x00octet\x00x\x00\x00"), &q); err != nil {
			t.Fatal(err)
		}
		if v, ok := q.Option("x"); !ok || len(v) != 0 {
			t.Fatalf("Option(x) = %q %v", v, ok)
		}
	})
	t.Run("no options", func(t *testing.T) {
		var q TFTPPacket
		if v, ok := q.Option("blksize"); ok || v != nil {
			t.Fatalf("Option on empty packet = %q %v", v, ok)
		}
	})
}

func TestProbeTFTPRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want bool
	}{
		{"wrq with options", tftpWRQ, true},
		{"rrq netascii", []byte("\x00\x01startup-config\x00netascii\x00"), true},
		{"mail upper", []byte("\x00\x02root\x00MAIL\x00"), true},
		{"space in name", []byte("\x00\x01my file\x00octet\x00"), true},
		{"path", []byte("\x00\x01/tftpboot/crane/plc1.cfg\x00Octet\x00"), true},
		{"unknown mode", []byte("\x00\x01f\x00binary\x00"), false},
		{"empty filename", []byte("\x00\x01\x00octet\x00"), false},
		{"control in name", []byte("\x00\x01a\x01b\x00octet\x00"), true},
		{"escape sequence in name", []byte("\x00\x02\x1b[2Jfw.bin\x00octet\x00"), true},
		{"utf8 name", []byte("\x00\x01Kr\xc3\xa4n\x00octet\x00"), true},
		{"bad option", []byte("\x00\x01f\x00octet\x00blksize"), false},
		{"data", []byte{0, 3, 0, 1, 'x'}, false},
		{"oack", []byte("\x00\x06blksize\x001428\x00"), false},
		{"unterminated", []byte("\x00\x01f\x00octet"), false},
		{"empty", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ProbeTFTPRequest(exact(tc.in)); got != tc.want {
				t.Fatalf("ProbeTFTPRequest(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestTFTPOpcodeString(t *testing.T) {
	for op, want := range map[TFTPOpcode]string{
		TFTPRead: "RRQ", TFTPWrite: "WRQ", TFTPData: "DATA", TFTPAck: "ACK", TFTPError: "ERROR",
		TFTPOptionAck: "OACK", 0: "opcode(0)", 7: "opcode(7)",
	} {
		if got := op.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", op, got, want)
		}
		if got, _ := op.MarshalText(); string(got) != want {
			t.Errorf("%d.MarshalText() = %q, want %q", op, got, want)
		}
	}
}
