package dnp3

import (
	"bufio"
	"os"
	"slices"
	"strconv"
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
		out[r.conn] = append(out[r.conn], req+" "+zeekName(r.code)+" "+strconv.Itoa(r.iin))
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

// zeekObjects names the object types of the baseline as dnp3_objects.log
// and dnp3_control.log write them.
var zeekObjects = map[string]string{
	"g60v1": "Class 0 Data", "g60v2": "Class 1 Data", "g60v3": "Class 2 Data", "g60v4": "Class 3 Data",
	"g1v2": "Binary Input With Status", "g10v2": "Binary Output Status", "g30v2": "16-Bit Analog Input",
	"g40v2": "16-Bit Analog Output Status", "g12v1": "Control Relay Output Block",
}

// logRows reads a baseline log's rows per connection, keeping the
// columns cols (after ts and uid, indexes into the whole row).
func logRows(t *testing.T, path string, cols ...int) map[string][]string {
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
		var keep []string
		for _, i := range cols {
			keep = append(keep, c[i])
		}
		conn := c[2] + ":" + c[3] + " " + c[4] + ":" + c[5]
		out[conn] = append(out[conn], strings.Join(keep, " "))
	}
	return out
}

func compareRows(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	n := 0
	for conn, w := range want {
		n += len(w)
		if !slices.Equal(got[conn], w) {
			g := got[conn]
			for i := range min(len(g), len(w)) {
				if g[i] != w[i] {
					t.Errorf("%s %s row %d: ours %q, baseline %q", what, conn, i, g[i], w[i])
					break
				}
			}
			t.Errorf("%s %s: ours %d rows, baseline %d", what, conn, len(g), len(w))
		}
	}
	for conn, g := range got {
		if _, ok := want[conn]; !ok {
			t.Errorf("%s %s: ours %d rows, none in the baseline", what, conn, len(g))
		}
	}
	if n == 0 {
		t.Fatalf("%s: empty baseline", what)
	}
}

// TestPeerObjects compares the object headers of every fragment with
// dnp3_objects.log (function, object type, count, range; "-" where Zeek
// logs none: class data) for the object types the baseline names.
func TestPeerObjects(t *testing.T) {
	want := logRows(t, "testdata/baseline-dnp3/analyzer.basic/dnp3_objects.log", 6, 11, 12, 13, 14, 15)
	recs, _, _ := replay(t, "testdata/dnp3_example.pcap")
	got := map[string][]string{}
	for _, r := range recs {
		objs, _ := r.detail["objects"].([]map[string]any)
		for _, o := range objs {
			name, ok := zeekObjects[o["object"].(string)]
			if !ok || name == "Control Relay Output Block" {
				continue // dnp3_control.log's
			}
			count, low, high := "-", "-", "-"
			if q := o["qualifier"].(int) & 0x0F; q <= 5 {
				s := o["start"].(int)
				c := o["count"].(int)
				count, low, high = strconv.Itoa(c), strconv.Itoa(s), strconv.Itoa(s+c-1)
			}
			got[r.conn] = append(got[r.conn], strings.Join([]string{tf(r.fromClient), zeekName(r.code), name, count, low, high}, " "))
		}
	}
	compareRows(t, "objects", got, want)
}

// TestPeerControl compares the control relay output blocks of Select,
// Operate and their responses with dnp3_control.log.
func TestPeerControl(t *testing.T) {
	want := logRows(t, "testdata/baseline-dnp3/analyzer.basic/dnp3_control.log", 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
	recs, _, _ := replay(t, "testdata/dnp3_example.pcap")
	got := map[string][]string{}
	tcc := []string{"Nul", "Close", "Trip", "Reserved"}
	ops := []string{"Nul", "Pulse On", "Pulse Off", "Latch On", "Latch Off"}
	for _, r := range recs {
		c, ok := r.detail["crob"].(map[string]any)
		if !ok {
			continue
		}
		code := c["code"].(int)
		op := "Unknown"
		if code&0x0F < len(ops) {
			op = ops[code&0x0F]
		}
		status := "-"
		if !r.request {
			status = "Success"
			if c["status"].(int) != 0 {
				status = "status-" + strconv.Itoa(c["status"].(int))
			}
		}
		got[r.conn] = append(got[r.conn], strings.Join([]string{tf(r.fromClient), "Control Relay Output Block",
			zeekName(r.code), strconv.Itoa(c["index"].(int)), tcc[code>>6], op, tf(code&0x20 != 0), strconv.Itoa(c["count"].(int)),
			strconv.Itoa(c["on_ms"].(int)), strconv.Itoa(c["off_ms"].(int)), status}, " "))
	}
	compareRows(t, "control", got, want)
}

func tf(b bool) string {
	if b {
		return "T"
	}
	return "F"
}
