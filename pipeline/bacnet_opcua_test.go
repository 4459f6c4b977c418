package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"harborwatch/event"
)

// TestBACnetOPCUAEvents runs a BACnet/IP capture and an OPC UA capture
// through the whole path with events on: one event per BVLL message and
// per OPC UA message (as the packages' tshark parity tests count them),
// each with an operation of the vocabulary, the I-Am senders' and the OPC
// UA server's identities on their assets, and the findings a run without
// site makes of the OPC UA Call and AddNodes requests.
func TestBACnetOPCUAEvents(t *testing.T) {
	srcs := openFile(t, "../ics/bacnet/testdata/bacnet_segmented_data.pcap",
		"../ics/opcua/testdata/open62541_client-server_mainloop.pcap")
	res, err := Run(context.Background(), srcs, Options{Workers: 2, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	names := map[string]int{}
	for _, e := range res.Events {
		if e.Proto != "bacnet" && e.Proto != "opcua" {
			continue
		}
		if e.Func == nil || !slices.Contains(event.Ops, e.Op) || e.Packet == 0 {
			t.Fatalf("event %+v", e)
		}
		count[e.Proto]++
		names[e.Proto+" "+e.Name+" "+e.Op]++
	}
	if count["bacnet"] != 20 || count["opcua"] != 68 {
		t.Errorf("events: %v, want 20 bacnet (one per datagram) and 68 opcua", count)
	}
	for k, n := range map[string]int{"bacnet i-Am identity": 7, "bacnet readProperty read": 6,
		"bacnet Segment-ACK read": 2, "bacnet timeSynchronization config-change": 1,
		"opcua OpenSecureChannelRequest session": 2, "opcua CallRequest config-change": 1,
		"opcua WriteRequest write": 2, "opcua ActivateSessionRequest auth": 1} {
		if names[k] != n {
			t.Errorf("%s: %d events, want %d", k, names[k], n)
		}
	}
	var ids []string
	for _, a := range res.Assets {
		if v, ok := a.Identity["device_instance"]; ok {
			ids = append(ids, fmt.Sprintf("%s device %v vendor %v", a.IP, v, a.Identity["vendor_id"]))
		}
		if v, ok := a.Identity["product_uri"]; ok {
			ids = append(ids, fmt.Sprintf("%s product %v", a.IP, v))
		}
	}
	slices.Sort(ids)
	// tshark: I-Am from 10.0.0.1 device 0 and 10.0.0.2 device 254, both vendor 154.
	want := "10.0.0.1 device 0 vendor 154; 10.0.0.2 device 254 vendor 154; ::1 product http://open62541.org"
	if got := strings.Join(ids, "; "); got != want {
		t.Errorf("identities: %s, want %s", got, want)
	}
	// Without a site: the OPC UA Call and AddNodes requests, and the BACnet
	// time synchronization, are config-change findings; reads, writes,
	// sessions and identity are not.
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, fmt.Sprintf("%s %s %s", f.Severity, f.Rule, f.App))
	}
	slices.Sort(rules)
	if got := strings.Join(rules, ", "); got != "high ics.config-change bacnet, high ics.config-change opcua" {
		t.Errorf("findings: %s", got)
	}
}
