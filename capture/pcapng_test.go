package capture

import (
	"bytes"
	"testing"
)

// Timestamps used below: 2020-07-25T07:03:28.123456789Z.
const (
	sec0  = 1595660608
	tsUS  = sec0*1_000_000 + 123456        // in microseconds
	tsNS  = sec0*1_000_000_000 + 123456789 // in nanoseconds
	tsUSn = sec0*1_000_000_000 + 123456000 // tsUS in nanoseconds
)

// TestPcapNG reads hand-built pcapng files block by block.
func TestPcapNG(t *testing.T) {
	type file struct {
		b    []byte
		want []Packet
	}
	tests := []struct {
		name  string
		build func() file
	}{
		{"two interfaces, little-endian", func() file { return twoIfaces(le) }},
		{"two interfaces, big-endian", func() file { return twoIfaces(be) }},
		{"power-of-two resolution and offset", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			// if_tsresol 0x8a: units of 2^-10 s; if_tsoffset -3600 s.
			offset := int64(-3600)
			nb.idb(113, 0, nb.opt(9, []byte{0x8a}), nb.opt(14, le.AppendUint64(nil, uint64(offset))))
			// 2^-20 s, and 2^-63 s, the finest allowed.
			nb.idb(1, 0, nb.opt(9, []byte{0x94}))
			nb.idb(1, 0, nb.opt(9, []byte{0xbf}))
			o1 := nb.packet(0, sec0*1024+512, seq(0, 20))
			o2 := nb.packet(0, sec0*1024+1, seq(1, 20))
			o3 := nb.packet(1, sec0<<20|3, seq(2, 20))
			o4 := nb.packet(2, 1<<63|1<<62, seq(3, 20)) // 1.5 s
			return file{nb.b, []Packet{
				{Data: seq(0, 20), OrigLen: 20, TS: (sec0-3600)*1e9 + 500_000_000, Link: LinkLinuxSLL, Number: 1, Offset: o1},
				// 1/1024 s = 976562.5 ns, rounded down.
				{Data: seq(1, 20), OrigLen: 20, TS: (sec0-3600)*1e9 + 976_562, Link: LinkLinuxSLL, Number: 2, Offset: o2},
				// 3/2^20 s = 2861.02… ns.
				{Data: seq(2, 20), OrigLen: 20, TS: sec0*1e9 + 2861, Iface: 1, Link: LinkEthernet, Number: 3, Offset: o3},
				{Data: seq(3, 20), OrigLen: 20, TS: 1_500_000_000, Iface: 2, Link: LinkEthernet, Number: 4, Offset: o4},
			}}
		}},
		{"decimal resolutions", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.idb(1, 0, nb.opt(9, []byte{0}))  // seconds
			nb.idb(1, 0, nb.opt(9, []byte{3}))  // milliseconds
			nb.idb(1, 0, nb.opt(9, []byte{12})) // picoseconds
			nb.idb(1, 0, nb.opt(9, []byte{19})) // 10^-19 s, the finest allowed
			o1 := nb.packet(0, sec0, seq(0, 4))
			o2 := nb.packet(1, sec0*1000+7, seq(0, 4))
			o3 := nb.packet(2, 5_123_456_789_999, seq(0, 4)) // picoseconds overflow 64 bits after 213 days
			o4 := nb.packet(3, 12_345_678_901_234_567_890, seq(0, 4))
			return file{nb.b, []Packet{
				{Data: seq(0, 4), OrigLen: 4, TS: sec0 * 1e9, Link: LinkEthernet, Number: 1, Offset: o1},
				{Data: seq(0, 4), OrigLen: 4, TS: sec0*1e9 + 7_000_000, Iface: 1, Link: LinkEthernet, Number: 2, Offset: o2},
				{Data: seq(0, 4), OrigLen: 4, TS: 5_123_456_789, Iface: 2, Link: LinkEthernet, Number: 3, Offset: o3},
				{Data: seq(0, 4), OrigLen: 4, TS: 1_234_567_890, Iface: 3, Link: LinkEthernet, Number: 4, Offset: o4},
			}}
		}},
		{"simple packet blocks", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.idb(1, 64)
			o1 := nb.spb(10, seq(0, 10)) // before any timestamp: 0
			o2 := nb.packet(0, tsUS, seq(1, 30))
			o3 := nb.spb(100, seq(2, 64)) // cut by snaplen
			o4 := nb.spb(0, nil)
			return file{nb.b, []Packet{
				{Data: seq(0, 10), OrigLen: 10, TS: 0, Link: LinkEthernet, Number: 1, Offset: o1},
				{Data: seq(1, 30), OrigLen: 30, TS: tsUSn, Link: LinkEthernet, Number: 2, Offset: o2},
				{Data: seq(2, 64), OrigLen: 100, TS: tsUSn, Link: LinkEthernet, Number: 3, Offset: o3},
				{Data: []byte{}, OrigLen: 0, TS: tsUSn, Link: LinkEthernet, Number: 4, Offset: o4},
			}}
		}},
		{"simple packet block, no snaplen", func() file {
			nb := &ngBuild{}
			nb.shb(be, 1)
			nb.idb(101, 0)
			o1 := nb.spb(1500, seq(0, 1500))
			return file{nb.b, []Packet{
				{Data: seq(0, 1500), OrigLen: 1500, TS: 0, Link: LinkRaw, Number: 1, Offset: o1},
			}}
		}},
		{"obsolete packet block, big-endian offset", func() file {
			nb := &ngBuild{}
			nb.shb(be, 1)
			nb.idb(1, 0)
			nb.idb(229, 0, nb.opt(9, []byte{9}), nb.opt(14, be.AppendUint64(nil, 10)))
			o1 := nb.pb(1, tsNS, seq(5, 41))
			o2 := nb.pb(0, tsUS, seq(6, 3))
			return file{nb.b, []Packet{
				{Data: seq(5, 41), OrigLen: 41, TS: tsNS + 10e9, Iface: 1, Link: LinkIPv6, Number: 1, Offset: o1},
				{Data: seq(6, 3), OrigLen: 3, TS: tsUSn, Link: LinkEthernet, Number: 2, Offset: o2},
			}}
		}},
		{"sections switch byte order and reset interfaces", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.idb(1, 0)
			nb.idb(1, 0)
			o1 := nb.packet(1, tsUS, seq(0, 60))
			nb.shb(be, 1)
			nb.idb(101, 0, nb.opt(9, []byte{9}))
			o2 := nb.packet(0, tsNS, seq(1, 61))
			nb.shb(le, 1)
			nb.idb(228, 0)
			o3 := nb.packet(0, tsUS+1, seq(2, 62))
			return file{nb.b, []Packet{
				{Data: seq(0, 60), OrigLen: 60, TS: tsUSn, Iface: 1, Link: LinkEthernet, Number: 1, Offset: o1},
				{Data: seq(1, 61), OrigLen: 61, TS: tsNS, Link: LinkRaw, Number: 2, Offset: o2},
				{Data: seq(2, 62), OrigLen: 62, TS: tsUSn + 1000, Link: LinkIPv4, Number: 3, Offset: o3},
			}}
		}},
		{"section of unknown version skipped", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.idb(1, 0)
			o1 := nb.packet(0, tsUS, seq(0, 10))
			nb.shb(be, 2)
			nb.idb(101, 0)
			nb.packet(0, tsUS, seq(1, 10))
			nb.block(0x12345678, seq(0, 3))
			nb.shb(be, 1)
			nb.idb(101, 0)
			o2 := nb.packet(0, tsUS, seq(2, 10))
			return file{nb.b, []Packet{
				{Data: seq(0, 10), OrigLen: 10, TS: tsUSn, Link: LinkEthernet, Number: 1, Offset: o1},
				{Data: seq(2, 10), OrigLen: 10, TS: tsUSn, Link: LinkRaw, Number: 2, Offset: o2},
			}}
		}},
		{"other blocks skipped", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.block(4, seq(0, 24)) // name resolution
			nb.idb(1, 0, nb.opt(1, []byte("comment")), nb.opt(2, []byte("eth0")), nb.opt(9, []byte{6}))
			nb.block(5, seq(0, 20)) // interface statistics
			o1 := nb.packet(0, tsUS, seq(0, 7))
			nb.block(0x0a, seq(0, 33))         // decryption secrets
			nb.block(0x0bad, seq(0, 8))        // custom
			nb.block(0x40000bad, seq(0, 8))    // custom, not to copy
			nb.block(0x80000001, nil)          // local use
			nb.block(0x00000009, seq(0, 100))  // systemd journal export
			nb.block(0x7fffffff, seq(0, 1000)) // unknown
			o2 := nb.packet(0, tsUS, seq(1, 7))
			return file{nb.b, []Packet{
				{Data: seq(0, 7), OrigLen: 7, TS: tsUSn, Link: LinkEthernet, Number: 1, Offset: o1},
				{Data: seq(1, 7), OrigLen: 7, TS: tsUSn, Link: LinkEthernet, Number: 2, Offset: o2},
			}}
		}},
		{"options without end marker", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			// if_name "eth1" then if_tsresol 9, and no opt_endofopt.
			body := le.AppendUint16(nil, 1)
			body = le.AppendUint16(body, 0)
			body = le.AppendUint32(body, 0)
			body = append(body, nb.opt(2, []byte("eth1"))...)
			body = append(body, 9, 0, 1, 0, 9)
			nb.block(1, body)
			o1 := nb.packet(0, tsNS, seq(0, 5))
			return file{nb.b, []Packet{
				{Data: seq(0, 5), OrigLen: 5, TS: tsNS, Link: LinkEthernet, Number: 1, Offset: o1},
			}}
		}},
		{"snaplen-cut enhanced packet", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.idb(1, 128)
			o1 := nb.epb(0, tsUS, 128, 9000, seq(0, 128))
			return file{nb.b, []Packet{
				{Data: seq(0, 128), OrigLen: 9000, TS: tsUSn, Link: LinkEthernet, Number: 1, Offset: o1},
			}}
		}},
		{"no packets", func() file {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.idb(1, 0)
			return file{nb.b, nil}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.build()
			got, err := readAll(t, open(t, f.b, "t.pcapng"))
			if err != nil {
				t.Fatal(err)
			}
			checkPackets(t, got, f.want)
		})
	}
}

