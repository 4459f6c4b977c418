package enip

import (
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark (Wireshark's ENIP/CIP dissectors): per service
// code, the number of CIP requests and responses (cip.rr, cip.sc, every
// occurrence, so the services embedded in a Multiple_Service_Packet count),
// per encapsulation command the number of PDUs in each direction
// (enip.command; the response is the PDU sent from port 44818), and the
// number of class 1 I/O packets (cipio frames, which carry no command).
//
// The captures are every public ICS capture of the project's corpus that
// holds EtherNet/IP; its Modbus and S7 captures hold none (tshark finds no
// enip, cip or cipio frame in them). The counts below were obtained with
// TShark 4.0.17:
//
//	tshark -r F -Y 'enip || cip || cipio' -T fields -E occurrence=a \
//	    -e tcp.srcport -e udp.srcport -e enip.command -e cip.rr -e cip.sc
//
// They are equal to ours with no exception. Keys: "cip req 0x03" (requests
// of service 0x03), "enip rsp 0x0070" (SendUnitData PDUs from the server),
// "io" (I/O packets).
var tsharkCounts = map[string]map[string]int{
	"enip_cip_example.pcap": {
		"cip req 0x03": 543, "cip req 0x04": 1, "cip req 0x0a": 41,
		"cip rsp 0x03": 532, "cip rsp 0x04": 1, "cip rsp 0x0a": 40,
		"enip req 0x0063": 1, "enip req 0x0070": 134,
		"enip rsp 0x0063": 1, "enip rsp 0x0070": 133,
		"io": 398,
	},
	"multiple_service_packet_cip.pcapng": {
		"cip req 0x03": 11, "cip req 0x0a": 1, "enip req 0x0070": 1,
	},
	"set_attribute_single_service_cip.pcapng": {
		"cip req 0x10": 1, "enip req 0x0070": 1,
	},
	"cip-multiple-1.pcap": {
		"cip req 0x03": 11, "cip req 0x0a": 1, "enip req 0x0070": 1,
	},
	"cip-multiple-2.pcap": {
		"cip rsp 0x03": 11, "cip rsp 0x0a": 1, "enip rsp 0x0070": 1,
	},
	"enip_test.pcap": {
		"enip req 0x0063": 1, "enip rsp 0x0063": 1,
	},
}

// ourCounts computes the oracle's keys from a capture.
func ourCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	res := runCapture(t, path)
	if res.framing != 0 {
		t.Errorf("%s: %d framing errors", path, res.framing)
	}
	c := map[string]int{}
	dir := func(req bool) string {
		if req {
			return "req"
		}
		return "rsp"
	}
	for _, r := range res.recs {
		switch r.Kind {
		case KindCIP:
			c[fmt.Sprintf("cip %s 0x%02x", dir(r.Request), r.Func)]++
			if r.Index == 0 {
				// The encapsulation direction is the packet's.
				c[fmt.Sprintf("enip %s 0x%04x", dir(r.FromClient), r.Command)]++
			}
		case KindEncap:
			c[fmt.Sprintf("enip %s 0x%04x", dir(r.FromClient), r.Command)]++
		}
	}
	for _, st := range res.io {
		for _, s := range st {
			c["io"] += int(s.Packets)
		}
	}
	return c
}

func TestOracleCounts(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(tsharkCounts)) {
		t.Run(name, func(t *testing.T) {
			testutil.DiffCounts(t, name, ourCounts(t, "testdata/"+name), tsharkCounts[name])
		})
	}
}

// TestOracleTshark runs tshark on the captures and compares its counts
// with ours (and with the hard-coded ones). It fails when
// HARBORWATCH_REQUIRE_TSHARK=1 and tshark is missing, and is skipped
// otherwise when tshark is missing.
func TestOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for _, name := range slices.Sorted(maps.Keys(tsharkCounts)) {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, "-r", "testdata/"+name, "-Y", "enip || cip || cipio",
				"-T", "fields", "-E", "occurrence=a", "-E", "separator=|",
				"-e", "tcp.srcport", "-e", "udp.srcport", "-e", "enip.command", "-e", "cip.rr", "-e", "cip.sc").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			live := tsharkParse(string(out))
			testutil.DiffCounts(t, name+" (live tshark vs hard-coded)", live, tsharkCounts[name])
			testutil.DiffCounts(t, name+" (ours vs live tshark)", ourCounts(t, "testdata/"+name), live)
		})
	}
}

// tsharkParse turns tshark's field lines into the oracle's keys.
func tsharkParse(out string) map[string]int {
	c := map[string]int{}
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), "|")
		if len(f) < 5 {
			continue
		}
		port := f[0]
		if port == "" {
			port = f[1]
		}
		if f[2] == "" {
			c["io"]++
		} else {
			d := "req"
			if port == "44818" {
				d = "rsp"
			}
			c["enip "+d+" "+f[2]]++
		}
		if f[3] == "" {
			continue
		}
		rr, sc := strings.Split(f[3], ","), strings.Split(f[4], ",")
		for i := range min(len(rr), len(sc)) {
			d := "req"
			if rr[i] == "0x01" {
				d = "rsp"
			}
			c["cip "+d+" "+sc[i]]++
		}
	}
	return c
}
