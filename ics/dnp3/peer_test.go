package dnp3

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// Peer parity with the ICSNPP DNP3 baseline (Zeek's dnp3.log for
// dnp3_example.pcap): per connection, in order, the records Zeek writes,
// each a request function (or "-"), the response function that wrote it
// (or "-" when the connection ended first) and the response's IIN.

// zeekName is the function's name in Zeek's dnp3.log.
func zeekName(code int) string {
	return strings.ToUpper(strings.ReplaceAll(funcs[code].name, " ", "_"))
}

// peerRecords replays Zeek's logic over the analyzer's Messages: a
// request sets the pending request function, a response writes a record
// with it and clears it; a request still pending when the capture ends
// is written without response.
func peerRecords(recs []record) map[string][]string {
	out := map[string][]string{}
	pending := map[string]string{}
	var order []string
	for _, r := range recs {
		if r.kind != KindApplication {
			continue
		}
		if _, ok := pending[r.conn]; !ok && !slices.Contains(order, r.conn) {
			order = append(order, r.conn)
		}
		if r.request {
			pending[r.conn] = zeekName(r.code)
			continue
		}
		req := pending[r.conn]
		if req == "" {
			req = "-"
		}
		out[r.conn] = append(out[r.conn], req+" "+zeekName(r.code)+" "+itoa(r.iin))
		pending[r.conn] = ""
	}
	for _, c := range order {
		if p := pending[c]; p != "" {
			out[c] = append(out[c], p+" - -")
		}
	}
	return out
}

// baseline reads dnp3.log into records per connection.
func baseline(t *testing.T, path string) map[string][]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 9 {
			t.Fatalf("%s: line %q", path, sc.Text())
		}
		conn := c[2] + ":" + c[3] + " " + c[4] + ":" + c[5]
		out[conn] = append(out[conn], c[6]+" "+c[7]+" "+c[8])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPeerICSNPP(t *testing.T) {
	want := baseline(t, "testdata/baseline-dnp3/analyzer.basic/dnp3.log")
	recs, _, _ := replay(t, "testdata/dnp3_example.pcap")
	got := peerRecords(recs)
	if len(got) != len(want) {
		t.Errorf("%d connections, baseline %d", len(got), len(want))
	}
	total := 0
	for conn, w := range want {
		g := got[conn]
		total += len(w)
		for i := range max(len(g), len(w)) {
			var gi, wi string
			if i < len(g) {
				gi = g[i]
			}
			if i < len(w) {
				wi = w[i]
			}
			if gi != wi {
				t.Errorf("%s record %d: ours %q, baseline %q", conn, i, gi, wi)
				break
			}
		}
	}
	if total != 368 {
		t.Errorf("baseline has %d records, want 368", total)
	}
}
