package pipeline

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/site"
)

// TestTFTPControlName: a TFTP write into a crane-control zone whose file
// name starts with an escape sequence (clear the screen) is a transfer
// like any other: the finding fires and holds the name's raw bytes.
func TestTFTPControlName(t *testing.T) {
	st, err := site.Parse("identify.yaml", []byte(identifySite))
	if err != nil {
		t.Fatal(err)
	}
	name := "\x1b[2Jfw.bin"
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	b.UDP(hEWS, hPLC, 40000, 69, synth.Exchange{Data: []byte("\x00\x02" + name + "\x00octet\x00")})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			res := runBytes(t, buf.Bytes(), "tftp.pcap", Options{Site: st, Workers: workers})
			var got []string
			for _, f := range res.Findings {
				got = append(got, fmt.Sprintf("%s %s %v", f.Rule, f.App, f.Detail["files"]))
			}
			want := fmt.Sprintf("file-transfer.insecure tftp [map[name:%s op:upload]]", name)
			if len(got) != 1 || got[0] != want {
				t.Errorf("findings %q, want [%q]", got, want)
			}
			if a := res.Stats.Analyzers["tftp"]; a.Confirmed != 1 {
				t.Errorf("tftp analyzer %+v, want 1 confirmed", a)
			}
		})
	}
}
