package evidence

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"harborwatch/capture"
)

// Defaults of Options.
const (
	// DefaultMaxPackets is the packets written per request when
	// Options.MaxPackets is 0: the bound the findings' evidence has.
	DefaultMaxPackets = 20
	// DefaultMaxBytes is the captured bytes written over all files when
	// Options.MaxBytes is 0.
	DefaultMaxBytes = 64 << 20
)

// Capture is one capture file of the run, by its index in the run's file
// order.
type Capture struct {
	Path string
	// SHA256 is the file's SHA-256 in lower-case hex, when the caller knows
	// it (from the run); "" otherwise, and then Write computes it if its
	// pass reads the file to its end.
	SHA256 string
}

// Ref names one packet: the index of its capture and its 1-based number
// within that file.
type Ref struct {
	File   int
	Number int64
}

// Request asks for one evidence file holding Packets, in that order.
type Request struct {
	// ID names the file: DIR/<ID>.pcap. Letters, digits, '.', '_' and '-'
	// only, not starting with '.'; unique among the requests.
	ID      string
	Packets []Ref
}

// Options bound what Write writes. The zero value takes the defaults.
type Options struct {
	MaxPackets int   // packets per request; 0: DefaultMaxPackets
	MaxBytes   int64 // captured bytes over all files; 0: DefaultMaxBytes
}

// File is what Write wrote for one request.
type File struct {
	ID string
	// Path is the file written: DIR/<ID>.pcap, or .pcapng when the packets
	// have several link types; "" when no packet could be written (all
	// missing or left out), and then there is no file.
	Path    string
	Format  string      // "pcap" or "pcapng"; "" without a file
	Packets int         // packets written
	Bytes   int64       // size of the file
	SHA256  string      // of the file, lower-case hex
	Times   []time.Time // the packets' timestamps (UTC), in file order
	// Missing lists the requested packets the captures do not hold.
	Missing []Ref
	// Capped counts the packets left out by Options.MaxPackets,
	// OverBudget those left out by Options.MaxBytes.
	Capped     int
	OverBudget int
}

// CaptureResult is what the pass learnt of one capture.
type CaptureResult struct {
	Path string
	// SHA256 is the file's SHA-256 (lower-case hex): the one given in
	// Capture, or the one computed by the pass when it read the file to
	// its end; "" when neither.
	SHA256 string
	// Read tells whether the pass opened the file (it does only when a
	// request asks for one of its packets).
	Read bool
	// Damage is where the file stops being readable, when the pass got
	// there (a *capture.DamageError); packets at or after it are missing.
	Damage error
}

// Result is what Write did: one File per request, in request order, one
// CaptureResult per capture, and the totals of what the bounds left out.
type Result struct {
	Files      []File
	Captures   []CaptureResult
	Missing    int
	Capped     int
	OverBudget int
}

// Packet is one packet of an evidence file: its captured bytes, its
// length on the wire, its timestamp (ns since the Unix epoch) and the link
// type of its interface.
type Packet struct {
	Data    []byte
	OrigLen int
	TS      int64
	Link    capture.LinkType
}

// want is one request's wish for one packet: slot is the packet's place
// among the request's packets.
type want struct {
	num  int64
	req  int
	slot int
}