// twoIfaces is a section with an Ethernet interface in microseconds and
// a raw-IP interface in nanoseconds, packets interleaved.
func twoIfaces(o byteOrder) struct {
	b    []byte
	want []Packet
} {
	nb := &ngBuild{}
	nb.shb(o, 1)
	nb.idb(1, 0)
	nb.idb(101, 256, nb.opt(9, []byte{9}))
	o1 := nb.packet(0, tsUS, seq(0, 60))
	o2 := nb.packet(1, tsNS, seq(1, 41))
	o3 := nb.epb(1, tsNS+1, 256, 1500, seq(2, 256))
	o4 := nb.packet(0, tsUS+1, seq(3, 1))
	return struct {
		b    []byte
		want []Packet
	}{nb.b, []Packet{
		{Data: seq(0, 60), OrigLen: 60, TS: tsUSn, Link: LinkEthernet, Number: 1, Offset: o1},
		{Data: seq(1, 41), OrigLen: 41, TS: tsNS, Link: LinkRaw, Iface: 1, Number: 2, Offset: o2},
		{Data: seq(2, 256), OrigLen: 1500, TS: tsNS + 1, Link: LinkRaw, Iface: 1, Number: 3, Offset: o3},
		{Data: seq(3, 1), OrigLen: 1, TS: tsUSn + 1000, Link: LinkEthernet, Number: 4, Offset: o4},
	}}
}

