package detect

import (
	"fmt"
	"testing"

	"harborwatch/app"
	"harborwatch/observe"
	"harborwatch/site"
)

// TestFlowOpenRest: a flow judged while open (FlowOpen with what was
// known then) and ended with FlowRest gives the findings Flow gives at the
// end, field by field — for every flow rule, and with a second flow of the
// same pair that was never judged open.
func TestFlowOpenRest(t *testing.T) {
	st, err := site.Parse("t.yaml", []byte(testSite))
	if err != nil {
		t.Fatal(err)
	}
	flows := []observe.Conn{
		conn("10.50.7.77:50000", "10.10.1.5:102", 6, app.S7comm, 110), // cross-zone into control
		conn("10.10.2.9:40000", "198.51.100.7:443", 6, app.HTTPS, 0),  // egress from a crane zone
		conn("10.50.7.77:50001", "10.10.9.20:3389", 6, app.RDP, 0),    // remote access, not the gateway
		conn("10.50.7.77:50002", "10.10.1.5:21", 6, app.FTP, 0),       // cleartext file transfer
		conn("10.10.9.20:50003", "192.0.2.8:443", 6, app.HTTPS, 0),    // prohibited address
		conn("10.10.9.20:50004", "10.10.1.5:102", 6, app.S7comm, 110), // allowed: no finding
		conn("10.50.7.77:50005", "10.10.1.5:102", 6, app.S7comm, 110), // a second flow of the first pair, judged at its end only
	}
	e := newEngines(st)
	whole, split := e.shard(), e.shard()
	for i, c := range flows {
		whole.Flow(&c)
		if i == len(flows)-1 {
			split.Flow(&c)
			continue
		}
		open := c
		open.Last = c.First + 500_000_000
		open.Packets, open.Bytes = [2]uint64{1, 1}, [2]uint64{60, 60}
		open.NMarks = 2
		fired := split.FlowOpen(&open)
		end := c
		split.obs.Flow(&end)
		split.FlowRest(&end, fired)
	}
	a := e.finish([]shard{whole}, []string{"a.pcap"}).Findings
	b := e.finish([]shard{split}, []string{"a.pcap"}).Findings
	if len(a) < 5 {
		t.Fatalf("%d findings: every flow rule should fire", len(a))
	}
	if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
		t.Errorf("judged at the end:\n%+v\njudged open, then the rest:\n%+v", a, b)
	}
}
