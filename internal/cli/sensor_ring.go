package cli

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"harborwatch/bus"
	"harborwatch/capture"
	"harborwatch/evidence"
	"harborwatch/evidence/ring"
	"harborwatch/finding"
	"harborwatch/pipeline"
)

// ringFile is the name of the sensor's ring of recent packets in its
// folder (--ring-dir, by default --spool).
const ringFile = "evidence-ring"

// evidenceHold bounds the bytes of packets the sensor keeps in memory of
// findings whose evidence is not complete yet (fewer than
// finding.MaxEvidence packets): when a finding gains packets, the ones it
// had are taken from there rather than from the ring, which may no longer
// hold them. Over the bound they are taken from the ring again.
const evidenceHold = 8 << 20

// sensorEvidence is the sensor's evidence path (--ring with --evidence DIR
// or --publish): a Sink before the others that, when a finding is raised
// or its evidence packets change, cuts those packets from the ring,
// writes them as DIR/<finding id>.pcap and/or queues them for the object
// store, and records in the finding where they are (finding.Pcap) and
// which packets the ring no longer held (Evidence[].Missing).
type sensorEvidence struct {
	pipeline.Sink
	ring         *ring.Ring
	index        map[string]int // capture name → its index in the ring
	dir          string
	pub          *bus.Publisher
	site, sensor string
	log          *slog.Logger

	cuts map[string]*evidenceCut // by finding id, for this run
	held int                     // bytes of packets in cuts

	files, queued, dropped, failed uint64          // evidence files written, queued; not queued; not written
	findings                       map[string]bool // ids of the findings given a file
}

// evidenceCut is what was cut for one finding: for which packets (key),
// what was made of it, and the packets while the evidence may still grow.
type evidenceCut struct {
	key     string
	pcap    *finding.PcapFile
	missing map[ring.Ref]bool
	pkts    map[ring.Ref]evidence.Packet
	bytes   int
}

// openRing opens the ring file in dir for the captures names.
func openRing(dir string, size int64, names []string) (*ring.Ring, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sensor: --ring-dir: %w", err)
	}
	return ring.Open(ring.Options{Path: filepath.Join(dir, ringFile), Size: size, Captures: len(names)})
}

// tapSources puts the ring under the run's sources; names are the
// capture names in the run's order.
func (s *sensorEvidence) tapSources(caps []capture.Source) []capture.Source {
	s.ring.Reset(len(caps))
	clear(s.cuts)
	s.held = 0
	s.index = make(map[string]int, len(caps))
	out := make([]capture.Source, len(caps))
	for i, c := range caps {
		if _, ok := s.index[c.Name()]; !ok {
			s.index[c.Name()] = i
		}
		out[i] = s.ring.Tap(i, c)
	}
	return out
}

// Finding implements pipeline.Sink.
func (s *sensorEvidence) Finding(u *pipeline.FindingUpdate) {
	f := &u.Finding
	refs, key := s.refs(f)
	if len(refs) > 0 {
		c := s.cuts[f.ID]
		if c == nil || c.key != key {
			c = s.cut(f, refs, key, c)
			s.cuts[f.ID] = c
		}
		s.apply(f, c)
	}
	s.Sink.Finding(u)
}

// refs lists a finding's evidence packets in the ring (at most
// finding.MaxEvidence, in the order of its evidence) and a key naming
// them.
func (s *sensorEvidence) refs(f *finding.Finding) ([]ring.Ref, string) {
	var refs []ring.Ref
	var k strings.Builder
	for _, e := range f.Evidence {
		c, ok := s.index[e.Capture]
		if !ok {
			continue
		}
		for _, n := range e.Packets {
			if len(refs) == finding.MaxEvidence {
				break
			}
			refs = append(refs, ring.Ref{File: c, Number: n})
			k.WriteString(strconv.Itoa(c))
			k.WriteByte(':')
			k.WriteString(strconv.FormatInt(n, 10))
			k.WriteByte(' ')
		}
	}
	return refs, k.String()
}

// cut takes refs' packets — those prev holds from it, the others from the
// ring — and writes or queues them.
func (s *sensorEvidence) cut(f *finding.Finding, refs []ring.Ref, key string, prev *evidenceCut) *evidenceCut {
	c := &evidenceCut{key: key, missing: map[ring.Ref]bool{}, pkts: map[ring.Ref]evidence.Packet{}}
	var need []ring.Ref
	for _, r := range refs {
		if p, ok := prev.packet(r); ok {
			c.pkts[r] = p
		} else {
			need = append(need, r)
		}
	}
	got, missing := s.ring.Cut(need)
	for _, r := range missing {
		c.missing[r] = true
	}
	k := 0
	for _, r := range need {
		if !c.missing[r] {
			c.pkts[r] = got[k]
			k++
		}
	}
	pkts := make([]evidence.Packet, 0, len(refs))
	for _, r := range refs {
		if p, ok := c.pkts[r]; ok {
			pkts = append(pkts, p)
			c.bytes += len(p.Data)
		}
	}
	if prev != nil {
		s.held -= prev.bytes
	}
	if len(refs) < finding.MaxEvidence && s.held+c.bytes <= evidenceHold {
		s.held += c.bytes // kept: the evidence may grow
	} else {
		c.pkts, c.bytes = nil, 0
	}
	if len(pkts) == 0 {
		return c
	}
	var pf finding.PcapFile
	if s.dir != "" {
		w, err := evidence.Save(s.dir, f.ID, pkts)
		if err != nil {
			s.failed++
			if s.failed == 1 {
				s.log.Warn("evidence: " + err.Error() + " (and the next ones are counted)")
			}
		} else {
			s.files++
			s.findings[f.ID] = true
			pf = finding.PcapFile{Path: w.Path, Packets: w.Packets, Bytes: w.Bytes, SHA256: w.SHA256}
		}
	}
	if s.pub != nil {
		var b bytes.Buffer
		format, err := evidence.Encode(&b, pkts)
		if err == nil {
			name := bus.EvidenceObject(s.site, s.sensor, f.ID, format)
			if err = s.pub.Evidence(name, b.Bytes()); err == nil {
				s.queued++
				sum := sha256.Sum256(b.Bytes())
				pf.Object, pf.Packets, pf.Bytes, pf.SHA256 = name, len(pkts), int64(b.Len()), hex.EncodeToString(sum[:])
			}
		}
		if err != nil {
			s.dropped++
		}
	}
	if pf.Path != "" || pf.Object != "" {
		c.pcap = &pf
	}
	return c
}

