package opcua

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Peer parity with the ICSNPP OPC UA binary Zeek parser: its baseline
// opcua_binary.log for the mainloop capture has one line per request and
// its response (message type, request service id in column 29, response
// service id in column 48) or per Hello and Acknowledge; as a multiset of
// "type/service id" (the type alone for Hello and Acknowledge) it equals
// what the analyzer emits.

const (
	colMsgType = 6
	colReqID   = 29
	colRespID  = 48
)

func zeekCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		v := strings.Split(line, "\t")
		if len(v) <= colRespID {
			t.Fatalf("%s: short line %q", path, line)
		}
		typ := v[colMsgType]
		if typ == "HEL" || typ == "ACK" || typ == "ERR" {
			out[typ]++
			continue
		}
		for _, c := range []int{colReqID, colRespID} {
			if v[c] != "-" {
				out[typ+"/"+v[c]]++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no records", path)
	}
	return out
}

func TestPeerICSNPP(t *testing.T) {
	const capture = "open62541_client-server_mainloop.pcap"
	want := zeekCounts(t, "testdata/icsnpp/basic.opcua_binary.log")
	got := map[string]int{}
	for _, r := range replay(t, "testdata/"+capture, false).Records {
		k := r.Type
		if r.Service != 0 {
			k += "/" + strconv.Itoa(r.Service)
		}
		got[k]++
	}
	testutil.DiffCounts(t, capture, got, want)
}
