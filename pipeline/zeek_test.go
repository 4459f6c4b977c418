package pipeline

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
)

// zeekConn is one row of a Zeek conn.log.
type zeekConn struct {
	orig, resp          netip.AddrPort
	proto, service      string
	origPkts, origBytes uint64
	respPkts, respBytes uint64
}

func readConnLog(t *testing.T, path string) []zeekConn {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []string
	var rows []zeekConn
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#fields") {
			fields = strings.Split(line, "\t")[1:]
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		v := map[string]string{}
		for i, c := range strings.Split(line, "\t") {
			v[fields[i]] = c
		}
		n := func(k string) uint64 {
			x, err := strconv.ParseUint(v[k], 10, 64)
			if err != nil {
				t.Fatalf("%s: %s=%q", path, k, v[k])
			}
			return x
		}
		ap := func(h, p string) netip.AddrPort {
			port, _ := strconv.ParseUint(v[p], 10, 16)
			return netip.AddrPortFrom(netip.MustParseAddr(v[h]), uint16(port))
		}
		rows = append(rows, zeekConn{
			orig: ap("id.orig_h", "id.orig_p"), resp: ap("id.resp_h", "id.resp_p"),
			proto: v["proto"], service: v["service"],
			origPkts: n("orig_pkts"), origBytes: n("orig_ip_bytes"),
			respPkts: n("resp_pkts"), respBytes: n("resp_ip_bytes"),
		})
	}
	return rows
}

// zeekService maps Zeek's service names to harborwatch's applications.
var zeekService = map[string]string{
	"modbus":           "modbus",
	"cotp,s7comm":      "s7comm",
	"cotp,s7comm-plus": "s7comm-plus",
	"enip":             "enip",
	"cip":              "enip",
}

// TestFlowsMatchZeek compares the flow table with Zeek's conn.log for the
// same captures (the ICSNPP baselines): the same connections, the same
// originator, the same packet and IP byte counts per direction, and the
// same application where Zeek named one.
func TestFlowsMatchZeek(t *testing.T) {
	for _, name := range []string{"modbus_example", "enip_cip_example", "s7comm_plus", "snap7"} {
		t.Run(name, func(t *testing.T) {
			want := readConnLog(t, "testdata/zeek/"+name+".conn.log")
			got := map[[2]netip.AddrPort]FlowRecord{}
			opts := Options{Workers: 1, Flows: true, FlowInterval: -1, Sink: SinkFuncs{OnFlow: func(r *FlowRecord) { got[[2]netip.AddrPort{r.Client, r.Server}] = *r }}}
			if _, err := Run(context.Background(), open(t, name+".pcap"), opts); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%d flows, Zeek has %d", len(got), len(want))
			}
			for _, z := range want {
				r, ok := got[[2]netip.AddrPort{z.orig, z.resp}]
				if !ok {
					t.Errorf("no flow %v → %v (Zeek's originator)", z.orig, z.resp)
					continue
				}
				if r.Packets != [2]uint64{z.origPkts, z.respPkts} || r.Bytes != [2]uint64{z.origBytes, z.respBytes} {
					t.Errorf("%v → %v: packets %v bytes %v; Zeek %d/%d packets, %d/%d bytes",
						z.orig, z.resp, r.Packets, r.Bytes, z.origPkts, z.respPkts, z.origBytes, z.respBytes)
				}
				if app, ok := zeekService[z.service]; ok && r.App != app {
					t.Errorf("%v → %v: app %q, Zeek says %q", z.orig, z.resp, r.App, z.service)
				}
			}
		})
	}
}
