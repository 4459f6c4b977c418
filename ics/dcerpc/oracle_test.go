package dcerpc

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark: per packet type (and per opnum for
// requests), the PDUs tshark dissects against those the analyzer emits.

var captures = []string{"opcae_1.pcap", "opcda_1.pcap", "opc_read_write.pcap", "Discovery_impacket_rpcdump.pcapng"}

// tsharkCounts were obtained with TShark 4.0.17:
//
//	tshark -r F -Y dcerpc -T fields -E occurrence=a -e dcerpc.pkt_type -e dcerpc.opnum
//
// keyed by packet type name, requests "request/OPNUM".
var tsharkCounts = map[string]map[string]int{
	"opcae_1.pcap": {"request/2": 2, "request/3": 19, "request/4": 5, "request/5": 7, "request/6": 1,
		"request/7": 1, "request/10": 2, "response": 37, "bind": 10, "bind_ack": 10, "alter_context": 8,
		"alter_context_resp": 8, "auth3": 4},
	"opcda_1.pcap": {"request/1": 50, "request/3": 148, "request/4": 35, "request/5": 45, "request/6": 6,
		"response": 284, "bind": 31, "bind_ack": 31, "alter_context": 21, "alter_context_resp": 21, "auth3": 50},
	"opc_read_write.pcap": {"request/3": 2, "request/4": 1, "request/5": 1, "response": 4,
		"alter_context": 1, "alter_context_resp": 1},
	"Discovery_impacket_rpcdump.pcapng": {"request/2": 1, "response": 11, "bind": 1, "bind_ack": 1},
}

func countKey(typ string, opnum int) string {
	if typ == "request" {
		return typ + "/" + strconv.Itoa(opnum)
	}
	return typ
}

func TestOracleCounts(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			res := replay(t, "testdata/"+name, false)
			if res.FramingErrors != 0 {
				t.Errorf("%d framing errors", res.FramingErrors)
			}
			got := map[string]int{}
			for _, r := range res.Records {
				if r.Malformed {
					t.Errorf("packet %d malformed: %s %s", r.Packet, r.Type, r.Name)
				}
				got[countKey(r.Type, r.Opnum)]++
			}
			testutil.DiffCounts(t, name, got, tsharkCounts[name])
		})
	}
}

// TestOracleTshark runs tshark itself and checks the hard-coded counts
// against it. Without tshark it skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, "-r", "testdata/"+name, "-Y", "dcerpc", "-T", "fields",
				"-E", "occurrence=a", "-e", "dcerpc.pkt_type", "-e", "dcerpc.opnum").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			got := map[string]int{}
			for line := range strings.Lines(string(out)) {
				types, ops, _ := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
				var os []string
				if ops != "" {
					os = strings.Split(ops, ",")
				}
				k := 0 // opnums come in the order of the PDUs that carry one
				for _, ts := range strings.Split(types, ",") {
					typ, err := strconv.Atoi(ts)
					if err != nil || typ >= len(typeNames) {
						t.Fatalf("tshark line %q: bad type", line)
					}
					op := -1
					if typ == TypeRequest {
						if k >= len(os) {
							t.Fatalf("tshark line %q: a request without opnum", line)
						}
						if op, err = strconv.Atoi(os[k]); err != nil {
							t.Fatalf("tshark line %q: %v", line, err)
						}
					}
					if (typ == TypeRequest || typ == TypeResponse) && k < len(os) {
						k++
					}
					got[countKey(typeNames[typ], op)]++
				}
			}
			testutil.DiffCounts(t, name, got, tsharkCounts[name])
		})
	}
}
