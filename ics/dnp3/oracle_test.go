package dnp3

import (
	"maps"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark: per function and link direction (the DIR
// bit: "master" or "outstation"), the application fragments tshark
// dissects against the Messages the analyzer emits, on every shared
// capture. Keys are "master Select", "outstation Response", …

// tsharkCounts were obtained with TShark 4.0.17:
//
//	tshark -r F -Y dnp3.al.func -T fields -E occurrence=a -e dnp3.ctl.dir -e dnp3.al.func
var tsharkCounts = map[string]map[string]int{
	"dnp3_example.pcap": {"master Operate": 133, "master Read": 97, "master Select": 134, "outstation Confirm": 1,
		"outstation Response": 360, "outstation Unsolicited Response": 3},
	"dnp3_test_data_part1.pcap": {"master Cold Restart": 2, "master Confirm": 13, "master Disable Spontaneous Messages": 7,
		"master Enable Spontaneous Messages": 3, "master Read": 3, "master Stop Application": 4, "master Warm Restart": 2,
		"master Write": 6, "outstation Response": 23, "outstation Unsolicited Response": 30},
	"select_operate_and_responses.pcap": {"master Operate": 1, "master Select": 1, "outstation Response": 2},
	"directoperate_and_response.pcap":   {"master Direct Operate": 1, "outstation Response": 1},
}

// tsharkDiffs are the explained differences: ours = tshark + diff.
var tsharkDiffs = map[string]map[string]int{
	"dnp3_example.pcap": {
		// Four long fragments (frames 18, 114, 210: Response; 810:
		// Unsolicited Response) end with a final transport segment whose
		// sequence number wrapped from 63 to 0: tshark leaves it
		// "Unreassembled" and dissects no fragment, the analyzer (next
		// sequence = 63+1 mod 64) completes the fragment. tshark then
		// joins the leftover of frame 210 with the one-segment response of
		// frame 311 (a g12v1 CROB echo, function 0x81) and names the result
		// Confirm; the analyzer reads frame 311 alone, a Response.
		"outstation Response": +4, "outstation Unsolicited Response": +1, "outstation Confirm": -1,
	},
}

func side(master bool) string {
	if master {
		return "master "
	}
	return "outstation "
}

func ourCounts(t *testing.T, name string) map[string]int {
	recs, _, _ := replay(t, "testdata/"+name)
	c := map[string]int{}
	for _, r := range recs {
		c[side(r.linkDir)+r.name]++
	}
	return c
}

func TestOracleCounts(t *testing.T) {
	for name, want := range tsharkCounts {
		t.Run(name, func(t *testing.T) {
			want = maps.Clone(want)
			for k, d := range tsharkDiffs[name] {
				want[k] += d
				if want[k] == 0 {
					delete(want, k)
				}
			}
			testutil.DiffCounts(t, name, ourCounts(t, name), want)
		})
	}
}

// tsharkCount runs tshark on a capture and counts the application
// fragments it dissects.
func tsharkCount(t *testing.T, bin, path string) map[string]int {
	out, err := exec.Command(bin, "-r", path, "-Y", "dnp3.al.func", "-T", "fields", "-E", "occurrence=a",
		"-e", "dnp3.ctl.dir", "-e", "dnp3.al.func").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	got := map[string]int{}
	for line := range strings.Lines(string(out)) {
		dirs, codes, ok := strings.Cut(strings.TrimRight(line, "\n"), "\t")
		if !ok {
			t.Fatalf("tshark line %q", line)
		}
		// One link header's DIR per frame, in order, for each fragment:
		// the fragment's direction is its frames' (a TCP segment holds
		// one direction).
		dir := strings.Split(dirs, ",")[0] == "1"
		for s := range strings.SplitSeq(codes, ",") {
			fc, err := strconv.Atoi(s)
			if err != nil || fc < 0 || fc > 255 {
				t.Fatalf("tshark line %q", line)
			}
			got[side(dir)+funcs[fc].name]++
		}
	}
	return got
}

// TestOracleTshark runs tshark itself and checks the hard-coded counts
// against it. Without tshark it skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for name, want := range tsharkCounts {
		t.Run(name, func(t *testing.T) {
			if got := tsharkCount(t, bin, "testdata/"+name); !reflect.DeepEqual(got, want) {
				testutil.DiffCounts(t, name+" (tshark vs hard-coded)", want, got)
			}
		})
	}
}
