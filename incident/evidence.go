package incident

import (
	"fmt"
	"os"
	"path/filepath"

	"harborwatch/evidence"
	"harborwatch/store"
)

// Pcaps writes, into dir, one pcap per finding and capture holding the
// finding's evidence packets (package evidence), and returns them as
// bundle items named pcaps/FINDING-CAPTURE.pcap. A capture the store no
// longer has, or packets it does not hold, are reported in the notes, not
// fatal.
func Pcaps(dir string, fs []store.Finding, captures map[string]store.Capture) ([]Item, []string, error) {
	var caps []evidence.Capture
	index := map[string]int{}
	var reqs []evidence.Request
	var notes []string
	for _, f := range fs {
		for _, ev := range f.Evidence {
			c, ok := captures[ev.Capture]
			if !ok {
				notes = append(notes, fmt.Sprintf("finding %s: capture %s is not in the store", f.ID, ev.Capture))
				continue
			}
			if _, err := os.Stat(c.Path); err != nil {
				notes = append(notes, fmt.Sprintf("finding %s: the file of capture %s is gone", f.ID, ev.Capture))
				continue
			}
			i, ok := index[c.ID]
			if !ok {
				i = len(caps)
				index[c.ID] = i
				caps = append(caps, evidence.Capture{Path: c.Path, SHA256: c.SHA256})
			}
			req := evidence.Request{ID: f.ID + "-" + c.ID}
			for _, n := range ev.Packets {
				req.Packets = append(req.Packets, evidence.Ref{File: i, Number: n})
			}
			if len(req.Packets) > 0 {
				reqs = append(reqs, req)
			}
		}
	}
	if len(reqs) == 0 {
		return nil, notes, nil
	}
	res, err := evidence.Write(dir, caps, reqs, evidence.Options{})
	if err != nil {
		return nil, notes, err
	}
	var items []Item
	for _, f := range res.Files {
		if f.Path == "" {
			notes = append(notes, fmt.Sprintf("%s: none of the packets could be read", f.ID))
			continue
		}
		if len(f.Missing) > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d packets missing from the capture", f.ID, len(f.Missing)))
		}
		items = append(items, Item{Name: "pcaps/" + filepath.Base(f.Path), Path: f.Path})
	}
	return items, notes, nil
}
