package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"harborwatch/internal/testutil"
	"harborwatch/oui"
)

// debian is where Debian's ieee-data package installs the IEEE lists.
const debian = "/usr/share/ieee-data"

// TestEmbeddedUpToDate regenerates the table from the installed ieee-data
// and requires the bytes package oui embeds. CI installs ieee-data; the
// test skips only where the package is not installed.
func TestEmbeddedUpToDate(t *testing.T) {
	if _, err := os.Stat(filepath.Join(debian, "oui.csv")); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not installed (apt-get install ieee-data): cannot check the embedded table", debian)
	}
	got, _, err := generate(os.DirFS(debian), "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../ieee.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	// Say whether the table or only its compression differs.
	g, w := gunzip(t, got), gunzip(t, want)
	if bytes.Equal(g, w) {
		t.Fatalf("same table, different gzip bytes (%d vs %d): did the Go compressor change? run go generate ./oui", len(got), len(want))
	}
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Fatalf("the embedded table differs from %s at line %d:\n got %q\nwant %q\nrun go generate ./oui", debian, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("the embedded table has %d lines, %s gives %d: run go generate ./oui", len(wl), debian, len(gl))
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGenerate runs the generator on testdata/ieee, rows copied from the
// IEEE lists with the oddities of the real files: a byte-order mark, CRLF,
// quoted names with commas and doubled quotes, tabs, no-break and en
// spaces, an HTML entity, a control character, RA placeholder rows, an
// MA-L listed three times, a pre-802 local MA-L, a row without a name and
// lower-case hex. The table text is compared with a golden file, then read
// back with package oui.
func TestGenerate(t *testing.T) {
	data, st, err := generate(os.DirFS("testdata/ieee"), "")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "TestGenerate", gunzip(t, data))

	if st.rows != 20 || st.placeholders != 3 || st.groupLocal != 1 || st.merged != 3 {
		t.Errorf("stats: %d rows, %d placeholders, %d local, %d merged", st.rows, st.placeholders, st.groupLocal, st.merged)
	}
	if want := []string{"oui.csv:12: no organisation name, row skipped"}; !equal(st.warnings, want) {
		t.Errorf("warnings %q, want %q", st.warnings, want)
	}

	tab, err := oui.Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Version() != "2022-08-27" || tab.Len() != 12 || tab.Count(oui.MAL) != 7 || tab.Count(oui.MAM) != 2 || tab.Count(oui.MAS) != 2 || tab.Count(oui.IAB) != 1 {
		t.Errorf("version %q, %d blocks", tab.Version(), tab.Len())
	}
	tests := []struct {
		mac  [6]byte
		want string // organisation; "" not found
	}{
		{[6]byte{0x00, 0x1b, 0x1b, 1, 2, 3}, "Siemens AG,"},
		{[6]byte{0x00, 0x00, 0xbc, 1, 2, 3}, "Rockwell Automation"},
		{[6]byte{0x08, 0x00, 0x30, 1, 2, 3}, "CERN | NETWORK RESEARCH CORPORATION | ROYAL MELBOURNE INST OF TECH"},
		{[6]byte{0xa4, 0x09, 0xcb, 1, 2, 3}, "Alfred Kaercher GmbH & Co KG"},
		{[6]byte{0x90, 0x12, 0x34, 1, 2, 3}, "Shenzhen YOUHUA Technology Co., Ltd"},
		{[6]byte{0xac, 0xde, 0x48, 1, 2, 3}, "Tabs and NBSP and en space"},
		{[6]byte{0x78, 0xca, 0x83, 0xe1, 2, 3}, "Konecranes"},
		{[6]byte{0x70, 0xb3, 0xd5, 0xf3, 0xe2, 3}, `ООО "РОНЕКС"`},
		{[6]byte{0x00, 0x50, 0xc2, 0x34, 0xe2, 3}, "ABB Power Technologies S.p.A. Unità Operativa SACE (PTMV)"},
		{[6]byte{0x70, 0xb3, 0xd5, 0x9f, 0x32, 3}, ""}, // RA's own MA-S
		{[6]byte{0x70, 0xb3, 0xd5, 0x00, 0x00, 1}, ""}, // RA's MA-L
		{[6]byte{0x00, 0x50, 0xc2, 0xf5, 0x80, 1}, ""}, // RA's own IAB
		{[6]byte{0x12, 0x34, 0x56, 0, 0, 1}, ""},       // no name
	}
	for _, tc := range tests {
		b, ok := tab.Lookup(tc.mac)
		if ok != (tc.want != "") || b.Org != tc.want {
			t.Errorf("Lookup(% x) = %+v, %v; want %q", tc.mac, b, ok, tc.want)
		}
	}

	again, _, err := generate(os.DirFS("testdata/ieee"), "")
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("second run gave different bytes (%v)", err)
	}
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// fixture returns testdata/ieee as a MapFS to break.
func fixture(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for _, name := range []string{"oui.csv", "mam.csv", "oui36.csv", "iab.csv", ".lastupdate"} {
		b, err := os.ReadFile(filepath.Join("testdata/ieee", name))
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: b, ModTime: time.Date(2022, 8, 20, 12, 0, 0, 0, time.UTC)}
	}
	return m
}

