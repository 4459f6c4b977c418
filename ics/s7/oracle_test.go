package s7

import (
	"bytes"
	"fmt"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark: per function code, the number of S7comm
// requests and responses in every capture of the project that carries
// S7comm (the ICSNPP traces; none of the other shared captures has port
// 102 traffic). Keys: "request 0xNN" for jobs, "response 0xNN" for ack and
// ack-data, "userdata T G/S" for userdata of type T, group G, subfunction S.
//
// One explained difference: an ack (ROSCTR 2) that refuses a job carries
// no parameter, so tshark shows no function code for it ("response -");
// we take the function from the paired request. The comparison counts such
// Messages under "response -" and checks separately that each has the
// request's function.
//
// tshark 4.0 has no S7comm-plus dissector (it is a separate plugin), so
// S7comm-plus is compared with the peer only.

// tsharkCounts were obtained with
//
//	tshark -r F -Y s7comm -T fields -e s7comm.header.rosctr -e s7comm.param.func \
//	  -e s7comm.param.userdata.type -e s7comm.param.userdata.funcgroup -e s7comm.param.userdata.subfunc
//
// (TShark 4.0.17) and counted.
var tsharkCounts = map[string]map[string]int{
	"snap7.pcap": {
		"request 0x04": 2, "request 0x05": 2, "request 0x1d": 5, "request 0x1e": 4, "request 0x1f": 4,
		"request 0x28": 3, "request 0x29": 1, "request 0xf0": 1,
		"response -": 1, "response 0x04": 2, "response 0x05": 2, "response 0x1d": 4, "response 0x1e": 4,
		"response 0x1f": 4, "response 0x28": 3, "response 0x29": 1, "response 0xf0": 1,
		"userdata 4 3/1": 1, "userdata 4 3/3": 1, "userdata 4 4/1": 6, "userdata 4 7/1": 1, "userdata 4 7/2": 1,
		"userdata 8 3/1": 1, "userdata 8 3/3": 1, "userdata 8 4/1": 6, "userdata 8 7/1": 1, "userdata 8 7/2": 1,
	},
	"s7ident.pcap": {
		"request 0x04": 1, "request 0x1d": 4, "request 0xf0": 1,
		"response -": 4, "response 0x04": 1, "response 0xf0": 1,
		"userdata 4 4/1": 5, "userdata 8 4/1": 5,
	},
	"s7comm_plus.pcap": {
		"request 0x04": 8, "request 0x05": 8, "request 0xf0": 1,
		"response 0x04": 8, "response 0x05": 8, "response 0xf0": 1,
	},
}

// oracleKey is the counting key of one of our Messages.
func oracleKey(r rec) (string, bool) {
	if r.kind != KindS7 || r.malformed {
		return "", false
	}
	switch r.rosctr {
	case rosctrJob:
		return fmt.Sprintf("request 0x%02x", r.fn), true
	case rosctrAck, rosctrAckData:
		if r.detail["func_from_request"] == true || r.detail["func_unknown"] == true {
			return "response -", true
		}
		return fmt.Sprintf("response 0x%02x", r.fn), true
	case rosctrUserdata:
		return fmt.Sprintf("userdata %d %d/%d", r.userdataTyp, r.group, r.fn), true
	}
	return "", false
}

func ourCounts(t *testing.T, file string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, r := range records(t, "testdata/"+file) {
		k, ok := oracleKey(r)
		if !ok {
			continue
		}
		counts[k]++
		if k == "response -" && (r.detail["func_from_request"] != true || r.name != "Start upload" || r.op != "program-upload") {
			t.Errorf("packet %d: ack without parameter not paired with its Start upload request: %+v", r.packet, r)
		}
	}
	return counts
}

func TestOracleCounts(t *testing.T) {
	for file, want := range tsharkCounts {
		t.Run(file, func(t *testing.T) { testutil.DiffCounts(t, file, ourCounts(t, file), want) })
	}
}

// TestOracleTshark runs tshark itself over the captures. It is skipped when
// tshark is missing, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for file := range tsharkCounts {
		t.Run(file, func(t *testing.T) {
			cmd := exec.Command(bin, "-r", "testdata/"+file, "-Y", "s7comm", "-T", "fields",
				"-e", "s7comm.header.rosctr", "-e", "s7comm.param.func", "-e", "s7comm.param.userdata.type",
				"-e", "s7comm.param.userdata.funcgroup", "-e", "s7comm.param.userdata.subfunc")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("tshark: %v: %s", err, stderr.String())
			}
			counts := map[string]int{}
			for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != 5 {
					t.Fatalf("tshark line %q", line)
				}
				switch f[0] {
				case "1", "2", "3":
					dir := "response"
					if f[0] == "1" {
						dir = "request"
					}
					if f[1] == "" {
						counts[dir+" -"]++
						continue
					}
					n, err := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 8)
					if err != nil {
						t.Fatalf("tshark func %q", f[1])
					}
					counts[fmt.Sprintf("%s 0x%02x", dir, n)]++
				case "7":
					counts["userdata "+f[2]+" "+f[3]+"/"+f[4]]++
				default:
					t.Fatalf("tshark rosctr %q", f[0])
				}
			}
			testutil.DiffCounts(t, file+" (live)", ourCounts(t, file), counts)
			testutil.DiffCounts(t, file+" (hard-coded vs live)", tsharkCounts[file], counts)
		})
	}
}

