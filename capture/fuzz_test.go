package capture

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"testing"
)

// checkRead reads any input to its end and checks what must hold whatever
// the bytes: the reading ends, errors are of the documented kinds, and
// every packet's Data lies in the input after its record's offset and is
// no longer than the packet was on the wire. The input is hashed
// (Options.Hash) and the sum must be that of every byte of it, damaged or
// not.
func checkRead(t *testing.T, in []byte) {
	src, err := NewReaderWith(bytes.NewReader(in), "fuzz", Options{Hash: true})
	if err != nil {
		var de *DamageError
		if src != nil {
			t.Fatalf("a Source with the error %v", err)
		}
		if !errors.Is(err, ErrNotCapture) && !errors.As(err, &de) {
			t.Fatalf("open error %v is neither ErrNotCapture nor damage", err)
		}
		return
	}
	var p Packet
	for n := int64(1); ; n++ {
		if n > int64(len(in)/12+1) {
			t.Fatalf("more packets (%d) than the input can hold", n)
		}
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			var de *DamageError
			if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not damage", err)
			}
			if de.Offset < 0 || de.Offset >= int64(len(in)) || de.Packet != n {
				t.Fatalf("damage at byte %d packet %d in %d bytes after %d packets", de.Offset, de.Packet, len(in), n-1)
			}
			if err := src.Next(&p); err != io.EOF {
				t.Fatalf("Next after damage = %v, want io.EOF", err)
			}
			break
		}
		if p.Number != n {
			t.Fatalf("packet %d numbered %d", n, p.Number)
		}
		if len(p.Data) > p.OrigLen {
			t.Fatalf("packet %d: %d bytes captured of %d on the wire", n, len(p.Data), p.OrigLen)
		}
		if p.Offset < 0 || p.Offset+int64(len(p.Data)) > int64(len(in)) ||
			bytes.Index(in[p.Offset:], p.Data) < 0 {
			t.Fatalf("packet %d: %d bytes at offset %d are not in the input", n, len(p.Data), p.Offset)
		}
	}
	if sum, ok := SHA256(src); !ok || sum != sha256.Sum256(in) {
		t.Fatalf("SHA256 = %x, %v; want %x", sum, ok, sha256.Sum256(in))
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
}

// seedFuzz adds files, and each file cut in a few places and with a few
// bytes spoiled.
func seedFuzz(f *testing.F, files ...[]byte) {
	for _, b := range files {
		f.Add(b)
		for _, cut := range []int{4, 23, 24, 27, 40, len(b) / 2, len(b) - 1} {
			if cut < len(b) {
				f.Add(b[:cut])
			}
		}
		for _, at := range []int{9, 20, 33, 45, len(b) - 3} {
			if at >= 0 && at < len(b) {
				c := bytes.Clone(b)
				c[at] ^= 0x80
				f.Add(c)
			}
		}
	}
}

func readTestdata(f *testing.F, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzPcap(f *testing.F) {
	pb := newPcap(be, true, 64, 0x24000001)
	pb.packet(1, 2, seq(0, 64))
	pb.rec(3, 4, 64, 1500, seq(1, 64))
	pb.packet(5, 6, nil)
	seedFuzz(f,
		readTestdata(f, "modbus_example.pcap"),
		genPcap(f, 5, 1595660608e9, 1),
		pb.b,
	)
	f.Fuzz(checkRead)
}

func FuzzPcapNG(f *testing.F) {
	sections := &ngBuild{}
	sections.shb(le, 1)
	sections.idb(1, 0, sections.opt(9, []byte{0x8a}), sections.opt(14, le.AppendUint64(nil, 7)))
	sections.packet(0, tsUS, seq(0, 30))
	sections.spb(40, seq(1, 40))
	sections.block(4, seq(0, 12))
	sections.shb(be, 2)
	sections.block(6, seq(0, 40))
	sections.shb(be, 1)
	sections.idb(101, 16)
	sections.pb(0, tsUS, seq(2, 10))
	sections.spb(100, seq(3, 16))
	seedFuzz(f,
		readTestdata(f, "multiple_service_packet_cip.pcapng"),
		readTestdata(f, "set_attribute_single_service_cip.pcapng"),
		twoIfaces(le).b,
		twoIfaces(be).b,
		genPcapNG(f, 6, true),
		sections.b,
	)
	f.Fuzz(checkRead)
}
