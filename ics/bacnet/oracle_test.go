package bacnet

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark: per message name and APDU type, the messages
// tshark dissects against those the analyzer emits, over every capture.

// captures are the test captures, all BACnet/IP.
var captures = []string{"bacnet_example.pcap", "bacnet_error_reject_abort.pcap",
	"bacnet_segmented_data.pcap", "BACnetL_SchedRPM.pcapng"}

// tsharkCounts were obtained with TShark 4.0.17:
//
//	tshark -r F -Y bvlc -T fields -e bvlc.function -e bacapp.type \
//	    -e bacapp.confirmed_service -e bacapp.unconfirmed_service -e bacnet.mesgtyp
//
// keyed "name/APDU type" as key() builds it.
var tsharkCounts = map[string]map[string]int{
	"bacnet_example.pcap": {"readProperty/Confirmed-REQ": 1400, "readProperty/Complex-ACK": 1400,
		"i-Am/Unconfirmed-REQ": 210, "who-Is/Unconfirmed-REQ": 7, "reinitializeDevice/Confirmed-REQ": 120,
		"reinitializeDevice/Error": 90, "reinitializeDevice/Simple-ACK": 30},
	"bacnet_error_reject_abort.pcap": func() map[string]int {
		c := map[string]int{"subscribeCOVProperty/Confirmed-REQ": 2, "reinitializeDevice/Error": 1,
			"Reject/Reject": 1, "Abort/Abort": 1}
		for _, s := range []int{0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 21, 22, 23, 26,
			27, 29, 30, 31} {
			c[confirmedServices[s].name+"/Confirmed-REQ"]++
		}
		for s := range 15 {
			if s != 12 {
				c[unconfirmedServices[s].name+"/Unconfirmed-REQ"]++
			}
		}
		return c
	}(),
	"bacnet_segmented_data.pcap": {"i-Am/Unconfirmed-REQ": 7, "who-Is/Unconfirmed-REQ": 1,
		"i-Have/Unconfirmed-REQ": 2, "who-Has/Unconfirmed-REQ": 1, "timeSynchronization/Unconfirmed-REQ": 1,
		"readProperty/Confirmed-REQ": 2, "readProperty/Complex-ACK": 4, "Segment-ACK/Segment-ACK": 2},
	"BACnetL_SchedRPM.pcapng": {"readPropertyMultiple/Confirmed-REQ": 1,
		"readPropertyMultiple/Complex-ACK": 1},
}

// key names a message for the counts: its name and APDU type (the BVLL
// function or network message name alone without APDU).
func key(name string, typ int) string {
	if typ < 0 {
		return name
	}
	return name + "/" + pduTypeNames[typ]
}

func TestOracleCounts(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			res := replay(t, "testdata/"+name, true)
			if res.FramingErrors != 0 {
				t.Errorf("%d framing errors", res.FramingErrors)
			}
			got := map[string]int{}
			for _, r := range res.Records {
				if r.Malformed {
					t.Errorf("packet %d malformed: %s", r.Packet, r.Status)
				}
				got[key(r.Name, r.Type)]++
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
			out, err := exec.Command(bin, "-r", "testdata/"+name, "-Y", "bvlc", "-T", "fields",
				"-e", "bvlc.function", "-e", "bacapp.type", "-e", "bacapp.confirmed_service",
				"-e", "bacapp.unconfirmed_service", "-e", "bacnet.mesgtyp").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			got := map[string]int{}
			for line := range strings.Lines(string(out)) {
				f := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
				if len(f) != 5 {
					t.Fatalf("tshark line %q", line)
				}
				got[tsharkKey(t, f)]++
			}
			testutil.DiffCounts(t, name, got, tsharkCounts[name])
		})
	}
}

// tsharkKey builds key() from tshark's fields.
func tsharkKey(t *testing.T, f []string) string {
	num := func(s string) int {
		v, err := strconv.ParseInt(s, 0, 32)
		if err != nil {
			t.Fatalf("tshark field %q: %v", s, err)
		}
		return int(v)
	}
	switch {
	case f[1] != "":
		typ := num(f[1])
		switch {
		case f[2] != "":
			return key(confirmedServices[num(f[2])].name, typ)
		case f[3] != "":
			return key(unconfirmedServices[num(f[3])].name, typ)
		}
		return key(pduTypeNames[typ], typ)
	case f[4] != "":
		return networkMessages[num(f[4])]
	}
	return bvlcNames[num(f[0])]
}