// tsharkBlocks are, per capture and packet, the blocks tshark names in the
// text it appends to s7comm.param.blockcontrol.filename ("_0B00000A
// [SDB0]"): the block type s7comm.data.blockcontrol.block_type ("0B" SDB)
// and the number s7comm.data.blockcontrol.block_number without leading
// zeros, as obtained with
//
//	tshark -r F -Y s7comm.param.blockcontrol.filename -T fields -e frame.number \
//	  -e s7comm.param.blockcontrol.filename -e s7comm.data.blockcontrol.block_type \
//	  -e s7comm.data.blockcontrol.block_number
//
// (TShark 4.0.17). The raw file name is the key, the name the value.
var tsharkBlocks = map[string]map[int64][2]string{
	"snap7.pcap": {
		17: {"_0B00000A", "SDB0"}, 25: {"_0B00000A", "SDB0"}, 31: {"_0B00000A", "SDB0"},
		37: {"_0B00000A", "SDB0"}, 43: {"_0800000A", "OB0"},
	},
	"s7ident.pcap": {
		20: {"_0B00000A", "SDB0"}, 22: {"_0B00000A", "SDB0"}, 25: {"_0B00000A", "SDB0"}, 28: {"_0B00000A", "SDB0"},
	},
}

// ourBlocks are the block names and raw file names of our Messages.
func ourBlocks(t *testing.T, file string) map[int64][2]string {
	t.Helper()
	out := map[int64][2]string{}
	for _, r := range records(t, "testdata/"+file) {
		if f, ok := r.detail["filename"]; ok {
			t.Errorf("packet %d: file name %v not rendered as a block", r.packet, f)
		}
		raw, _ := r.detail["block_raw"].(string)
		name, _ := r.detail["block_name"].(string)
		if raw != "" || name != "" {
			out[r.packet] = [2]string{raw, name}
		}
	}
	return out
}

// TestOracleBlockNames checks the block names against tshark's, hard-coded
// and, when tshark is present, live.
func TestOracleBlockNames(t *testing.T) {
	for file, want := range tsharkBlocks {
		t.Run(file, func(t *testing.T) {
			if got := ourBlocks(t, file); !reflect.DeepEqual(got, want) {
				t.Errorf("blocks %v, tshark %v", got, want)
			}
		})
	}
}

func TestOracleBlockNamesTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	names := map[string]string{"08": "OB", "0A": "DB", "0B": "SDB", "0C": "FC", "0D": "SFC", "0E": "FB", "0F": "SFB"}
	for file := range tsharkBlocks {
		t.Run(file, func(t *testing.T) {
			cmd := exec.Command(bin, "-r", "testdata/"+file, "-Y", "s7comm.param.blockcontrol.filename", "-T", "fields",
				"-e", "frame.number", "-e", "s7comm.param.blockcontrol.filename",
				"-e", "s7comm.data.blockcontrol.block_type", "-e", "s7comm.data.blockcontrol.block_number")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("tshark: %v: %s", err, stderr.String())
			}
			live := map[int64][2]string{}
			for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != 4 {
					t.Fatalf("tshark line %q", line)
				}
				pkt, err1 := strconv.ParseInt(f[0], 10, 64)
				n, err2 := strconv.Atoi(f[3])
				if err1 != nil || err2 != nil || names[f[2]] == "" {
					t.Fatalf("tshark line %q", line)
				}
				live[pkt] = [2]string{f[1], names[f[2]] + strconv.Itoa(n)}
			}
			if got := ourBlocks(t, file); !reflect.DeepEqual(got, live) {
				t.Errorf("blocks %v, tshark live %v", got, live)
			}
			if !reflect.DeepEqual(tsharkBlocks[file], live) {
				t.Errorf("hard-coded %v, tshark live %v", tsharkBlocks[file], live)
			}
		})
	}
}
