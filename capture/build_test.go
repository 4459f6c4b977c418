package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
)

// This file builds capture files byte by byte, in either byte order, for
// the tests. It follows the drafts, not the package's readers or writers,
// so the tests compare two independent readings of the format.

// byteOrder is what the builders need of binary.LittleEndian and
// binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

var (
	le byteOrder = binary.LittleEndian
	be byteOrder = binary.BigEndian
)

// pcapBuild builds a pcap file (draft-ietf-opsawg-pcap).
type pcapBuild struct {
	o byteOrder
	b []byte
}

// newPcap starts a pcap file: magic, version 2.4, snaplen, link field.
func newPcap(o byteOrder, nanos bool, snaplen, link uint32) *pcapBuild {
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	pb := &pcapBuild{o: o}
	pb.b = o.AppendUint32(pb.b, magic)
	pb.b = o.AppendUint16(pb.b, 2)
	pb.b = o.AppendUint16(pb.b, 4)
	pb.b = o.AppendUint32(pb.b, 0)
	pb.b = o.AppendUint32(pb.b, 0)
	pb.b = o.AppendUint32(pb.b, snaplen)
	pb.b = o.AppendUint32(pb.b, link)
	return pb
}

// rec appends a record and returns its offset. data is appended as given,
// whatever incl says, so that damaged records can be built.
func (pb *pcapBuild) rec(sec, frac, incl, orig uint32, data []byte) int64 {
	off := int64(len(pb.b))
	pb.b = pb.o.AppendUint32(pb.b, sec)
	pb.b = pb.o.AppendUint32(pb.b, frac)
	pb.b = pb.o.AppendUint32(pb.b, incl)
	pb.b = pb.o.AppendUint32(pb.b, orig)
	pb.b = append(pb.b, data...)
	return off
}

// packet appends a whole, uncut record.
func (pb *pcapBuild) packet(sec, frac uint32, data []byte) int64 {
	return pb.rec(sec, frac, uint32(len(data)), uint32(len(data)), data)
}

// ngBuild builds a pcapng file (draft-ietf-opsawg-pcapng).
type ngBuild struct {
	o byteOrder
	b []byte
}

// block appends a block with the body padded to 32 bits and returns its
// offset.
func (nb *ngBuild) block(typ uint32, body []byte) int64 {
	off := int64(len(nb.b))
	body = append(body[:len(body):len(body)], make([]byte, -len(body)&3)...)
	n := uint32(12 + len(body))
	nb.b = nb.o.AppendUint32(nb.b, typ)
	nb.b = nb.o.AppendUint32(nb.b, n)
	nb.b = append(nb.b, body...)
	nb.b = nb.o.AppendUint32(nb.b, n)
	return off
}

// shb starts a section in byte order o with the given major version.
func (nb *ngBuild) shb(o byteOrder, major uint16) int64 {
	nb.o = o
	var body []byte
	body = o.AppendUint32(body, 0x1a2b3c4d)
	body = o.AppendUint16(body, major)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint64(body, ^uint64(0))
	return nb.block(0x0a0d0d0a, body)
}

// opt encodes one option, padded.
func (nb *ngBuild) opt(code uint16, v []byte) []byte {
	var b []byte
	b = nb.o.AppendUint16(b, code)
	b = nb.o.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, -len(v)&3)...)
}

func (nb *ngBuild) idb(link uint16, snaplen uint32, opts ...[]byte) int64 {
	var body []byte
	body = nb.o.AppendUint16(body, link)
	body = nb.o.AppendUint16(body, 0)
	body = nb.o.AppendUint32(body, snaplen)
	for _, o := range opts {
		body = append(body, o...)
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0) // opt_endofopt
	}
	return nb.block(1, body)
}

func (nb *ngBuild) epb(id uint32, ts uint64, caplen, orig uint32, data []byte) int64 {
	var body []byte
	body = nb.o.AppendUint32(body, id)
	body = nb.o.AppendUint32(body, uint32(ts>>32))
	body = nb.o.AppendUint32(body, uint32(ts))
	body = nb.o.AppendUint32(body, caplen)
	body = nb.o.AppendUint32(body, orig)
	return nb.block(6, append(body, data...))
}

// packet appends a whole, uncut EPB.
func (nb *ngBuild) packet(id uint32, ts uint64, data []byte) int64 {
	return nb.epb(id, ts, uint32(len(data)), uint32(len(data)), data)
}

func (nb *ngBuild) spb(orig uint32, data []byte) int64 {
	return nb.block(3, append(nb.o.AppendUint32(nil, orig), data...))
}

func (nb *ngBuild) pb(id uint16, ts uint64, data []byte) int64 {
	var body []byte
	body = nb.o.AppendUint16(body, id)
	body = nb.o.AppendUint16(body, 0)
	body = nb.o.AppendUint32(body, uint32(ts>>32))
	body = nb.o.AppendUint32(body, uint32(ts))
	body = nb.o.AppendUint32(body, uint32(len(data)))
	body = nb.o.AppendUint32(body, uint32(len(data)))
	return nb.block(2, append(body, data...))
}

// seq returns n bytes counting up from start, so that packets differ.
func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// readAll reads src to its end and returns copies of the packets and the
// error that ended the reading (nil for a clean io.EOF). After any error,
// the source must report io.EOF.
func readAll(t testing.TB, src Source) ([]Packet, error) {
	t.Helper()
	var out []Packet
	for {
		var p Packet
		err := src.Next(&p)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			for range 2 {
				if again := src.Next(&p); again != io.EOF {
					t.Fatalf("Next after %v = %v, want io.EOF", err, again)
				}
			}
			return out, err
		}
		p.Data = bytes.Clone(p.Data)
		out = append(out, p)
	}
}

// open reads a file held in memory.
func open(t testing.TB, b []byte, name string) Source {
	t.Helper()
	src, err := NewReader(bytes.NewReader(b), name)
	if err != nil {
		t.Fatalf("NewReader(%s): %v", name, err)
	}
	return src
}

// checkPackets compares packets field by field.
func checkPackets(t *testing.T, got, want []Packet) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d packets, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Data, w.Data) {
			t.Errorf("packet %d: Data = % x, want % x", i+1, g.Data, w.Data)
		}
		g.Data, w.Data = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("packet %d = %+v, want %+v", i+1, g, w)
		}
	}
}

// checkDamage checks that err is a *DamageError with the given fields.
func checkDamage(t *testing.T, err error, file string, offset, packet int64, kind error, msg string) {
	t.Helper()
	var de *DamageError
	if !errors.As(err, &de) {
		t.Fatalf("error = %v, want a *DamageError", err)
	}
	if de.File != file || de.Offset != offset || de.Packet != packet {
		t.Errorf("damage at %s byte %d packet %d, want %s byte %d packet %d", de.File, de.Offset, de.Packet, file, offset, packet)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %v does not wrap %v", err, kind)
	}
	if de.Err.Error() != msg {
		t.Errorf("damage = %q, want %q", de.Err.Error(), msg)
	}
}
