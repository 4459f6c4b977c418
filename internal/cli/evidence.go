package cli

import (
	"fmt"
	"strconv"

	"harborwatch/evidence"
	"harborwatch/finding"
)

// evidenceRun is analyze --evidence DIR: the captures are hashed while the
// analysis reads them, and after it each finding's evidence packets are
// written to DIR/<finding id>.pcap. A nil *evidenceRun (no --evidence)
// does nothing.
type evidenceRun struct {
	dir   string
	files []string
	sums  []string // SHA-256 of each capture (hex), filled by analyzeFiles
}

// startEvidence checks DIR before the analysis, so that a bad one fails
// at once: it is created when missing, and refused when it is a file, a
// symbolic link, or cannot be written to (see outputs.dir). It returns
// nil when dir is "".
func startEvidence(outs *outputs, dir string, files []string) (*evidenceRun, error) {
	if dir == "" {
		return nil, nil
	}
	if err := outs.dir("evidence", dir); err != nil {
		return nil, err
	}
	return &evidenceRun{dir: dir, files: files, sums: make([]string, len(files))}, nil
}

// captureSums is where analyzeFiles puts the captures' SHA-256: nil (no
// hashing) without --evidence.
func (ev *evidenceRun) captureSums() []string {
	if ev == nil {
		return nil
	}
	return ev.sums
}

// write writes the evidence files of findings and records in each finding
// its captures' SHA-256 and the file written. What the bounds left out,
// and packets no longer in the captures, are said on stderr.
func (ev *evidenceRun) write(e *env, findings []finding.Finding) error {
	if ev == nil {
		return nil
	}
	index := make(map[string]int, len(ev.files))
	caps := make([]evidence.Capture, len(ev.files))
	for i, f := range ev.files {
		if _, ok := index[f]; !ok {
			index[f] = i
		}
		caps[i] = evidence.Capture{Path: f, SHA256: ev.sums[i]}
	}
	var reqs []evidence.Request
	req := make([]int, len(findings)) // finding → request, or -1
	ids := make(map[string]int, len(findings))
	for i, f := range findings {
		req[i] = -1
		var refs []evidence.Ref
		for _, x := range f.Evidence {
			fi, ok := index[x.Capture]
			if !ok {
				continue
			}
			for _, n := range x.Packets {
				refs = append(refs, evidence.Ref{File: fi, Number: n})
			}
		}
		if len(refs) == 0 {
			continue
		}
		// Finding IDs are unique; should two ever meet, the second
		// file gets a suffix rather than overwriting the first.
		id := f.ID
		if n := ids[f.ID]; n > 0 {
			id += "-" + strconv.Itoa(n+1)
		}
		ids[f.ID]++
		req[i] = len(reqs)
		reqs = append(reqs, evidence.Request{ID: id, Packets: refs})
	}
	res, err := evidence.Write(ev.dir, caps, reqs, evidence.Options{MaxPackets: finding.MaxEvidence})
	if err != nil {
		return err
	}
	for i := range findings {
		f := &findings[i]
		for j := range f.Evidence {
			if fi, ok := index[f.Evidence[j].Capture]; ok {
				f.Evidence[j].SHA256 = res.Captures[fi].SHA256
			}
		}
		if req[i] < 0 {
			continue
		}
		if w := res.Files[req[i]]; w.Path != "" {
			f.Pcap = &finding.PcapFile{Path: w.Path, Packets: w.Packets, Bytes: w.Bytes, SHA256: w.SHA256}
		}
	}
	written, packets := 0, 0
	for _, w := range res.Files {
		if w.Path != "" {
			written++
			packets += w.Packets
		}
	}
	fmt.Fprintf(e.stderr, "harborwatch: evidence: %s of %s written to %s\n", nouns(written, "file", "files"), nouns(packets, "packet", "packets"), ev.dir)
	if res.OverBudget > 0 || res.Capped > 0 {
		fmt.Fprintf(e.stderr, "harborwatch: warning: evidence: %s left out (%d over the %d MiB bound on all files, %d over %d per finding)\n",
			nouns(res.OverBudget+res.Capped, "packet", "packets"), res.OverBudget, evidence.DefaultMaxBytes>>20, res.Capped, finding.MaxEvidence)
	}
	if res.Missing > 0 {
		fmt.Fprintf(e.stderr, "harborwatch: warning: evidence: %s not found in the captures (did a capture change since it was analyzed?)\n",
			nouns(res.Missing, "packet", "packets"))
	}
	return nil
}
