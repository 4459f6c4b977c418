package testutil

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"harborwatch/capture"
	"harborwatch/decode"
)

// Loss says how Lossy thins a capture, the ways real captures lose
// packets: a SPAN port dropping under load, a capture started on
// connections already open.
type Loss struct {
	// Drop is the fraction (0 to 1) of the TCP packets carrying payload
	// that are left out, chosen at random from Seed: the same Drop and
	// Seed always leave out the same packets.
	Drop float64
	Seed uint64
	// Keep lists packet numbers (1-based) that are never dropped: the
	// PDUs a test needs to survive the loss.
	Keep map[int64]bool
	// Skip is how many packets are cut off the start, so that every flow
	// open then starts midway.
	Skip int
}

// Lossy writes to out (a pcap file, nanosecond timestamps, the link type
// of the first packet) the packets of the capture at in that l keeps, in
// order, and returns how many it wrote and how many payload-carrying TCP
// packets it left out at random. The capture must have one link type.
func Lossy(t testing.TB, in, out string, l Loss) (kept, dropped int) {
	t.Helper()
	frames := Frames(t, in)
	if len(frames) == 0 {
		t.Fatalf("%s: no packets", in)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, frames[0].Link, 262144, true)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(l.Seed, 0x6c6f737379))
	var dec decode.Decoder
	var p decode.Packet
	for i, f := range frames {
		if f.Link != frames[0].Link {
			t.Fatalf("%s: packet %d has link type %v, the first %v", in, f.Number, f.Link, frames[0].Link)
		}
		if i < l.Skip {
			continue
		}
		if l.Drop > 0 && dec.Decode(f.Link, f.Data, &p) == nil && p.HasL4 && p.Proto == decode.ProtoTCP && len(p.Payload) > 0 {
			if rng.Float64() < l.Drop && !l.Keep[f.Number] {
				dropped++
				continue
			}
		}
		if err := w.WritePacket(f.TS, f.Data, f.OrigLen); err != nil {
			t.Fatalf("%s: packet %d: %v", out, f.Number, err)
		}
		kept++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return kept, dropped
}

// TsharkFilter writes to out the packets of the capture at in that match
// tshark's display filter (tshark -r in -Y filter -w out, with bin from
// Tshark): a capture cut down to one protocol's frames, as people share
// them. It returns whether any packet matched.
func TsharkFilter(t testing.TB, bin, in, filter, out string) bool {
	t.Helper()
	cmd := exec.Command(bin, "-r", in, "-Y", filter, "-w", out, "-F", "pcap")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark -r %s -Y %s -w: %v\n%s", in, filter, err, stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size() > 24 // more than the file header
}
