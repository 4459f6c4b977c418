package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"harborwatch/capture"
	"harborwatch/event"
	"harborwatch/runstats"
)

// TestICSEvents runs the snap7 capture (a client uploading, downloading,
// stopping and starting a PLC) through the whole path with events on: one
// event per S7 PDU, request and response paired, each with an operation
// of the vocabulary and the protocol's function code. The counts are the
// PDUs the ICSNPP peer logs plus the refusals it drops (see ics/s7).
func TestICSEvents(t *testing.T) {
	res, err := Run(context.Background(), open(t, "snap7.pcap"), Options{Workers: 2, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range res.Events {
		if e.Proto != "s7comm" || e.Func == nil || !slices.Contains(event.Ops, e.Op) || e.Packet == 0 {
			t.Fatalf("event %+v", e)
		}
		count[e.Dir+" "+e.Op]++
	}
	want := map[string]int{"config-change": 2, "diagnostics": 4, "identity": 4, "plc-start": 1, "plc-stop": 1,
		"program-download": 1, "program-upload": 13, "read": 3, "session": 1, "write": 2}
	for op, n := range want {
		for _, dir := range []string{"request", "response"} {
			if count[dir+" "+op] != n {
				t.Errorf("%s %s: %d events, want %d", dir, op, count[dir+" "+op], n)
			}
		}
	}
	if len(res.Events) != 64 {
		t.Errorf("%d events, want 64 (one per S7 PDU)", len(res.Events))
	}
	// Without a site every drastic operation is a finding; writes are not.
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, fmt.Sprintf("%s %s", f.Severity, f.Rule))
	}
	got := strings.Join(rules, ", ")
	if got != "critical ics.plc-stop, critical ics.program-download, critical ics.program-upload, high ics.config-change, high ics.plc-start" {
		t.Errorf("findings: %s", got)
	}
	for _, f := range res.Findings {
		if f.Rule == "ics.program-upload" {
			if fmt.Sprint(f.Detail["objects"]) != "[OB0 SDB0]" || f.Detail["accepted"] != uint64(12) || len(f.Detail["rejected"].(map[string]uint64)) != 1 {
				t.Errorf("upload detail %v", f.Detail)
			}
		}
	}
}

// TestICSIdentity checks that what devices say of themselves over S7 (SZL
// module identification), CIP (ListIdentity) and Modbus (Read Device
// Identification) reaches their asset records.
func TestICSIdentity(t *testing.T) {
	tests := []struct {
		file, ip string
		want     map[string]any
	}{
		{"s7ident.pcap", "172.17.0.2", map[string]any{"vendor": "Siemens", "order_number": "6ES7 315-2EH14-0AB0",
			"serial": "S C-C2UR28922012", "firmware": "V3.2.6", "module_name": "CPU 315-2 PN/DP", "system_name": "SNAP7-SERVER"}},
		{"enip_cip_example.pcap", "10.1.1.164", map[string]any{"vendor": "Rockwell Automation/Allen-Bradley", "product": "1756-ENBT/A",
			"serial": "0x00524d8e", "revision": "4.3", "device_type": "Communications Adapter"}},
		{"modbus_example.pcap", "127.0.0.1", map[string]any{"vendor": "Zeek Modbus Test", "revision": "1.2.3.6"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := Run(context.Background(), open(t, tt.file), Options{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range res.Assets {
				if a.IP.String() != tt.ip {
					continue
				}
				for k, v := range tt.want {
					if a.Identity[k] != v {
						t.Errorf("%s identity[%s] = %v, want %v", tt.ip, k, a.Identity[k], v)
					}
				}
				return
			}
			t.Errorf("no asset %s", tt.ip)
		})
	}
}

// TestICSReorderedSegments swaps neighbouring Modbus segments and repeats
// others: the analyzer still sees every PDU exactly once.
func TestICSReorderedSegments(t *testing.T) {
	count := func(pkts []capture.Packet) (int, runstats.Stats) {
		var buf bytes.Buffer
		w, _ := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
		for _, p := range pkts {
			w.WritePacket(p.TS, p.Data, p.OrigLen)
		}
		w.Flush()
		src, err := capture.NewReader(&buf, "m.pcap")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), []capture.Source{src}, Options{Workers: 1, Events: true})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range res.Events {
			if e.Proto == "modbus" {
				n++
			}
		}
		return n, res.Stats
	}
	var pkts []capture.Packet
	src := open(t, "modbus_example.pcap")[0]
	for {
		var p capture.Packet
		if src.Next(&p) != nil {
			break
		}
		p.Data = slices.Clone(p.Data)
		pkts = append(pkts, p)
	}
	want, _ := count(pkts)
	if want != 48 { // tshark: 48 mbtcp frames
		t.Fatalf("%d modbus events in order, want 48", want)
	}
	var mixed []capture.Packet
	for i := 0; i < len(pkts); i++ {
		switch {
		case i%10 == 5 && i+1 < len(pkts): // swap with the next
			mixed = append(mixed, pkts[i+1], pkts[i])
			i++
		case i%10 == 8: // retransmit
			mixed = append(mixed, pkts[i], pkts[i])
		default:
			mixed = append(mixed, pkts[i])
		}
	}
	got, st := count(mixed)
	if got != want || st.TCPGaps != 0 {
		t.Errorf("reordered: %d modbus events (want %d), %d gaps", got, want, st.TCPGaps)
	}
}

// TestKeepEvent: operations skipped are not made (SkipEventOps); a
// per-shard filter sees every other event of its shard once,
// what it refuses is counted and goes no further, and the rest are the
// unfiltered run's events in the same order.
func TestKeepEvent(t *testing.T) {
	all, err := Run(context.Background(), open(t, "snap7.pcap"), Options{Workers: 2, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	var made atomic.Int32
	res, err := Run(context.Background(), open(t, "snap7.pcap"), Options{Workers: 2, Events: true,
		SkipEventOps: []string{event.OpRead},
		KeepEvent: func() func(*event.Event) bool {
			made.Add(1)
			return func(e *event.Event) bool {
				if e.Op == event.OpRead {
					t.Error("a skipped operation reached the filter")
				}
				return e.Op != event.OpProgramUpload
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if made.Load() != 2 {
		t.Errorf("KeepEvent made %d filters, want one a shard (2)", made.Load())
	}
	var want []event.Event
	for _, e := range all.Events {
		if e.Op != event.OpRead && e.Op != event.OpProgramUpload {
			want = append(want, e)
		}
	}
	if got := res.Stats.EventsFiltered; got != uint64(len(all.Events)-len(want)) || got != 2*(3+13) {
		t.Errorf("EventsFiltered = %d, want %d", got, len(all.Events)-len(want))
	}
	if len(res.Events) != len(want) {
		t.Fatalf("%d events kept, want %d", len(res.Events), len(want))
	}
	for i := range want {
		if res.Events[i].Packet != want[i].Packet || res.Events[i].Op != want[i].Op || res.Events[i].Dir != want[i].Dir {
			t.Fatalf("event %d: %+v, want %+v", i, res.Events[i], want[i])
		}
	}
}
