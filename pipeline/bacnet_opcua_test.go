package pipeline

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"harborwatch/event"
	"harborwatch/internal/synth"
	"harborwatch/internal/testutil"
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

// Wireshark's names (bacapp and opcua dissectors) of the BACnet services,
// APDU types and OPC UA messages the simulator's scenarios send.
var (
	wsBACnetConfirmed   = map[int]string{12: "readProperty", 15: "writeProperty", 17: "deviceCommunicationControl", 20: "reinitializeDevice", 21: "vtOpen"}
	wsBACnetUnconfirmed = map[int]string{0: "i-Am", 8: "who-Is"}
	wsBACnetTypes       = map[int]string{6: "Reject", 7: "Abort", 4: "Segment-ACK"}
	wsOPCUATransport    = map[string]string{"HEL": "Hello", "ACK": "Acknowledge", "ERR": "Error"}
	wsOPCUAServices     = map[int]string{397: "ServiceFault", 446: "OpenSecureChannelRequest", 449: "OpenSecureChannelResponse",
		452: "CloseSecureChannelRequest", 461: "CreateSessionRequest", 464: "CreateSessionResponse",
		467: "ActivateSessionRequest", 470: "ActivateSessionResponse", 473: "CloseSessionRequest",
		476: "CloseSessionResponse", 631: "ReadRequest", 634: "ReadResponse", 673: "WriteRequest",
		676: "WriteResponse", 712: "CallRequest", 715: "CallResponse"}
)

// TestSimulatedBACnetOPCUAParity runs the simulator's BACnet and OPC UA
// scenarios (bms-hvac-override, opcua-crane-write) through the whole path
// with events on, and counts the events per protocol, name and direction
// against tshark's dissection of the same capture: each BVLL message and
// OPC UA message named by its service (Reject and the transport messages
// by their type), a response when the server sent it (the HVAC
// controller, 10.10.3.10; OPC UA's port 4840). Both must equal what the
// scripts of the normal traffic and the scenarios send.
func TestSimulatedBACnetOPCUAParity(t *testing.T) {
	bin := testutil.Tshark(t)
	_, data := terminalCapture(t, synth.TerminalOptions{Scenarios: []string{"bms-hvac-override", "opcua-crane-write"}})
	file := filepath.Join(t.TempDir(), "sim.pcap")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runBytes(t, data, "sim.pcap", Options{Workers: 2, Events: true})
	ours := map[string]int{}
	for _, e := range res.Events {
		if e.Proto == "bacnet" || e.Proto == "opcua" {
			ours[e.Proto+" "+e.Name+" "+e.Dir]++
		}
	}
	out, err := exec.Command(bin, "-n", "-r", file, "-Y", "bvlc || opcua", "-T", "fields", "-E", "occurrence=a",
		"-e", "ip.src", "-e", "tcp.srcport", "-e", "bacapp.type", "-e", "bacapp.confirmed_service",
		"-e", "bacapp.unconfirmed_service", "-e", "opcua.transport.type", "-e", "opcua.servicenodeid.numeric").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("tshark field %q: %v", s, err)
		}
		return n
	}
	ws := map[string]int{}
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		if len(f) != 7 {
			t.Fatalf("tshark line %q", line)
		}
		if f[5] == "" { // BACnet: one message per datagram
			dir := "request"
			if f[0] == "10.10.3.10" {
				dir = "response"
			}
			name := wsBACnetTypes[num(f[2])]
			switch {
			case f[3] != "":
				name = wsBACnetConfirmed[num(f[3])]
			case f[4] != "":
				name = wsBACnetUnconfirmed[num(f[4])]
			}
			ws["bacnet "+name+" "+dir]++
			continue
		}
		dir := "request"
		if f[1] == "4840" {
			dir = "response"
		}
		types := strings.Split(f[5], ",")
		var ids []string
		if f[6] != "" {
			ids = strings.Split(f[6], ",")
		}
		for _, typ := range types { // the transport messages have no service
			name := wsOPCUATransport[typ]
			if name == "" {
				if len(ids) == 0 {
					t.Fatalf("tshark line %q: %s without a service", line, typ)
				}
				name, ids = wsOPCUAServices[num(ids[0])], ids[1:]
			}
			ws["opcua "+name+" "+dir]++
		}
	}
	testutil.DiffCounts(t, "harborwatch vs tshark", ours, ws)
	script := map[string]int{
		// The normal traffic: the BMS's Who-Is once and a read every 10 s.
		// The scenarios: the last I-Am broadcast after the restart, one
		// readProperty and one reinitializeDevice answered with an Error.
		"bacnet who-Is request": 3, "bacnet i-Am response": 4,
		"bacnet readProperty request": 11, "bacnet readProperty response": 11,
		"bacnet writeProperty request": 3, "bacnet writeProperty response": 3,
		"bacnet vtOpen request": 1, "bacnet Reject response": 1,
		"bacnet deviceCommunicationControl request": 1, "bacnet deviceCommunicationControl response": 1,
		"bacnet reinitializeDevice request": 2, "bacnet reinitializeDevice response": 2,
		"opcua Hello request": 2, "opcua Acknowledge response": 2,
		"opcua OpenSecureChannelRequest request": 2, "opcua OpenSecureChannelResponse response": 2,
		"opcua CreateSessionRequest request": 2, "opcua CreateSessionResponse response": 2,
		"opcua ActivateSessionRequest request": 3, "opcua ActivateSessionResponse response": 2,
		"opcua ServiceFault response": 1, "opcua ReadRequest request": 2, "opcua ReadResponse response": 2,
		"opcua WriteRequest request": 1, "opcua WriteResponse response": 1,
		"opcua CallRequest request": 1, "opcua CallResponse response": 1,
		"opcua CloseSessionRequest request": 2, "opcua CloseSessionResponse response": 2,
		"opcua CloseSecureChannelRequest request": 2,
	}
	testutil.DiffCounts(t, "tshark vs the scenarios' scripts", ws, script)
}
