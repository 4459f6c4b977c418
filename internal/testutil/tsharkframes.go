package testutil

import (
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TsharkFrame is one frame of a capture file as tshark reads it.
type TsharkFrame struct {
	Number int64  // frame.number
	Len    int    // frame.len: length on the wire
	CapLen int    // frame.cap_len
	TS     int64  // frame.time_epoch, in nanoseconds
	Data   []byte // the frame's captured bytes (frame_raw)
}

// TsharkFrames reads every frame of the capture at path with tshark (bin,
// from Tshark): its bytes, lengths and timestamp. A file tshark cannot
// read fails the test.
func TsharkFrames(t testing.TB, bin, path string) []TsharkFrame {
	t.Helper()
	cmd := exec.Command(bin, "-r", path, "-T", "json", "-x", "-n")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v\n%s", path, err, stderr.String())
	}
	var docs []struct {
		Source struct {
			Layers struct {
				Frame struct {
					Number string `json:"frame.number"`
					Len    string `json:"frame.len"`
					CapLen string `json:"frame.cap_len"`
					Epoch  string `json:"frame.time_epoch"`
				} `json:"frame"`
				Raw []any `json:"frame_raw"`
			} `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &docs); err != nil {
		t.Fatalf("tshark -r %s: JSON: %v", path, err)
	}
	frames := make([]TsharkFrame, 0, len(docs))
	for _, d := range docs {
		l := d.Source.Layers
		var f TsharkFrame
		var errs [5]error
		f.Number, errs[0] = strconv.ParseInt(l.Frame.Number, 10, 64)
		f.Len, errs[1] = strconv.Atoi(l.Frame.Len)
		f.CapLen, errs[2] = strconv.Atoi(l.Frame.CapLen)
		f.TS, errs[3] = epochNanos(l.Frame.Epoch)
		if len(l.Raw) > 0 {
			s, _ := l.Raw[0].(string)
			f.Data, errs[4] = hex.DecodeString(s)
		}
		for _, err := range errs {
			if err != nil {
				t.Fatalf("tshark -r %s: frame %q: %v", path, l.Frame.Number, err)
			}
		}
		frames = append(frames, f)
	}
	return frames
}

// epochNanos parses "1595660608.237857000" without going through a float.
func epochNanos(s string) (int64, error) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, err
	}
	frac = (frac + "000000000")[:9]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return n*1e9 + f, nil
}
