package capture

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// hashFile writes b to a file and returns its path.
func hashFile(t *testing.T, b []byte, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSHA256 checks that a Source opened with Options.Hash yields the
// SHA-256 of the whole file once read, for clean, truncated and corrupt
// files of both formats, from Open and from NewReader.
func TestSHA256(t *testing.T) {
	pcapFile := genPcap(t, 3000, 1595660608e9, 1000) // > 1 MiB: several buffer fills
	ngFile := genPcapNG(t, 3000, true)
	// A pcap whose second record is longer than on the wire: the
	// reader stops there, yet the sum covers every byte after it.
	corrupt := newPcap(le, false, 100, 1)
	corrupt.packet(1, 0, seq(0, 60))
	corrupt.rec(2, 0, 200, 100, seq(0, 100)) // captured > original
	for range 20000 {
		corrupt.packet(3, 0, seq(0, 60))
	}
	tests := []struct {
		name    string
		b       []byte
		packets int64
		damaged bool
	}{
		{"pcap", pcapFile, 3000, false},
		{"pcapng", ngFile, 3000, false},
		{"pcap header only", pcapFile[:24], 0, false},
		{"pcap truncated in a record", pcapFile[:len(pcapFile)/2], -1, true},
		{"pcap truncated in a record header", pcapFile[:24+16+1514+7], 1, true},
		{"pcapng truncated in a block", ngFile[:len(ngFile)-9], 2999, true},
		{"pcap corrupt record, long tail", corrupt.b, 1, true},
	}
	for _, tt := range tests {
		want := sha256.Sum256(tt.b)
		check := func(t *testing.T, src Source) {
			t.Helper()
			if _, ok := SHA256(src); ok {
				t.Error("SHA256 known before the end of the input")
			}
			pkts, err := readAll(t, src)
			if tt.packets >= 0 && int64(len(pkts)) != tt.packets {
				t.Errorf("read %d packets, want %d", len(pkts), tt.packets)
			}
			var de *DamageError
			if err != nil && !errors.As(err, &de) {
				t.Fatal(err)
			}
			if (err != nil) != tt.damaged {
				t.Errorf("damage %v, want damaged %v", err, tt.damaged)
			}
			sum, ok := SHA256(src)
			if !ok {
				t.Fatal("SHA256 unknown after the end of the input")
			}
			if sum != want {
				t.Errorf("SHA256 = %x, want %x (sha256 of the file)", sum, want)
			}
			if err := src.Close(); err != nil {
				t.Fatal(err)
			}
			if sum2, ok := SHA256(src); !ok || sum2 != want {
				t.Error("SHA256 lost by Close")
			}
		}
		t.Run(tt.name+"/open", func(t *testing.T) {
			src, err := OpenWith(hashFile(t, tt.b, "f"), Options{Hash: true})
			if err != nil {
				t.Fatal(err)
			}
			check(t, src)
		})
		t.Run(tt.name+"/reader", func(t *testing.T) {
			src, err := NewReaderWith(bytes.NewReader(tt.b), "f", Options{Hash: true})
			if err != nil {
				t.Fatal(err)
			}
			check(t, src)
		})
	}
}

// TestSHA256Unknown checks when there is no sum: without Options.Hash,
// when closed before the end, after an I/O error, and for a Merged.
func TestSHA256Unknown(t *testing.T) {
	b := genPcap(t, 10, 0, 1000)
	t.Run("not asked", func(t *testing.T) {
		src := open(t, b, "a.pcap")
		readAll(t, src)
		if _, ok := SHA256(src); ok {
			t.Error("SHA256 known without Options.Hash")
		}
	})
	t.Run("closed early", func(t *testing.T) {
		src, err := NewReaderWith(bytes.NewReader(b), "a.pcap", Options{Hash: true})
		if err != nil {
			t.Fatal(err)
		}
		var p Packet
		if err := src.Next(&p); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := src.Next(&p); err != io.EOF {
			t.Fatalf("Next after Close: %v", err)
		}
		if _, ok := SHA256(src); ok {
			t.Error("SHA256 known for a Source closed before its end")
		}
	})
	t.Run("input fails", func(t *testing.T) {
		r := io.MultiReader(bytes.NewReader(b[:100]), failReader{})
		src, err := NewReaderWith(r, "a.pcap", Options{Hash: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(t, src); err == nil {
			t.Fatal("no error from a failing input")
		}
		if _, ok := SHA256(src); ok {
			t.Error("SHA256 known for an input that failed")
		}
	})
	t.Run("merge", func(t *testing.T) {
		a, _ := NewReaderWith(bytes.NewReader(b), "a.pcap", Options{Hash: true})
		m := Merge(a)
		readAll(t, m)
		if _, ok := SHA256(m); ok {
			t.Error("SHA256 known for a Merged")
		}
		if sum, ok := SHA256(a); !ok || sum != sha256.Sum256(b) {
			t.Error("a merged source has no sum or a wrong one")
		}
	})
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// TestSHA256Allocs proves that hashing adds no allocation per packet.
func TestSHA256Allocs(t *testing.T) {
	b := genPcap(t, 20000, 0, 1000)
	src, err := NewReaderWith(bytes.NewReader(b), "a.pcap", Options{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	if err := src.Next(&p); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5000, func() {
		if err := src.Next(&p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet with hashing, want 0", allocs)
	}
}