// TestPcapNGDamage spoils files one block at a time.
func TestPcapNGDamage(t *testing.T) {
	// base is SHB (0..28), IDB (28..48), EPB (48..88), EPB (88..128).
	base := func() *ngBuild {
		nb := &ngBuild{}
		nb.shb(le, 1)
		nb.idb(1, 0)
		nb.packet(0, tsUS, seq(0, 8))
		nb.packet(0, tsUS, seq(1, 8))
		return nb
	}
	whole := base().b
	if len(whole) != 128 {
		t.Fatalf("fixture is %d bytes", len(whole))
	}
	// raw appends a block header and trailer with any length values.
	raw := func(nb *ngBuild, typ, length uint32, body []byte, trailer uint32) []byte {
		b := le.AppendUint32(nb.b, typ)
		b = le.AppendUint32(b, length)
		b = append(b, body...)
		return le.AppendUint32(b, trailer)
	}
	edit := func(f func(nb *ngBuild)) []byte {
		nb := base()
		f(nb)
		return nb.b
	}
	tests := []struct {
		name    string
		in      []byte
		packets int
		offset  int64 // of the damage; -1: clean end
		kind    error
		msg     string
	}{
		{"whole", whole, 2, -1, nil, ""},
		{"cut at block boundary", whole[:88], 1, -1, nil, ""},
		{"cut after the first interface", whole[:48], 0, -1, nil, ""},
		{"cut in block header", whole[:92], 1, 88, ErrTruncated, "truncated block header"},
		{"cut in block body", whole[:100], 1, 88, ErrTruncated, "truncated block"},
		{"cut before trailer", whole[:124], 1, 88, ErrTruncated, "truncated block"},
		{"cut in interface block", whole[:40], 0, 28, ErrTruncated, "truncated block"},
		{"cut in skipped block", edit(func(nb *ngBuild) {
			nb.block(4, seq(0, 100))
			nb.b = nb.b[:len(nb.b)-50]
		}), 2, 128, ErrTruncated, "truncated block"},
		{"cut in skipped block trailer", edit(func(nb *ngBuild) {
			nb.block(5, seq(0, 100))
			nb.b = nb.b[:len(nb.b)-2]
		}), 2, 128, ErrTruncated, "truncated block"},
		{"cut in second section header", edit(func(nb *ngBuild) {
			nb.shb(be, 1)
			nb.b = nb.b[:len(nb.b)-18]
		}), 2, 128, ErrTruncated, "truncated block"},
		{"length not a multiple of 4", edit(func(nb *ngBuild) {
			nb.b = raw(nb, 6, 33, make([]byte, 21), 33)
		}), 2, 128, ErrCorrupt, "implausible block length"},
		{"length below 12", edit(func(nb *ngBuild) {
			nb.b = raw(nb, 4, 8, nil, 8)
		}), 2, 128, ErrCorrupt, "implausible block length"},
		{"length absurd", edit(func(nb *ngBuild) {
			nb.b = raw(nb, 6, 0xfffffff0, make([]byte, 64), 0)
		}), 2, 128, ErrCorrupt, "implausible block length"},
		{"length absurd in skipped block", edit(func(nb *ngBuild) {
			nb.b = raw(nb, 0x0bad, 0x7ffffffc, make([]byte, 64), 0)
		}), 2, 128, ErrCorrupt, "implausible block length"},
		{"trailer differs", edit(func(nb *ngBuild) {
			nb.b = raw(nb, 6, 40, make([]byte, 28), 44)
		}), 2, 128, ErrCorrupt, "trailing block length differs from leading one"},
		{"trailer differs in skipped block", edit(func(nb *ngBuild) {
			nb.b = raw(nb, 4, 16, make([]byte, 4), 20)
		}), 2, 128, ErrCorrupt, "trailing block length differs from leading one"},
		{"trailer differs in section header", edit(func(nb *ngBuild) {
			nb.shb(le, 1)
			le.PutUint32(nb.b[len(nb.b)-4:], 32)
		}), 2, 128, ErrCorrupt, "trailing block length differs from leading one"},
		{"enhanced packet block too short", edit(func(nb *ngBuild) {
			nb.block(6, make([]byte, 16))
		}), 2, 128, ErrCorrupt, "block too short for its type"},
		{"interface block too short", edit(func(nb *ngBuild) {
			nb.block(1, make([]byte, 4))
		}), 2, 128, ErrCorrupt, "block too short for its type"},
		{"simple packet block too short", edit(func(nb *ngBuild) {
			nb.block(3, nil)
		}), 2, 128, ErrCorrupt, "block too short for its type"},
		{"undefined interface", edit(func(nb *ngBuild) {
			nb.packet(1, tsUS, seq(0, 8))
		}), 2, 128, ErrCorrupt, "packet refers to an undefined interface"},
		{"undefined interface in packet block", edit(func(nb *ngBuild) {
			nb.pb(7, tsUS, seq(0, 8))
		}), 2, 128, ErrCorrupt, "packet refers to an undefined interface"},
		{"interfaces reset by a new section", edit(func(nb *ngBuild) {
			nb.shb(be, 1)
			nb.packet(0, tsUS, seq(0, 8))
		}), 2, 156, ErrCorrupt, "packet refers to an undefined interface"},
		{"simple packet before any interface", func() []byte {
			nb := &ngBuild{}
			nb.shb(le, 1)
			nb.spb(4, seq(0, 4))
			return nb.b
		}(), 0, 28, ErrCorrupt, "packet refers to an undefined interface"},
		{"captured length beyond block", edit(func(nb *ngBuild) {
			nb.epb(0, tsUS, 9, 9, seq(0, 8))
		}), 2, 128, ErrCorrupt, "captured length exceeds the block"},
		{"captured longer than original", edit(func(nb *ngBuild) {
			nb.epb(0, tsUS, 8, 7, seq(0, 8))
		}), 2, 128, ErrCorrupt, "captured length exceeds original length"},
		{"simple packet beyond block", edit(func(nb *ngBuild) {
			nb.spb(100, seq(0, 8))
		}), 2, 128, ErrCorrupt, "captured length exceeds the block"},
		{"bad byte-order magic", edit(func(nb *ngBuild) {
			nb.shb(le, 1)
			nb.b[128+8] = 0
		}), 2, 128, ErrCorrupt, "bad byte-order magic in section header"},
		{"section header too short", edit(func(nb *ngBuild) {
			nb.b = raw(nb, 0x0a0d0d0a, 24, []byte{0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0, 0, 0, 0}, 24)
		}), 2, 128, ErrCorrupt, "implausible block length"},
		{"option runs past block", edit(func(nb *ngBuild) {
			nb.idb(1, 0, le.AppendUint32(le.AppendUint16(le.AppendUint16(nil, 2), 100), 0))
		}), 2, 128, ErrCorrupt, "option runs past the end of its block"},
		{"decimal resolution too fine", edit(func(nb *ngBuild) {
			nb.idb(1, 0, nb.opt(9, []byte{20}))
		}), 2, 128, ErrCorrupt, "unusable timestamp resolution (if_tsresol)"},
		{"binary resolution too fine", edit(func(nb *ngBuild) {
			nb.idb(1, 0, nb.opt(9, []byte{0xc0}))
		}), 2, 128, ErrCorrupt, "unusable timestamp resolution (if_tsresol)"},
		{"resolution option too long", edit(func(nb *ngBuild) {
			nb.idb(1, 0, nb.opt(9, []byte{6, 0}))
		}), 2, 128, ErrCorrupt, "unusable timestamp resolution (if_tsresol)"},
		{"offset option too short", edit(func(nb *ngBuild) {
			nb.idb(1, 0, nb.opt(14, []byte{1, 2, 3, 4}))
		}), 2, 128, ErrCorrupt, "bad if_tsoffset option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, open(t, tt.in, "d.pcapng"))
			if len(got) != tt.packets {
				t.Errorf("got %d packets before the end, want %d", len(got), tt.packets)
			}
			if tt.offset < 0 {
				if err != nil {
					t.Fatalf("error %v, want a clean end", err)
				}
				return
			}
			checkDamage(t, err, "d.pcapng", tt.offset, int64(tt.packets+1), tt.kind, tt.msg)
		})
	}
}

