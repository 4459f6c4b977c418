package oui

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func parseEmbedded() (*Table, error) { return Load(bytes.NewReader(ieee)) }

func gz(t testing.TB, text []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(text); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLongestPrefix uses testdata/nested.txt, where an MA-L held by a
// vendor contains an MA-M and that an MA-S and an IAB block (the IEEE
// never nests them so, which is why the embedded table cannot show it):
// the longest prefix wins, and an address outside a sub-block falls back
// to the block around it.
func TestLongestPrefix(t *testing.T) {
	tab, err := Load(bytes.NewReader(gz(t, readFile(t, "testdata/nested.txt"))))
	if err != nil {
		t.Fatal(err)
	}
	outer := Block{Prefix: "00-11-22", Bits: 24, Registry: MAL, Org: "Outer Vendor GmbH"}
	middle := Block{Prefix: "00-11-22-3", Bits: 28, Registry: MAM, Org: "Middle & Sons, Inc."}
	small := Block{Prefix: "00-11-22-33-4", Bits: 36, Registry: MAS, Org: "Small Co."}
	iab := Block{Prefix: "00-11-22-33-5", Bits: 36, Registry: IAB, Org: "Outer Vendor GmbH"}
	tests := []struct {
		mac  string
		want Block
	}{
		{"00:11:22:00:00:00", outer},
		{"00:11:22:2f:ff:ff", outer},
		{"00:11:22:30:00:00", middle},
		{"00:11:22:33:3f:ff", middle},
		{"00:11:22:33:40:00", small},
		{"00:11:22:33:4f:ff", small},
		{"00:11:22:33:50:00", iab},
		{"00:11:22:33:60:00", middle},
		{"00:11:22:3f:ff:ff", middle},
		{"00:11:22:40:00:00", outer},
		{"00:11:22:ff:ff:ff", outer},
		{"00:11:21:ff:ff:ff", Block{}},
		{"00:11:23:00:00:00", Block{}},
		{"70:b3:d5:0a:e0:01", Block{Prefix: "70-B3-D5-0A-E", Bits: 36, Registry: MAS, Org: "Lone MA-S"}},
		{"70:b3:d5:0a:d0:01", Block{}},
		{"fc:ff:ff:ff:ff:ff", Block{Prefix: "FC-FF-FF", Bits: 24, Registry: MAL, Org: "Last Block"}},
	}
	for _, tc := range tests {
		got, ok := tab.Lookup(mac(t, tc.mac))
		if ok != (tc.want != Block{}) || got != tc.want {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v", tc.mac, got, ok, tc.want)
		}
	}
	if tab.Version() != "test-1" || tab.Len() != 7 || tab.Count(MAL) != 3 || tab.Count(MAM) != 1 || tab.Count(MAS) != 2 || tab.Count(IAB) != 1 {
		t.Errorf("version %q, len %d, counts %d %d %d %d", tab.Version(), tab.Len(), tab.Count(MAL), tab.Count(MAM), tab.Count(MAS), tab.Count(IAB))
	}
	// Names are stored once.
	if len(tab.orgs) != 6 {
		t.Errorf("%d organisation names, want 6: %q", len(tab.orgs), tab.orgs)
	}
}

// TestParseErrors feeds broken tables: each must fail with ErrFormat and
// name the faulty line.
func TestParseErrors(t *testing.T) {
	const head = "harborwatch-oui 1\n# c\nversion v1\n"
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "line 0: truncated: no end line"},
		{"bad magic", "harborwatch-oui 2\nversion v\nend 0\n", "line 1:"},
		{"no version", "harborwatch-oui 1\nL 001B1B X\nend 1\n", "line 2: want version line"},
		{"empty version", "harborwatch-oui 1\nversion \nend 0\n", "line 2: want version line"},
		{"long version", "harborwatch-oui 1\nversion " + strings.Repeat("v", 65) + "\nend 0\n", "line 2: want version line"},
		{"comment after version", head + "# late\nend 0\n", `line 4: unknown registry '#'`},
		{"no end", head + "L 001B1B Siemens AG,\n", "line 4: truncated: no end line"},
		{"end count", head + "L 001B1B Siemens AG,\nend 2\n", "line 5: end line"},
		{"end not a number", head + "end x\n", "line 4: end line"},
		{"after end", head + "end 0\nL 001B1B X\n", "line 5: data after the end line"},
		{"no final newline", head + "end 0", "line 4: no newline"},
		{"crlf", head + "L 001B1B X\r\nend 1\n", "line 4: organisation"},
		{"registry", head + "X 001B1B X\nend 1\n", "line 4: unknown registry 'X'"},
		{"short line", head + "L\nend 1\n", `line 4: want "R HEX ORGANISATION"`},
		{"no separator", head + "L001B1B X\nend 1\n", `line 4: want "R HEX ORGANISATION"`},
		{"lower-case hex", head + "L 001b1b X\nend 1\n", "line 4: MA-L block: \"001b1b\" is not upper-case hex"},
		{"too few digits", head + "M 001B1B X\nend 1\n", "line 4: MA-M block: want 7 hex digits"},
		{"too many digits", head + "L 001B1B1 X\nend 1\n", "line 4: MA-L block: want 6 hex digits"},
		{"no name", head + "S 001B1B123 \nend 1\n", "line 4: MA-S block: want 9 hex digits, a space and a name"},
		{"name trailing space", head + "L 001B1B X \nend 1\n", "line 4: organisation"},
		{"name leading space", head + "L 001B1B  X\nend 1\n", "line 4: organisation"},
		{"name control", head + "L 001B1B X\x00Y\nend 1\n", "line 4: organisation"},
		{"name C1 control", head + "L 001B1B X\u0085Y\nend 1\n", "line 4: organisation"},
		{"name bad utf-8", head + "L 001B1B X\xffY\nend 1\n", "line 4: organisation"},
		{"unsorted", head + "L 001B1C X\nL 001B1B Y\nend 2\n", "line 5: MA-L block 001B1B: not after"},
		{"duplicate", head + "L 001B1B X\nL 001B1B Y\nend 2\n", "line 5: MA-L block 001B1B: not after"},
		{"duplicate across S and I", head + "S 001B1B123 X\nI 001B1B123 Y\nend 2\n", "line 5: IAB block 001B1B123: not after"},
		{"local block", head + "L 02608C 3COM\nend 1\n", "line 4: MA-L block 02608C: the I/G or U/L bit is set"},
		{"group block", head + "S 01B3D50AE X\nend 1\n", "line 4: MA-S block 01B3D50AE: the I/G or U/L bit is set"},
		{"groups out of order", head + "M 001B1B1 X\nL 001B1C Y\nend 2\n", "line 5: MA-L block 001B1C after longer prefixes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := parse([]byte(tc.text))
			if err == nil {
				t.Fatalf("parse succeeded: %d blocks", tab.Len())
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want ErrFormat and %q", err, tc.want)
			}
			// Through Load, the same error.
			_, err2 := Load(bytes.NewReader(gz(t, []byte(tc.text))))
			if err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Load error %v, parse error %v", err2, err)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	good := gz(t, readFile(t, "testdata/nested.txt"))
	if _, err := Load(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	bomb := gz(t, bytes.Repeat([]byte("# padding line\n"), maxTable/15+1))
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not gzip", readFile(t, "testdata/nested.txt"), "decompress: gzip: invalid header"},
		{"empty", nil, "decompress: EOF"},
		{"truncated gzip", good[:len(good)-9], "decompress: unexpected EOF"},
		{"bad checksum", append(good[:len(good)-8:len(good)-8], 0, 0, 0, 0, 0, 0, 0, 0), "decompress: gzip: invalid checksum"},
		{"too big", bomb, "more than 16777216 bytes decompressed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(bytes.NewReader(tc.data))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrFormat and %q", err, tc.want)
			}
		})
	}
	t.Run("reader error", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := Load(io.MultiReader(bytes.NewReader(good[:100]), errReader{boom}))
		if !errors.Is(err, boom) {
			t.Errorf("error %v, want it to wrap the reader's", err)
		}
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