func TestGenerateErrors(t *testing.T) {
	const h = "Registry,Assignment,Organization Name,Organization Address\r\n"
	tests := []struct {
		name    string
		file    string // replaced ("" removes .lastupdate), or removed if data is "-"
		data    string
		version string
		want    string
	}{
		{"missing file", "iab.csv", "-", "", "open iab.csv: file does not exist"},
		{"empty file", "mam.csv", "", "", "mam.csv: header: EOF"},
		{"bad header", "mam.csv", "Registry,Assignment,Organization\r\n", "", "mam.csv: header: record on line 1: wrong number of fields"},
		{"renamed column", "mam.csv", "Registry,Assignment,Org Name,Organization Address\r\n", "", `mam.csv:1: header ["Registry" "Assignment" "Org Name" "Organization Address"]`},
		{"wrong registry", "oui36.csv", h + "MA-L,70B3D5F3E,X,\r\n", "", `oui36.csv:2: registry "MA-L", want "MA-S"`},
		{"short assignment", "oui.csv", h + "MA-L,001B1,X,\r\n", "", `oui.csv:2: assignment "001B1": want 6 hex digits for MA-L`},
		{"long assignment", "mam.csv", h + "MA-M,78CA83E0,X,\r\n", "", `mam.csv:2: assignment "78CA83E0": want 7 hex digits for MA-M`},
		{"not hex", "iab.csv", h + "IAB,0050C2G4E,X,\r\n", "", `iab.csv:2: assignment "0050C2G4E" is not hex`},
		{"signed", "oui.csv", h + "MA-L,+01B1B,X,\r\n", "", `oui.csv:2: assignment "+01B1B" is not hex`},
		{"fields", "oui.csv", h + "MA-L,001B1B,X\r\n", "", "oui.csv: record on line 2: wrong number of fields"},
		{"bare quote", "oui.csv", h + "MA-L,001B1B,Siemens \"AG\",x\r\n", "", `oui.csv: parse error on line 2, column 21: bare " in non-quoted-field`},
		{"bad lastupdate", ".lastupdate", "yesterday\n", "", `.lastupdate: "yesterday" is not a Unix time`},
		{"bad version", "", "", "2022 08", `bad version "2022 08"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fixture(t)
			switch {
			case tc.data == "-":
				delete(fsys, tc.file)
			case tc.file != "":
				fsys[tc.file] = &fstest.MapFile{Data: []byte(tc.data)}
			}
			_, _, err := generate(fsys, tc.version)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestVersion: -version wins, then .lastupdate, then the newest CSV.
func TestVersion(t *testing.T) {
	version := func(fsys fs.FS, v string) string {
		data, _, err := generate(fsys, v)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := oui.Load(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return tab.Version()
	}
	fsys := fixture(t)
	if got := version(fsys, "ieee-data-20220827.1"); got != "ieee-data-20220827.1" {
		t.Errorf("flag: %q", got)
	}
	if got := version(fsys, ""); got != "2022-08-27" {
		t.Errorf(".lastupdate: %q", got)
	}
	delete(fsys, ".lastupdate")
	fsys["mam.csv"].ModTime = time.Date(2022, 8, 26, 23, 30, 0, 0, time.FixedZone("x", -2*3600))
	if got := version(fsys, ""); got != "2022-08-27" {
		t.Errorf("newest file (UTC): %q", got)
	}
}

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ieee.txt.gz")
	var stderr bytes.Buffer
	if code := run([]string{"-dir", "testdata/ieee", "-out", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := "gen: warning: oui.csv:12: no organisation name, row skipped\n" +
		"gen: wrote " + out + " (%d bytes): 20 rows, 12 blocks (MA-L 7, MA-M 2, MA-S 2, IAB 1), 3 placeholder rows and 1 group/local rows dropped, 3 duplicate rows merged\n"
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want = strings.Replace(want, "%d", strconv.Itoa(len(written)), 1); stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
	direct, _, _ := generate(os.DirFS("testdata/ieee"), "")
	if !bytes.Equal(written, direct) {
		t.Error("file differs from generate's output")
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-bogus"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"-dir", "testdata/none", "-out", out}, 1, "gen: testdata/none: open oui.csv"},
		{[]string{"-dir", "testdata/ieee", "-out", filepath.Join(out, "x")}, 1, "gen: open"},
	} {
		stderr.Reset()
		if code := run(tc.args, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run(%q) = %d, %q; want %d, %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// FuzzGenerate feeds arbitrary bytes as oui.csv beside the fixture's other
// files: the generator returns an error or a table, never panics, and every
// table it writes loads in package oui with the blocks it counted.
func FuzzGenerate(f *testing.F) {
	for _, name := range []string{"oui.csv", "mam.csv", "oui36.csv", "iab.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata/ieee", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.Replace(b, []byte("MA-M"), []byte("MA-L"), -1))
		f.Add(b)
	}
	f.Add([]byte("Registry,Assignment,Organization Name,Organization Address\nMA-L,001B1B,\"&#1;&amp;\u0085\xff\",\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{".lastupdate": {Data: []byte("1661630937\n")}}
		for _, name := range []string{"mam.csv", "oui36.csv", "iab.csv"} {
			b, err := os.ReadFile(filepath.Join("testdata/ieee", name))
			if err != nil {
				t.Fatal(err)
			}
			fsys[name] = &fstest.MapFile{Data: b}
		}
		fsys["oui.csv"] = &fstest.MapFile{Data: data}
		out, st, err := generate(fsys, "")
		if err != nil {
			return
		}
		tab, err := oui.Load(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("generated table does not load: %v", err)
		}
		if tab.Count(oui.MAL) != st.blocks['L'] || tab.Len() != st.blocks['L']+st.blocks['M']+st.blocks['S']+st.blocks['I'] {
			t.Fatalf("table has %d blocks (MA-L %d), generator counted %v", tab.Len(), tab.Count(oui.MAL), st.blocks)
		}
	})
}