func TestPcapNGTooManyInterfaces(t *testing.T) {
	nb := &ngBuild{}
	nb.shb(le, 1)
	for range maxIfaces {
		nb.idb(1, 0)
	}
	nb.packet(maxIfaces-1, tsUS, seq(0, 4))
	at := nb.idb(1, 0)
	got, err := readAll(t, open(t, nb.b, "many.pcapng"))
	if len(got) != 1 || got[0].Iface != maxIfaces-1 {
		t.Fatalf("got %d packets", len(got))
	}
	checkDamage(t, err, "many.pcapng", at, 2, ErrCorrupt, "too many interfaces in one section")
}

func TestPcapNGHeaderDamage(t *testing.T) {
	nb := &ngBuild{}
	nb.shb(be, 1)
	good := nb.b
	badMagic := bytes.Clone(good)
	badMagic[11] = 0x4e
	tests := []struct {
		name string
		in   []byte
		kind error
		msg  string
	}{
		{"block type only", good[:4], ErrTruncated, "truncated file header"},
		{"no byte-order magic", good[:8], ErrTruncated, "truncated block"},
		{"cut section header", good[:20], ErrTruncated, "truncated block"},
		{"bad byte-order magic", badMagic, ErrCorrupt, "bad byte-order magic in section header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewReader(bytes.NewReader(tt.in), "h.pcapng")
			if src != nil {
				t.Errorf("got a Source with the error")
			}
			checkDamage(t, err, "h.pcapng", 0, 1, tt.kind, tt.msg)
		})
	}
}

func TestTSUnits(t *testing.T) {
	tests := []struct {
		name string
		v    byte
		want uint64
		ok   bool
	}{
		{"seconds", 0, 1, true},
		{"microseconds", 6, 1_000_000, true},
		{"nanoseconds", 9, 1_000_000_000, true},
		{"10^-19", 19, 10_000_000_000_000_000_000, true},
		{"10^-20", 20, 0, false},
		{"2^0", 0x80, 1, true},
		{"2^-10", 0x8a, 1024, true},
		{"2^-63", 0xbf, 1 << 63, true},
		{"2^-64", 0xc0, 0, false},
		{"2^-127", 0xff, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tsUnits(tt.v)
			if got != tt.want || ok != tt.ok {
				t.Errorf("tsUnits(%#x) = %d, %v; want %d, %v", tt.v, got, ok, tt.want, tt.ok)
			}
		})
	}
}