func (c *evidenceCut) packet(r ring.Ref) (evidence.Packet, bool) {
	if c == nil {
		return evidence.Packet{}, false
	}
	p, ok := c.pkts[r]
	return p, ok
}

// apply records in f the evidence file and the missing packets.
func (s *sensorEvidence) apply(f *finding.Finding, c *evidenceCut) {
	if c.pcap != nil {
		p := *c.pcap
		f.Pcap = &p
	}
	if len(c.missing) == 0 {
		return
	}
	ev := make([]finding.Evidence, len(f.Evidence))
	for i, e := range f.Evidence {
		ev[i] = e
		ev[i].Missing = nil
		ci, ok := s.index[e.Capture]
		if !ok {
			continue
		}
		for _, n := range e.Packets {
			if c.missing[ring.Ref{File: ci, Number: n}] {
				ev[i].Missing = append(ev[i].Missing, n)
			}
		}
	}
	f.Evidence = ev
}

// report writes the ring's closing summary.
func (s *sensorEvidence) report(w io.Writer) {
	st := s.ring.Stats()
	fmt.Fprintf(w, "harborwatch sensor: evidence ring %s (%s): %d packets went through it, %d were pushed out of it before a finding claimed them (ring overwrites), %d evidence packets found, %d missing (overwritten before their finding was raised)\n",
		mib(s.ring.Size()), s.ring.Path(), st.Packets, st.Overwritten, st.Claimed, st.Missing)
	if s.dir != "" {
		fmt.Fprintf(w, "harborwatch sensor: evidence: the files of %d findings written to %s (%d writes: a file is written again when its finding's packets change)", len(s.findings), s.dir, s.files)
		if s.failed > 0 {
			fmt.Fprintf(w, "; %d could not be written", s.failed)
		}
		fmt.Fprintln(w)
	}
	if s.pub != nil {
		fmt.Fprintf(w, "harborwatch sensor: evidence: %d files queued for the NATS object store %s; %d dropped (the queue was full)\n", s.queued, bus.EvidenceBucket, s.dropped)
	}
	if err := s.ring.Err(); err != nil {
		fmt.Fprintf(w, "harborwatch sensor: warning: evidence ring: %v (%d blocks not written: their packets are reported missing)\n", err, st.WriteErrors)
	}
}

// evidenceOptions are the sensor's evidence flags.
type evidenceOptions struct {
	ring, ringDir, dir string
}

func evidenceFlags(fs *flag.FlagSet, e *env) *evidenceOptions {
	o := &evidenceOptions{}
	fs.StringVar(&o.ring, "ring", envOr(e, "HARBORWATCH_RING", "256MiB"), "keep the last `SIZE` of packets for the findings' evidence (0: no ring)")
	fs.StringVar(&o.ringDir, "ring-dir", e.getenv("HARBORWATCH_RING_DIR"), "the ring's folder `DIR` (default: the --spool folder)")
	fs.StringVar(&o.dir, "evidence", e.getenv("HARBORWATCH_EVIDENCE"), "write each finding's evidence packets to `DIR`/<finding id>.pcap")
	return o
}

// start checks the flags and opens the ring when the evidence goes
// somewhere (--evidence or --publish); nil when it does not, or with
// --ring 0.
func (o *evidenceOptions) start(e *env, spoolDir string, captures int, next pipeline.Sink, pub *bus.Publisher, site, sensor string) (*sensorEvidence, error) {
	size := int64(0)
	if o.ring != "0" {
		n, err := parseBytes(o.ring)
		if err != nil || n < 2*ring.MinBlock || n > ring.MaxSize {
			return nil, usagef("sensor: --ring %q: want a size from 512KiB to 16GiB, such as 256MiB (or 0: no ring)", o.ring)
		}
		size = n
	}
	if o.dir != "" {
		if size == 0 {
			return nil, usagef("sensor: --evidence needs the ring (--ring SIZE, not 0)")
		}
		outs := newOutputs(e, "sensor")
		if err := outs.dir("evidence", o.dir); err != nil {
			return nil, err
		}
	}
	if size == 0 || o.dir == "" && pub == nil {
		return nil, nil
	}
	dir := cmp.Or(o.ringDir, spoolDir)
	r, err := openRing(dir, size, make([]string, captures))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "harborwatch sensor: evidence ring of %s in %s\n", mib(r.Size()), r.Path())
	return &sensorEvidence{Sink: next, ring: r, dir: o.dir, pub: pub, site: site, sensor: sensor, log: e.logger(), cuts: map[string]*evidenceCut{}, findings: map[string]bool{}}, nil
}

// overwrites is the ring's overwrite count (0 without a ring).
func (s *sensorEvidence) overwrites() uint64 {
	if s == nil {
		return 0
	}
	return s.ring.Stats().Overwritten
}

// mib writes a ring's size (whole blocks of 4 MiB) in MiB.
func mib(n int64) string { return strconv.FormatInt(n>>20, 10) + " MiB" }
