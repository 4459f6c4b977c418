package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/testutil"
)

// fixtures writes the test's captures into dir:
//   - a.pcap: 30 Ethernet packets, microsecond timestamps, every fifth cut
//     to a snap length (captured shorter than on the wire);
//   - b.pcapng: 10 packets alternating between an Ethernet and a raw-IP
//     interface, nanosecond timestamps;
//   - c.pcap: 10 packets, then a record cut in the middle (damage).
func fixtures(t *testing.T, dir string) []string {
	t.Helper()
	payload := func(i, size int) []byte {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(i*7 + j)
		}
		return b
	}
	var a bytes.Buffer
	pw, err := capture.NewPcapWriter(&a, capture.LinkEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		size := 60 + i*97%1400
		orig := size
		if i%5 == 4 {
			orig += 1000
		}
		if err := pw.WritePacket(1700000000e9+int64(i)*1_234_000, payload(i, size), orig); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Flush(); err != nil {
		t.Fatal(err)
	}

	var b bytes.Buffer
	nw := capture.NewPcapNGWriter(&b)
	for _, l := range []capture.LinkType{capture.LinkEthernet, capture.LinkRaw} {
		if _, err := nw.AddInterface(l, 0, 9); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		data := payload(100+i, 80+i)
		if i%2 == 1 {
			data[0] = 0x45 // IPv4, for the raw interface
		}
		if err := nw.WritePacket(i%2, 1700000001e9+int64(i)*1_000_001, data, len(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}

	var c bytes.Buffer
	pw, err = capture.NewPcapWriter(&c, capture.LinkEthernet, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 11 {
		if err := pw.WritePacket(1700000002e9+int64(i)*17, payload(200+i, 100), 100); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Flush(); err != nil {
		t.Fatal(err)
	}
	cut := c.Bytes()[:c.Len()-50]

	paths := []string{filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcapng"), filepath.Join(dir, "c.pcap")}
	for i, data := range [][]byte{a.Bytes(), b.Bytes(), cut} {
		if err := os.WriteFile(paths[i], data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// packets reads a capture with package capture up to its end or damage,
// copying every packet.
func packets(t *testing.T, path string) []capture.Packet {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []capture.Packet
	for {
		var p capture.Packet
		err := src.Next(&p)
		if err == io.EOF {
			return out
		}
		var de *capture.DamageError
		if errors.As(err, &de) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		p.Data = slices.Clone(p.Data)
		out = append(out, p)
	}
}

func fileSum(t *testing.T, path string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), int64(len(b))
}

// checkFile compares an evidence file, read with package capture and, when
// tshark is given, with tshark, with the source packets it must hold.
func checkFile(t *testing.T, tshark string, f File, want []capture.Packet) {
	t.Helper()
	if f.Packets != len(want) {
		t.Errorf("%s: Packets = %d, want %d", f.ID, f.Packets, len(want))
	}
	sum, size := fileSum(t, f.Path)
	if f.SHA256 != sum || f.Bytes != size {
		t.Errorf("%s: SHA256, Bytes = %s, %d; the file has %s, %d", f.ID, f.SHA256, f.Bytes, sum, size)
	}
	got := packets(t, f.Path)
	if len(got) != len(want) || len(f.Times) != len(want) {
		t.Fatalf("%s: %d packets in the file, %d times; want %d", f.ID, len(got), len(f.Times), len(want))
	}
	for i, w := range want {
		g := got[i]
		if !bytes.Equal(g.Data, w.Data) || g.TS != w.TS || g.OrigLen != w.OrigLen || g.Link != w.Link {
			t.Errorf("%s: packet %d: got %d bytes, ts %d, orig %d, link %v; want packet %d of %d: %d bytes, ts %d, orig %d, link %v",
				f.ID, i+1, len(g.Data), g.TS, g.OrigLen, g.Link, w.Number, w.File, len(w.Data), w.TS, w.OrigLen, w.Link)
		}
		if !f.Times[i].Equal(time.Unix(0, w.TS)) {
			t.Errorf("%s: Times[%d] = %v, want %v", f.ID, i, f.Times[i], time.Unix(0, w.TS).UTC())
		}
	}
	if tshark == "" {
		return
	}
	frames := testutil.TsharkFrames(t, tshark, f.Path)
	if len(frames) != len(want) {
		t.Fatalf("%s: tshark reads %d frames, want %d", f.ID, len(frames), len(want))
	}
	for i, w := range want {
		fr := frames[i]
		if !bytes.Equal(fr.Data, w.Data) || fr.TS != w.TS || fr.Len != w.OrigLen || fr.CapLen != len(w.Data) {
			t.Errorf("%s: tshark frame %d: %d bytes (cap_len %d), ts %d, len %d; want %d bytes, ts %d, len %d",
				f.ID, fr.Number, len(fr.Data), fr.CapLen, fr.TS, fr.Len, len(w.Data), w.TS, w.OrigLen)
		}
	}
}

// pick returns the source packets refs name, with File set.
func pick(src [][]capture.Packet, refs ...Ref) []capture.Packet {
	var out []capture.Packet
	for _, r := range refs {
		p := src[r.File][r.Number-1]
		p.File = r.File
		out = append(out, p)
	}
	return out
}

func TestWrite(t *testing.T) {
	tshark := tsharkOrEmpty(t)
	dir := t.TempDir()
	paths := fixtures(t, dir)
	src := [][]capture.Packet{packets(t, paths[0]), packets(t, paths[1]), packets(t, paths[2])}
	if len(src[0]) != 30 || len(src[1]) != 10 || len(src[2]) != 10 {
		t.Fatalf("fixtures hold %d, %d, %d packets", len(src[0]), len(src[1]), len(src[2]))
	}
	bSum := strings.Repeat("ab", 32) // "known from the run": passed through, not computed
	caps := []Capture{{Path: paths[0]}, {Path: paths[1], SHA256: bSum}, {Path: paths[2]}}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	reqs := []Request{
		{ID: "HW-ORDER", Packets: []Ref{{0, 5}, {0, 2}, {0, 9}, {0, 10}}},
		{ID: "HW-MIXED", Packets: []Ref{{1, 1}, {1, 2}, {0, 2}, {1, 3}}},
		{ID: "HW-MISSING", Packets: []Ref{{0, 31}, {2, 3}, {2, 11}, {2, 12}, {2, 10}}},
		{ID: "HW-NONE", Packets: []Ref{{0, 100}}},
		{ID: "HW-EMPTY"},
	}
	res, err := Write(out, caps, reqs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != len(reqs) {
		t.Fatalf("%d files, want %d", len(res.Files), len(reqs))
	}

	order := res.Files[0]
	if order.Path != filepath.Join(out, "HW-ORDER.pcap") || order.Format != "pcap" {
		t.Errorf("HW-ORDER: path %s, format %s", order.Path, order.Format)
	}
	checkFile(t, tshark, order, pick(src, reqs[0].Packets...))

	mixed := res.Files[1]
	if mixed.Path != filepath.Join(out, "HW-MIXED.pcapng") || mixed.Format != "pcapng" {
		t.Errorf("HW-MIXED: path %s, format %s; want a pcapng (two link types)", mixed.Path, mixed.Format)
	}
	checkFile(t, tshark, mixed, pick(src, reqs[1].Packets...))

	missing := res.Files[2]
	checkFile(t, tshark, missing, pick(src, Ref{2, 3}, Ref{2, 10}))
	if want := []Ref{{0, 31}, {2, 11}, {2, 12}}; !slices.Equal(missing.Missing, want) {
		t.Errorf("HW-MISSING: Missing = %v, want %v", missing.Missing, want)
	}
	for _, f := range res.Files[3:] {
		if f.Path != "" || f.Packets != 0 {
			t.Errorf("%s: a file %q of %d packets, want none", f.ID, f.Path, f.Packets)
		}
		if _, err := os.Stat(filepath.Join(out, f.ID+".pcap")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a file exists: %v", f.ID, err)
		}
	}
	if want := []Ref{{0, 100}}; !slices.Equal(res.Files[3].Missing, want) {
		t.Errorf("HW-NONE: Missing = %v, want %v", res.Files[3].Missing, want)
	}
	if res.Missing != 4 || res.Capped != 0 || res.OverBudget != 0 {
		t.Errorf("totals: missing %d, capped %d, over budget %d; want 4, 0, 0", res.Missing, res.Capped, res.OverBudget)
	}

	// a.pcap was read to its end (packet 31 was asked for), c.pcap to its
	// damage and past it into the hash: both sums are the files'. b's was
	// given and the pass stopped early: it is passed through.
	aSum, _ := fileSum(t, paths[0])
	cSum, _ := fileSum(t, paths[2])
	for i, want := range []string{aSum, bSum, cSum} {
		cr := res.Captures[i]
		if cr.Path != paths[i] || cr.SHA256 != want || !cr.Read {
			t.Errorf("capture %d: %+v, want path %s, sha256 %s, read", i, cr, paths[i], want)
		}
	}
	var de *capture.DamageError
	if !errors.As(res.Captures[2].Damage, &de) || de.Packet != 11 {
		t.Errorf("capture c: Damage = %v, want damage before packet 11", res.Captures[2].Damage)
	}
	if res.Captures[0].Damage != nil {
		t.Errorf("capture a: Damage = %v", res.Captures[0].Damage)
	}

	// A capture no request reads is not opened: its sum is the given one,
	// or unknown.
	res, err = Write(out, caps, []Request{{ID: "HW-ORDER", Packets: []Ref{{0, 1}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cr := res.Captures[0]; !cr.Read || cr.SHA256 != "" {
		t.Errorf("capture a, stopped after packet 1: %+v; want read, sum unknown", cr)
	}
	if cr := res.Captures[2]; cr.Read || cr.SHA256 != "" {
		t.Errorf("capture c, not asked for: %+v; want not read, sum unknown", cr)
	}
	checkFile(t, tshark, res.Files[0], pick(src, Ref{0, 1}))
}

// tsharkOrEmpty returns tshark's path, or "" when it is not installed and
// not required: the capture reader still checks every file.
func tsharkOrEmpty(t *testing.T) string {
	var bin string
	t.Run("tshark", func(t *testing.T) { bin = testutil.Tshark(t) })
	return bin
}

func TestBounds(t *testing.T) {
	dir := t.TempDir()
	paths := fixtures(t, dir)
	src := [][]capture.Packet{packets(t, paths[0]), packets(t, paths[1]), packets(t, paths[2])}
	caps := []Capture{{Path: paths[0]}, {Path: paths[1]}, {Path: paths[2]}}
	var all []Ref
	for n := range 30 {
		all = append(all, Ref{0, int64(30 - n)}) // last first
	}

	t.Run("packets per request", func(t *testing.T) {
		out := t.TempDir()
		res, err := Write(out, caps, []Request{
			{ID: "all", Packets: all},
			{ID: "three", Packets: all[:5]},
		}, Options{MaxPackets: 0})
		if err != nil {
			t.Fatal(err)
		}
		f := res.Files[0]
		if f.Capped != 10 || f.Packets != DefaultMaxPackets || f.OverBudget != 0 || len(f.Missing) != 0 {
			t.Errorf("all: capped %d, packets %d, over budget %d, missing %v; want 10, %d, 0, none",
				f.Capped, f.Packets, f.OverBudget, f.Missing, DefaultMaxPackets)
		}
		checkFile(t, "", f, pick(src, all[:DefaultMaxPackets]...))

		res, err = Write(out, caps, []Request{{ID: "three", Packets: all[:5]}}, Options{MaxPackets: 3})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.Files[0]; f.Capped != 2 || f.Packets != 3 || res.Capped != 2 {
			t.Errorf("three: capped %d (total %d), packets %d; want 2, 3", f.Capped, res.Capped, f.Packets)
		}
		checkFile(t, "", res.Files[0], pick(src, all[:3]...))
	})

	t.Run("bytes over all files", func(t *testing.T) {
		out := t.TempDir()
		// The pass meets packets in file order: a.pcap's 1, 2, 3, … The
		// budget holds packets 1 to 4 of a.pcap, taken by "first" (1, 2, 3)
		// and "second" (3 again, which counts again: it is written twice,
		// then 4); packet 5 and later do not fit.
		size := func(n int64) int64 { return int64(len(src[0][n-1].Data)) }
		budget := size(1) + size(2) + 2*size(3) + size(4)
		reqs := []Request{
			{ID: "first", Packets: []Ref{{0, 3}, {0, 2}, {0, 1}, {0, 6}}},
			{ID: "second", Packets: []Ref{{0, 5}, {0, 4}, {0, 3}, {2, 1}}},
		}
		res, err := Write(out, caps, reqs, Options{MaxBytes: budget})
		if err != nil {
			t.Fatal(err)
		}
		first, second := res.Files[0], res.Files[1]
		checkFile(t, "", first, pick(src, Ref{0, 3}, Ref{0, 2}, Ref{0, 1}))
		checkFile(t, "", second, pick(src, Ref{0, 4}, Ref{0, 3}))
		if first.OverBudget != 1 || second.OverBudget != 2 || res.OverBudget != 3 {
			t.Errorf("over budget: first %d, second %d, total %d; want 1, 2, 3", first.OverBudget, second.OverBudget, res.OverBudget)
		}
		var written int64
		for _, f := range res.Files {
			for _, p := range packets(t, f.Path) {
				written += int64(len(p.Data))
			}
		}
		if written != budget {
			t.Errorf("%d captured bytes written, want the budget, %d", written, budget)
		}
	})
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	paths := fixtures(t, dir)
	caps := []Capture{{Path: paths[0]}}
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("not a capture at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	one := []Ref{{0, 1}}
	tests := []struct {
		name string
		dir  string
		caps []Capture
		reqs []Request
		want string
	}{
		{"empty ID", dir, caps, []Request{{ID: "", Packets: one}}, `request ID ""`},
		{"ID with a slash", dir, caps, []Request{{ID: "../x", Packets: one}}, `request ID "../x"`},
		{"ID starting with a dot", dir, caps, []Request{{ID: ".x", Packets: one}}, `request ID ".x"`},
		{"ID twice", dir, caps, []Request{{ID: "x", Packets: one}, {ID: "x", Packets: one}}, `request ID "x" given twice`},
		{"capture index", dir, caps, []Request{{ID: "x", Packets: []Ref{{1, 1}}}}, "capture index 1 out of range (1 captures)"},
		{"packet 0", dir, caps, []Request{{ID: "x", Packets: []Ref{{0, 0}}}}, "packet number 0 in " + paths[0]},
		{"packet twice", dir, caps, []Request{{ID: "x", Packets: []Ref{{0, 2}, {0, 2}}}}, "packet 2 of " + paths[0] + " listed twice"},
		{"no such capture", dir, []Capture{{Path: filepath.Join(dir, "gone.pcap")}}, []Request{{ID: "x", Packets: one}}, "gone.pcap: no such file"},
		{"not a capture", dir, []Capture{{Path: notCapture}}, []Request{{ID: "x", Packets: one}}, "open " + notCapture + ": not a capture file"},
		{"no such folder", filepath.Join(dir, "nowhere"), caps, []Request{{ID: "x", Packets: one}}, filepath.Join(dir, "nowhere", "x.pcap")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Write(tt.dir, tt.caps, tt.reqs, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestPlantedLink: a symbolic link planted at a finding's file name in the
// evidence directory is replaced by the evidence file, never followed: the
// file it pointed at is left as it was.
func TestPlantedLink(t *testing.T) {
	dir := t.TempDir()
	paths := fixtures(t, dir)
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(out, "HW-LINK.pcap")); err != nil {
		t.Fatal(err)
	}
	res, err := Write(out, []Capture{{Path: paths[0]}}, []Request{{ID: "HW-LINK", Packets: []Ref{{0, 1}, {0, 2}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep me" {
		t.Errorf("the link's target now holds %q (%v)", b, err)
	}
	fi, err := os.Lstat(filepath.Join(out, "HW-LINK.pcap"))
	if err != nil || !fi.Mode().IsRegular() || res.Files[0].Packets != 2 {
		t.Errorf("evidence file %v (%v), %d packets: want a regular file of 2", fi, err, res.Files[0].Packets)
	}
}
