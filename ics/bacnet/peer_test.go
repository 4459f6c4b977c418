package bacnet

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"harborwatch/internal/testutil"
)

// Peer parity with the ICSNPP BACnet Zeek parser: every APDU its baseline
// bacnet.log records (pdu_type, pdu_service, invoke_id, result_code), as
// a multiset per capture (Zeek logs the datagrams of concurrent
// connections out of packet order), equals what the analyzer emits. One
// explained difference: ICSNPP logs a segmented Complex-ACK once, for its
// first segment, where the analyzer (and tshark) report every segment; the
// later segments are left out of the comparison.

var peerLogs = map[string]string{
	"bacnet_example.pcap":            "testdata/icsnpp/basic.bacnet.log",
	"bacnet_error_reject_abort.pcap": "testdata/icsnpp/error-reject-abort.bacnet.log",
	"bacnet_segmented_data.pcap":     "testdata/icsnpp/segmented_data.bacnet.log",
}

var zeekPDUTypes = [8]string{"CONFIRMED_REQUEST", "UNCONFIRMED_REQUEST", "SIMPLE_ACK", "COMPLEX_ACK",
	"SEGMENT_ACK", "ERROR_PDU", "REJECT_PDU", "ABORT_PDU"}

// zeekLog reads the four compared columns of a baseline bacnet.log.
func zeekLog(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cols map[string]int
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			cols = map[string]int{}
			for i, c := range strings.Split(rest, "\t") {
				cols[c] = i
			}
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if cols == nil {
			t.Fatalf("%s: data before #fields", path)
		}
		v := strings.Split(line, "\t")
		out[strings.Join([]string{v[cols["pdu_type"]], v[cols["pdu_service"]], v[cols["invoke_id"]],
			v[cols["result_code"]]}, "|")]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no records", path)
	}
	return out
}

// snake writes a tshark service name as ICSNPP does: readProperty →
// read_property, confirmedCOVNotification → confirmed_cov_notification,
// who-Is → who_is.
func snake(s string) string {
	r := []rune(strings.ReplaceAll(s, "-", "_"))
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) ||
			(unicode.IsUpper(r[i-1]) && i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{"readProperty": "read_property", "i-Am": "i_am",
		"confirmedCOVNotification": "confirmed_cov_notification", "who-am-I": "who_am_i",
		"subscribeCovPropertyMultiple": "subscribe_cov_property_multiple"} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

// peerKey is a record as the baseline would log it.
func peerKey(r record) string {
	svc, invoke, result := "-", "-", "-"
	switch r.Type {
	case Reject:
		svc = "reject"
	case Abort:
		svc = "abort"
	case SegmentACK:
	default:
		svc = snake(r.Name)
	}
	if r.Type != UnconfirmedRequest {
		invoke = strconv.Itoa(r.Invoke)
	}
	if r.Status != "" {
		result = r.Status
	}
	return strings.Join([]string{zeekPDUTypes[r.Type], svc, invoke, result}, "|")
}

func TestPeerICSNPP(t *testing.T) {
	for capture, log := range peerLogs {
		t.Run(capture, func(t *testing.T) {
			want := zeekLog(t, log)
			got := map[string]int{}
			for _, r := range replay(t, "testdata/"+capture, false).Records {
				if r.Type >= 0 && r.Sequence == 0 {
					got[peerKey(r)]++
				}
			}
			testutil.DiffCounts(t, capture, got, want)
		})
	}
}