// Write reads the captures once and writes one file per request into dir,
// which must exist. An error is operational (a capture that cannot be
// opened or read, a file that cannot be written, a request that is not
// well formed) and names the file; data problems (missing packets, damage)
// are in the Result. Files written before an error are left in place.
func Write(dir string, captures []Capture, reqs []Request, opts Options) (*Result, error) {
	maxPackets := opts.MaxPackets
	if maxPackets <= 0 {
		maxPackets = DefaultMaxPackets
	}
	budget := opts.MaxBytes
	if budget <= 0 {
		budget = DefaultMaxBytes
	}
	if err := check(captures, reqs); err != nil {
		return nil, err
	}

	res := &Result{Files: make([]File, len(reqs)), Captures: make([]CaptureResult, len(captures))}
	perFile := make([][]want, len(captures))
	slots := make([][]int, len(reqs)) // index into packets, or one of the negative marks below
	for i, r := range reqs {
		f := &res.Files[i]
		f.ID = r.ID
		refs := r.Packets
		if len(refs) > maxPackets {
			f.Capped = len(refs) - maxPackets
			refs = refs[:maxPackets]
		}
		slots[i] = make([]int, len(refs))
		for j, ref := range refs {
			slots[i][j] = slotMissing
			perFile[ref.File] = append(perFile[ref.File], want{num: ref.Number, req: i, slot: j})
		}
	}

	var packets []Packet
	var used int64
	for fi, c := range captures {
		cr := &res.Captures[fi]
		cr.Path, cr.SHA256 = c.Path, c.SHA256
		ws := perFile[fi]
		if len(ws) == 0 {
			continue
		}
		slices.SortFunc(ws, func(a, b want) int {
			return cmp.Or(cmp.Compare(a.num, b.num), cmp.Compare(a.req, b.req), cmp.Compare(a.slot, b.slot))
		})
		cr.Read = true
		err := read(c, cr, ws, func(p *capture.Packet, ws []want) {
			k := -1
			for _, w := range ws {
				if used+int64(len(p.Data)) > budget {
					slots[w.req][w.slot] = slotOverBudget
					continue
				}
				used += int64(len(p.Data))
				if k < 0 {
					k = len(packets)
					packets = append(packets, Packet{Data: slices.Clone(p.Data), OrigLen: p.OrigLen, TS: p.TS, Link: p.Link})
				}
				slots[w.req][w.slot] = k
			}
		})
		if err != nil {
			return nil, err
		}
	}

	for i, r := range reqs {
		f := &res.Files[i]
		var keep []Packet
		for j, k := range slots[i] {
			switch k {
			case slotMissing:
				f.Missing = append(f.Missing, r.Packets[j])
			case slotOverBudget:
				f.OverBudget++
			default:
				keep = append(keep, packets[k])
			}
		}
		res.Missing += len(f.Missing)
		res.Capped += f.Capped
		res.OverBudget += f.OverBudget
		if len(keep) == 0 {
			continue
		}
		if err := writeFile(dir, f, keep); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Marks in a request's slots for packets not held.
const (
	slotMissing    = -1 // not (yet) found in its capture
	slotOverBudget = -2 // found, but over Options.MaxBytes
)

// check refuses requests that are not well formed.
func check(captures []Capture, reqs []Request) error {
	ids := make(map[string]bool, len(reqs))
	for _, r := range reqs {
		if !validID(r.ID) {
			return fmt.Errorf("evidence: request ID %q: want letters, digits, '.', '_' or '-', not starting with '.'", r.ID)
		}
		if ids[r.ID] {
			return fmt.Errorf("evidence: request ID %q given twice", r.ID)
		}
		ids[r.ID] = true
		seen := make(map[Ref]bool, len(r.Packets))
		for _, ref := range r.Packets {
			switch {
			case ref.File < 0 || ref.File >= len(captures):
				return fmt.Errorf("evidence: request %s: capture index %d out of range (%d captures)", r.ID, ref.File, len(captures))
			case ref.Number < 1:
				return fmt.Errorf("evidence: request %s: packet number %d in %s: numbers start at 1", r.ID, ref.Number, captures[ref.File].Path)
			case seen[ref]:
				return fmt.Errorf("evidence: request %s: packet %d of %s listed twice", r.ID, ref.Number, captures[ref.File].Path)
			}
			seen[ref] = true
		}
	}
	return nil
}

func validID(id string) bool {
	if id == "" || id[0] == '.' || len(id) > 200 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// read makes the one pass over capture c: it hands every packet some
// request wants to take, with those wants, and stops after the last one.
// ws is sorted by packet number.
func read(c Capture, cr *CaptureResult, ws []want, take func(*capture.Packet, []want)) error {
	src, err := capture.OpenWith(c.Path, capture.Options{Hash: c.SHA256 == ""})
	if err != nil {
		return fmt.Errorf("evidence: %w", err) // names the file
	}
	defer src.Close()
	var p capture.Packet
	for len(ws) > 0 {
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			var de *capture.DamageError
			if !errors.As(err, &de) {
				return fmt.Errorf("evidence: %w", err) // names the file
			}
			cr.Damage = err
			continue // Next says io.EOF next
		}
		for len(ws) > 0 && ws[0].num < p.Number {
			ws = ws[1:] // cannot happen: numbers count up from 1
		}
		n := 0
		for n < len(ws) && ws[n].num == p.Number {
			n++
		}
		if n > 0 {
			take(&p, ws[:n])
			ws = ws[n:]
		}
	}
	if sum, ok := capture.SHA256(src); ok && cr.SHA256 == "" {
		cr.SHA256 = hex.EncodeToString(sum[:])
	}
	return nil
}

// Save writes pkts, in that order, to a new file DIR/<id>.pcap (or
// .pcapng when they have several link types; see Encode) and returns what
// it wrote. id must be as Request.ID; a file already at the name is
// replaced (removed first, never followed if it is a link). With no
// packet, nothing is written and File.Path is "".
func Save(dir, id string, pkts []Packet) (File, error) {
	f := File{ID: id}
	if !validID(id) {
		return f, fmt.Errorf("evidence: ID %q: want letters, digits, '.', '_' or '-', not starting with '.'", id)
	}
	if len(pkts) == 0 {
		return f, nil
	}
	err := writeFile(dir, &f, pkts)
	return f, err
}

// writeFile writes the packets of one request and fills in f.
func writeFile(dir string, f *File, pkts []Packet) error {
	f.Format = Format(pkts)
	path := filepath.Join(dir, f.ID+"."+f.Format)
	// Never through a link planted in the directory: a file is created
	// anew (a symbolic link or any other existing file at the name is
	// removed first, not followed).
	if fi, err := os.Lstat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("evidence: %s is a directory", path)
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	cw := &countWriter{w: out, h: sha256.New()}
	bw := bufio.NewWriter(cw)
	if _, err := Encode(bw, pkts); err != nil {
		out.Close()
		os.Remove(path)
		return fmt.Errorf("evidence: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		out.Close()
		os.Remove(path)
		return fmt.Errorf("evidence: write %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("evidence: write %s: %w", path, err)
	}
	f.Path = path
	f.Packets = len(pkts)
	f.Bytes = cw.n
	f.SHA256 = hex.EncodeToString(cw.h.Sum(nil))
	f.Times = make([]time.Time, len(pkts))
	for i, p := range pkts {
		f.Times[i] = time.Unix(0, p.TS).UTC()
	}
	return nil
}

// Format is the format Encode writes pkts in: "pcap" when they share one
// link type (or there are none), else "pcapng".
func Format(pkts []Packet) string {
	for _, p := range pkts {
		if p.Link != pkts[0].Link {
			return "pcapng"
		}
	}
	return "pcap"
}

// Encode writes pkts to w as pcap when they share one link type
// (little-endian, nanosecond timestamps), else as pcapng with one
// interface per link type, in the order of their first packets;
// timestamps to the nanosecond. It returns the format written (see
// Format). w is written through; the caller flushes its own buffering.
func Encode(w io.Writer, pkts []Packet) (string, error) {
	var links []capture.LinkType
	maxLen := 0
	for _, p := range pkts {
		if !slices.Contains(links, p.Link) {
			links = append(links, p.Link)
		}
		maxLen = max(maxLen, len(p.Data))
	}
	if len(links) <= 1 {
		link := capture.LinkEthernet
		if len(links) == 1 {
			link = links[0]
		}
		snaplen := 0 // libpcap's default, 262144
		if maxLen > 262144 {
			snaplen = maxLen
		}
		pw, err := capture.NewPcapWriter(w, link, snaplen, true)
		if err != nil {
			return "", err
		}
		for _, p := range pkts {
			if err := pw.WritePacket(p.TS, p.Data, p.OrigLen); err != nil {
				return "", err
			}
		}
		return "pcap", pw.Flush()
	}
	nw := capture.NewPcapNGWriter(w)
	for _, l := range links {
		if _, err := nw.AddInterface(l, 0, 9); err != nil {
			return "", err
		}
	}
	for _, p := range pkts {
		if err := nw.WritePacket(slices.Index(links, p.Link), p.TS, p.Data, p.OrigLen); err != nil {
			return "", err
		}
	}
	return "pcapng", nw.Flush()
}

// countWriter counts and hashes what goes to w.
type countWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.h.Write(b[:n])
	c.n += int64(n)
	return n, err
}
