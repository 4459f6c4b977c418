package modbus

import (
	"maps"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark: per function code, the requests and responses
// tshark dissects (modbus.func_code, which has the exception bit cleared)
// against the Messages the analyzer emits, over every capture with Modbus.

// count is the requests and responses of one function code.
type count struct{ Req, Resp int }

// tsharkCounts were obtained with TShark 4.0.17:
//
//	tshark -r F -Y mbtcp -T fields -E occurrence=a -e tcp.srcport -e modbus.func_code
//
// counting a PDU sent from port 502 as a response and any other as a
// request, each func_code of a frame once (a frame may carry several PDUs).
var tsharkCounts = map[string]map[int]count{
	"modbus_example.pcap": {1: {2, 2}, 2: {2, 2}, 3: {3, 3}, 4: {2, 2}, 5: {1, 1}, 6: {1, 1}, 7: {1, 1},
		8: {1, 1}, 15: {1, 1}, 16: {1, 1}, 17: {1, 1}, 20: {1, 1}, 21: {1, 1}, 22: {2, 2}, 23: {2, 2},
		24: {1, 1}, 43: {1, 1}},
	"modbus_test.pcap": {4: {1079, 1053}, 6: {63, 63}},
	"modbus_test_data_part1.pcap": {1: {2, 12}, 3: {1, 1}, 5: {2, 2}, 6: {1, 1}, 8: {8, 8}, 17: {2, 2},
		42: {0, 1}, 43: {2, 0}},
	"modbus_test_data_part2.pcap": func() map[int]count {
		// A scan of every function code 0-127, each asked once and answered
		// once, then a series of coil reads of which the last is unanswered.
		c := map[int]count{}
		for fc := range 128 {
			c[fc] = count{1, 1}
		}
		c[1] = count{14, 13}
		return c
	}(),
}

// tsharkDiffs are the explained differences: ours = tshark + diff.
var tsharkDiffs = map[string]map[int]count{
	"modbus_test_data_part1.pcap": {
		// 10.0.0.8:502 opened the connection to 10.0.0.57:4446 itself (its SYN
		// goes from port 502) and sent ten exception PDUs (function 1) and one
		// function-42 PDU on it. tshark judges the direction by port 502, so
		// they are responses to it; the flow table makes the side that opened
		// the connection its client, and the analyzer's Request() is "sent by
		// the client", so they are requests here (the exception ones flagged
		// Malformed, EXCEPTION_IN_REQUEST).
		1:  {Req: +10, Resp: -10},
		42: {Req: +1, Resp: -1},
	},
}

// ourCounts replays a capture through the analyzer.
func ourCounts(t *testing.T, name string) map[int]count {
	c := map[int]count{}
	for _, r := range replay(t, "testdata/"+name, false).Records {
		x := c[r.Func]
		if r.FromClient {
			x.Req++
		} else {
			x.Resp++
		}
		c[r.Func] = x
	}
	return c
}

func TestOracleCounts(t *testing.T) {
	for name, want := range tsharkCounts {
		t.Run(name, func(t *testing.T) {
			want = maps.Clone(want)
			for fc, d := range tsharkDiffs[name] {
				want[fc] = count{want[fc].Req + d.Req, want[fc].Resp + d.Resp}
				if want[fc] == (count{}) {
					delete(want, fc)
				}
			}
			if got := ourCounts(t, name); !reflect.DeepEqual(got, want) {
				for fc := range 256 {
					if got[fc] != want[fc] {
						t.Errorf("function %d: got %+v, want %+v", fc, got[fc], want[fc])
					}
				}
			}
		})
	}
}

// TestOracleTshark runs tshark itself and checks the hard-coded counts
// against it, so that they stay what tshark says. Without tshark it skips,
// unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for name, want := range tsharkCounts {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, "-r", "testdata/"+name, "-Y", "mbtcp", "-T", "fields",
				"-E", "occurrence=a", "-e", "tcp.srcport", "-e", "modbus.func_code").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			got := map[int]count{}
			for line := range strings.Lines(string(out)) {
				port, codes, ok := strings.Cut(strings.TrimSpace(line), "\t")
				if !ok {
					continue
				}
				for s := range strings.SplitSeq(codes, ",") {
					fc, err := strconv.Atoi(s)
					if err != nil {
						t.Fatalf("tshark line %q", line)
					}
					x := got[fc]
					if port == "502" {
						x.Resp++
					} else {
						x.Req++
					}
					got[fc] = x
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("tshark counts %v, hard-coded %v", got, want)
			}
		})
	}
}
