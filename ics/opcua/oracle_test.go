package opcua

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark: per message type and service, the messages
// tshark dissects against those the analyzer emits, over every capture.

var captures = []string{"open62541_client-server_mainloop.pcap", "open62541_read_service_test_data.pcap",
	"open62541_client-server_encrypted.pcap", "opc-ua-ap-method-wireshark-freeze.pcap"}

// tsharkCounts were obtained with TShark 4.0.17 (decoding TCP 12001 as
// OPC UA for the last capture):
//
//	tshark -r F -Y opcua -T fields -E occurrence=a \
//	    -e opcua.transport.type -e opcua.servicenodeid.numeric
//
// keyed "type/service name" (the type alone without a service).
var tsharkCounts = map[string]map[string]int{
	"open62541_client-server_mainloop.pcap": {"HEL": 2, "ACK": 2,
		"OPN/OpenSecureChannelRequest": 2, "OPN/OpenSecureChannelResponse": 2,
		"MSG/GetEndpointsRequest": 2, "MSG/GetEndpointsResponse": 2, "CLO/CloseSecureChannelRequest": 2,
		"MSG/CreateSessionRequest": 1, "MSG/CreateSessionResponse": 1, "MSG/ActivateSessionRequest": 1,
		"MSG/ActivateSessionResponse": 1, "MSG/BrowseRequest": 2, "MSG/BrowseResponse": 2,
		"MSG/CreateSubscriptionRequest": 1, "MSG/CreateSubscriptionResponse": 1,
		"MSG/CreateMonitoredItemsRequest": 1, "MSG/CreateMonitoredItemsResponse": 1,
		"MSG/PublishRequest": 11, "MSG/PublishResponse": 11, "MSG/ReadRequest": 1, "MSG/ReadResponse": 1,
		"MSG/WriteRequest": 2, "MSG/WriteResponse": 2, "MSG/DeleteSubscriptionsRequest": 1,
		"MSG/DeleteSubscriptionsResponse": 1, "MSG/CallRequest": 1, "MSG/CallResponse": 1,
		"MSG/AddNodesRequest": 4, "MSG/AddNodesResponse": 4, "MSG/CloseSessionRequest": 1,
		"MSG/CloseSessionResponse": 1},
	"open62541_read_service_test_data.pcap": {"HEL": 1, "ACK": 1,
		"OPN/OpenSecureChannelRequest": 1, "OPN/OpenSecureChannelResponse": 1,
		"MSG/GetEndpointsRequest": 1, "MSG/GetEndpointsResponse": 1, "MSG/CreateSessionRequest": 1,
		"MSG/CreateSessionResponse": 1, "MSG/ActivateSessionRequest": 1, "MSG/ActivateSessionResponse": 1,
		"MSG/ReadRequest": 86, "MSG/ReadResponse": 86, "MSG/CloseSessionRequest": 1,
		"MSG/CloseSessionResponse": 1, "CLO/CloseSecureChannelRequest": 1},
	"open62541_client-server_encrypted.pcap": {"HEL": 2, "ACK": 2,
		"OPN/OpenSecureChannelRequest": 1, "OPN/OpenSecureChannelResponse": 1,
		"MSG/GetEndpointsRequest": 1, "MSG/GetEndpointsResponse": 1, "CLO/CloseSecureChannelRequest": 1,
		"OPN": 2, "MSG": 8, "CLO": 1},
	"opc-ua-ap-method-wireshark-freeze.pcap": {"HEL": 2, "ACK": 2, "ERR": 2,
		"OPN/OpenSecureChannelRequest": 2, "OPN/OpenSecureChannelResponse": 2,
		"MSG/GetEndpointsRequest": 2, "MSG/GetEndpointsResponse": 2, "MSG/CreateSessionRequest": 2,
		"MSG/CreateSessionResponse": 2, "MSG/ActivateSessionRequest": 2, "MSG/ActivateSessionResponse": 2,
		"MSG/CallRequest": 2},
}

func key(typ, service string) string {
	if service == "" {
		return typ
	}
	return typ + "/" + service
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
					t.Errorf("packet %d malformed: %s", r.Packet, r.Status)
				}
				svc := ""
				if r.Service != 0 {
					svc = r.Name
				}
				got[key(r.Type, svc)]++
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
			out, err := exec.Command(bin, "-r", "testdata/"+name, "-d", "tcp.port==12001,opcua", "-Y", "opcua",
				"-T", "fields", "-E", "occurrence=a", "-e", "opcua.transport.type",
				"-e", "opcua.servicenodeid.numeric").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			got := map[string]int{}
			for line := range strings.Lines(string(out)) {
				types, ids, _ := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
				ts := strings.Split(types, ",")
				var is []string
				if ids != "" {
					is = strings.Split(ids, ",")
				}
				if len(is) != 0 && len(is) != len(ts) {
					t.Fatalf("tshark line %q: types and services do not pair", line)
				}
				for i, typ := range ts {
					svc := ""
					if len(is) > 0 {
						id, err := strconv.Atoi(is[i])
						if err != nil {
							t.Fatalf("tshark line %q: %v", line, err)
						}
						svc = services[uint32(id)].name
					}
					got[key(typ, svc)]++
				}
			}
			testutil.DiffCounts(t, name, got, tsharkCounts[name])
		})
	}
}
