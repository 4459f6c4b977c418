package s7

import (
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Peer parity with the ICSNPP S7comm analyzer for Zeek: its baseline logs
// for the three public captures (testdata/peer) are compared PDU by PDU, in
// order per connection, with our Messages: direction, ROSCTR, function
// codes and names, statuses, SZL ids, upload fields and module identity.

// zeekLog reads a Zeek TSV log into rows keyed by field name.
func zeekLog(t *testing.T, path string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("peer log: %v", err)
	}
	var fields []string
	var rows []map[string]string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(rest, "\t")
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		vals := strings.Split(line, "\t")
		if len(vals) != len(fields) {
			t.Fatalf("%s: %d values for %d fields", path, len(vals), len(fields))
		}
		row := map[string]string{}
		for i, f := range fields {
			row[f] = vals[i]
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	return rows
}

// peerDiff is a deliberate difference from the peer: a PDU we emit and the
// peer does not log ("extra"), or a status we report and the peer does not.
type peerDiff struct {
	capture string
	log     string // s7comm, read_szl, upload_download
	packet  int64
	what    string // "extra" or "status"
	why     string
}

const ackWhy = "an ack (ROSCTR 2) refusing the job carries no parameter; the peer's ack record reads a " +
	"function code octet after the error code, finds none and logs no row; we emit it with the " +
	"paired request's function and the error as status"

var peerDiffs = []peerDiff{
	{"snap7", "s7comm", 6, "extra", "first data unit of a fragmented SZL response (last data unit: no): the peer logs no row for it"},
	{"snap7", "s7comm", 7, "extra", "follow-up request for the next data unit of a fragmented SZL response has an empty data " +
		"part (return code 0x0a, length 0); the peer's SZL record reads an SZL id past the PDU and logs no row"},
	{"snap7", "s7comm", 44, "extra", ackWhy},
	{"s7ident", "s7comm", 21, "extra", ackWhy},
	{"s7ident", "s7comm", 23, "extra", ackWhy},
	{"s7ident", "s7comm", 26, "extra", ackWhy},
	{"s7ident", "s7comm", 29, "extra", ackWhy},
	{"snap7", "s7comm", 54, "status", "Write Var response with item return codes 0xff ×3, 0x03 ×2: we report the item " +
		"errors (\"Accessing the object not allowed\", item_errors 2), the peer only the header error class"},
	{"s7ident", "s7comm", 32, "status", "Read Var response whose five items returned 0x0a: we report \"Object does not " +
		"exist\", the peer only the header error class"},
	{"snap7", "read_szl", 6, "extra", "first data unit of a fragmented SZL response: the peer logs no SZL row"},
	{"snap7", "read_szl", 7, "extra", "follow-up request of a fragmented SZL response (no SZL id in its data)"},
	{"snap7", "read_szl", 8, "extra", "last data unit of a fragmented SZL response: its data continues the record list, " +
		"so the peer finds no SZL id; we carry the id of the first data unit"},
	{"snap7", "upload_download", 44, "extra", ackWhy},
}

func diffFor(capture, log string, packet int64) (peerDiff, bool) {
	for _, d := range peerDiffs {
		if d.capture == capture && d.log == log && d.packet == packet {
			return d, true
		}
	}
	return peerDiff{}, false
}

// byConn groups records by the client port of their flow.
func byConn(recs []rec, keep func(rec) bool) map[string][]rec {
	out := map[string][]rec{}
	for _, r := range recs {
		if keep(r) {
			k := strconv.Itoa(int(r.client.Port()))
			out[k] = append(out[k], r)
		}
	}
	return out
}

// zeekNames maps the peer's function and subfunction names to ours, which
// are Wireshark's (so that tshark, the other oracle, and our events agree).
var zeekNames = map[string]string{
	"Setup Communication": "Setup communication",
	"Read Variable":       "Read Var",
	"Write Variable":      "Write Var",
	"Start Upload":        "Start upload",
	"Upload":              "Upload",
	"End Upload":          "End upload",
	"Request Download":    "Request download",
	"Download Block":      "Download block",
	"Download Ended":      "Download ended",
	"PLC Stop":            "PLC Stop",
	"Read SZL":            "Read SZL",
	"List Blocks":         "List blocks",
	"List Blocks of Type": "List blocks of type",
	"Get Block Info":      "Get block info",
	"Read Clock":          "Read clock",
	"Set Clock":           "Set clock",
	"Set Variable":        "SetVariable",
	"Get Multi Variables": "GetMultiVariables",
	"Set Multi Variables": "SetMultiVariables",
	"Create Object":       "CreateObject",
	"Delete Object":       "DeleteObject",
	"Explore":             "Explore",
	"Invoke":              "Invoke",
}

var peerCaptures = []string{"snap7", "s7ident", "s7comm_plus"}

// pair walks the peer rows and our records of one connection in order,
// skipping our documented extras, and calls cmp for each pair.
func pair(t *testing.T, capture, log string, rows []map[string]string, ours []rec, cmp func(t *testing.T, z map[string]string, r rec)) {
	t.Helper()
	i := 0
	for _, r := range ours {
		if d, ok := diffFor(capture, log, r.packet); ok && d.what == "extra" {
			continue
		}
		if i >= len(rows) {
			t.Errorf("packet %d: %s %q not in the peer log", r.packet, r.op, r.name)
			continue
		}
		cmp(t, rows[i], r)
		i++
	}
	if i != len(rows) {
		t.Errorf("%d peer rows, %d matched", len(rows), i)
	}
}

func TestPeerS7comm(t *testing.T) {
	for _, c := range peerCaptures {
		t.Run(c, func(t *testing.T) {
			recs := records(t, "testdata/"+c+".pcap")
			rows := zeekLog(t, "testdata/peer/"+c+"/s7comm.log")
			ours := byConn(recs, func(r rec) bool { return r.kind == KindS7 && !r.malformed })
			zeek := map[string][]map[string]string{}
			for _, z := range rows {
				zeek[z["id.orig_p"]] = append(zeek[z["id.orig_p"]], z)
			}
			if len(zeek) != len(ours) {
				t.Errorf("connections: peer %d, ours %d", len(zeek), len(ours))
			}
			for port, zr := range zeek {
				pi := map[string]string{} // PI service of each request, by peer PDU reference
				pair(t, c, "s7comm", zr, ours[port], func(t *testing.T, z map[string]string, r rec) {
					where := fmt.Sprintf("packet %d", r.packet)
					if (z["is_orig"] == "T") != r.fromClient {
						t.Errorf("%s: is_orig %s, fromClient %v", where, z["is_orig"], r.fromClient)
					}
					if z["rosctr_code"] != strconv.Itoa(int(r.rosctr)) {
						t.Errorf("%s: rosctr %s, ours %d", where, z["rosctr_code"], r.rosctr)
					}
					// The peer reads the PDU reference little-endian; the
					// header field is big-endian (as tshark reads it).
					if z["pdu_reference"] != strconv.Itoa(int(bits.ReverseBytes16(r.pduRef))) {
						t.Errorf("%s: pdu_reference %s, ours %d byte-swapped", where, z["pdu_reference"], r.pduRef)
					}
					wantName := zeekNames[z["function_name"]]
					if r.rosctr == rosctrUserdata {
						if z["function_code"] != fmt.Sprintf("0x%02x", r.userdataTyp<<4|r.group) {
							t.Errorf("%s: function_code %s, ours type %d group %d", where, z["function_code"], r.userdataTyp, r.group)
						}
						if z["subfunction_code"] != fmt.Sprintf("0x%02x", r.fn) {
							t.Errorf("%s: subfunction_code %s, ours %#x", where, z["subfunction_code"], r.fn)
						}
						wantName = zeekNames[z["subfunction_name"]]
					} else if z["function_code"] != fmt.Sprintf("0x%02x", r.fn) {
						t.Errorf("%s: function_code %s, ours %#x", where, z["function_code"], r.fn)
					}
					if z["function_name"] == "PLC Control" {
						if z["subfunction_code"] != "-" {
							pi[z["pdu_reference"]] = z["subfunction_code"]
						}
						wantName = "PI-Service " + pi[z["pdu_reference"]]
					}
					if r.name != wantName {
						t.Errorf("%s: name %q (peer %q), want %q", where, r.name, z["function_name"], wantName)
					}
					wantStatus := ""
					if code := z["error_code"]; code != "-" && code != "0x00" {
						n, err := strconv.ParseUint(code[2:], 16, 16)
						if err != nil {
							t.Fatal(err)
						}
						wantStatus = errorStatus(uint16(n))
					}
					if d, ok := diffFor(c, "s7comm", r.packet); ok && d.what == "status" {
						if r.status == wantStatus {
							t.Errorf("%s: documented status difference no longer differs", where)
						}
						return
					}
					if r.status != wantStatus {
						t.Errorf("%s: status %q, peer %s/%s, want %q", where, r.status, z["error_class"], z["error_code"], wantStatus)
					}
				})
			}
		})
	}
}

func TestPeerS7commPlus(t *testing.T) {
	recs := records(t, "testdata/s7comm_plus.pcap")
	rows := zeekLog(t, "testdata/peer/s7comm_plus/s7comm_plus.log")
	ours := byConn(recs, func(r rec) bool { return r.kind == KindS7Plus })
	if len(ours) != 1 || len(ours["49154"]) != len(rows) {
		t.Fatalf("ours %d connections, %d PDUs; peer %d rows", len(ours), len(ours["49154"]), len(rows))
	}
	pair(t, "s7comm_plus", "s7comm_plus", rows, ours["49154"], func(t *testing.T, z map[string]string, r rec) {
		where := fmt.Sprintf("packet %d", r.packet)
		if (z["is_orig"] == "T") != r.fromClient {
			t.Errorf("%s: is_orig %s", where, z["is_orig"])
		}
		if z["version"] != strconv.Itoa(r.detail["version"].(int)) || z["opcode"] != r.detail["opcode"] {
			t.Errorf("%s: version/opcode %s/%s, ours %v/%v", where, z["version"], z["opcode"], r.detail["version"], r.detail["opcode"])
		}
		if z["opcode_name"] != r.detail["opcode_name"] {
			t.Errorf("%s: opcode_name %s, ours %v", where, z["opcode_name"], r.detail["opcode_name"])
		}
		if z["function_code"] == "-" {
			if r.name != "Notification" || r.fn != 0 {
				t.Errorf("%s: notification, ours %q %#x", where, r.name, r.fn)
			}
			return
		}
		if z["function_code"] != fmt.Sprintf("0x%04x", r.fn) || zeekNames[z["function_name"]] != r.name {
			t.Errorf("%s: function %s %q, ours %#x %q", where, z["function_code"], z["function_name"], r.fn, r.name)
		}
		if r.request != (z["opcode_name"] == "Request") || r.status != "" {
			t.Errorf("%s: request %v status %q", where, r.request, r.status)
		}
	})
}

// TestPeerCOTP compares the peer's cotp.log: its connection-management rows
// with our COTP Messages; its DT rows, one per data TPDU, with our S7 and
// S7comm-plus Messages (no capture here segments at the COTP layer). DT
// TPDUs are deliberately not Messages of their own: the S7 PDUs in them are.
func TestPeerCOTP(t *testing.T) {
	for _, c := range peerCaptures {
		t.Run(c, func(t *testing.T) {
			recs := records(t, "testdata/"+c+".pcap")
			rows := zeekLog(t, "testdata/peer/"+c+"/cotp.log")
			cm := byConn(recs, func(r rec) bool { return r.kind == KindCOTP })
			data := byConn(recs, func(r rec) bool { return r.kind != KindCOTP })
			zdt := map[string]int{}
			zcm := map[string][]map[string]string{}
			for _, z := range rows {
				if z["pdu_code"] == "0x0f" {
					zdt[z["id.orig_p"]]++
				} else {
					zcm[z["id.orig_p"]] = append(zcm[z["id.orig_p"]], z)
				}
			}
			for port, n := range zdt {
				if n != len(data[port]) {
					t.Errorf("conn %s: peer %d DT, ours %d PDUs", port, n, len(data[port]))
				}
			}
			names := map[string]string{"CR Connection Request": "COTP Connection Request", "CC Connection Confirm": "COTP Connection Confirm"}
			for port, zr := range zcm {
				pair(t, c, "cotp", zr, cm[port], func(t *testing.T, z map[string]string, r rec) {
					if z["pdu_code"] != fmt.Sprintf("0x%02x", r.fn) || names[z["pdu_name"]] != r.name || (z["is_orig"] == "T") != r.fromClient {
						t.Errorf("packet %d: %v, ours %#x %q %v", r.packet, z, r.fn, r.name, r.fromClient)
					}
				})
			}
			if len(zcm) != len(cm) {
				t.Errorf("connections with CR/CC: peer %d, ours %d", len(zcm), len(cm))
			}
		})
	}
}

func TestPeerReadSZL(t *testing.T) {
	recs := records(t, "testdata/snap7.pcap")
	rows := zeekLog(t, "testdata/peer/snap7/s7comm_read_szl.log")
	var ours []rec
	for _, r := range recs {
		if r.kind == KindS7 && r.rosctr == rosctrUserdata && r.group == groupCPU && r.fn == 1 {
			ours = append(ours, r)
		}
	}
	pair(t, "snap7", "read_szl", rows, ours, func(t *testing.T, z map[string]string, r rec) {
		method := "Response"
		if r.request {
			method = "Request"
		}
		if z["method"] != method || z["szl_id"] != r.detail["szl_id"] || z["szl_index"] != r.detail["szl_index"] ||
			z["pdu_reference"] != strconv.Itoa(int(bits.ReverseBytes16(r.pduRef))) {
			t.Errorf("packet %d: peer %s %s %s ref %s; ours %s %v %v ref %d", r.packet, z["method"], z["szl_id"], z["szl_index"],
				z["pdu_reference"], method, r.detail["szl_id"], r.detail["szl_index"], r.pduRef)
		}
		if z["return_code"] != "0xff" || r.status != "" {
			t.Errorf("packet %d: peer return code %s, our status %q", r.packet, z["return_code"], r.status)
		}
	})
}

func TestPeerUploadDownload(t *testing.T) {
	recs := records(t, "testdata/snap7.pcap")
	rows := zeekLog(t, "testdata/peer/snap7/s7comm_upload_download.log")
	var ours []rec
	for _, r := range recs {
		if r.kind == KindS7 && r.rosctr != rosctrUserdata && r.fn >= fnRequestDownload && r.fn <= fnEndUpload {
			ours = append(ours, r)
		}
	}
	rosctr := map[string]uint8{"Job-Request": 1, "ACK-Data": 3}
	blockTypes := map[string]string{"System Data Block": "SDB", "Organization Block": "OB", "Data Block": "DB", "Function": "FC", "Function Block": "FB"}
	str := func(v any) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(v)
	}
	pair(t, "snap7", "upload_download", rows, ours, func(t *testing.T, z map[string]string, r rec) {
		where := fmt.Sprintf("packet %d", r.packet)
		if rosctr[z["rosctr"]] != r.rosctr || zeekNames[z["function_name"]] != r.name ||
			z["pdu_reference"] != strconv.Itoa(int(bits.ReverseBytes16(r.pduRef))) {
			t.Errorf("%s: %s %s ref %s; ours %d %q ref %d", where, z["rosctr"], z["function_name"], z["pdu_reference"], r.rosctr, r.name, r.pduRef)
		}
		// A PLC block file name is kept as sent under block_raw.
		file := r.detail["filename"]
		if raw, ok := r.detail["block_raw"]; ok {
			file = raw
		}
		if z["filename"] != str(file) {
			t.Errorf("%s: filename %s, ours %v", where, z["filename"], file)
		}
		if z["block_type"] != "-" {
			n, _ := strconv.Atoi(z["block_number"])
			if blockTypes[z["block_type"]] != r.detail["block_type"] || n != r.detail["block_number"] ||
				strings.ToLower(z["destination_filesystem"]) != r.detail["filesystem"] {
				t.Errorf("%s: block %s %s %s, ours %v", where, z["block_type"], z["block_number"], z["destination_filesystem"], r.detail)
			}
		}
		// The peer logs the id field of every job and of the Start upload
		// ack-data (0 in a Start upload job); we report the upload id
		// where it is one.
		if id := z["session_id"]; id != "-" && id != "0" && id != str(r.detail["upload_id"]) {
			t.Errorf("%s: session_id %s, ours %v", where, id, r.detail["upload_id"])
		}
		if bl := z["blocklength"]; bl != "-" {
			got := r.detail["block_length"]
			if r.fn == fnUpload {
				got = r.detail["chunk_length"]
			}
			if bl != str(got) {
				t.Errorf("%s: blocklength %s, ours %v", where, bl, got)
			}
		}
	})
}

// TestPeerKnownDevices compares the module identity from SZL 0x001C with
// the peer's s7comm_known_devices.log.
func TestPeerKnownDevices(t *testing.T) {
	rows := zeekLog(t, "testdata/peer/s7ident/s7comm_known_devices.log")
	var ids []map[string]any
	for _, r := range records(t, "testdata/s7ident.pcap") {
		if id, ok := r.detail["identity"].(map[string]any); ok && r.detail["szl_id"] == "0x001c" {
			ids = append(ids, id)
		}
	}
	if len(rows) != 1 || len(ids) != 1 {
		t.Fatalf("peer %d devices, ours %d component identities", len(rows), len(ids))
	}
	z, id := rows[0], ids[0]
	empty := func(s string) string {
		if s == "(empty)" {
			return ""
		}
		return s
	}
	str := func(v any) string { s, _ := v.(string); return s }
	for zk, ok := range map[string]string{"automation_system_name": "system_name", "module_name": "module_name", "plant_name": "plant", "module_serial": "serial"} {
		if empty(z[zk]) != str(id[ok]) {
			t.Errorf("%s %q, ours %s %q", zk, z[zk], ok, id[ok])
		}
	}
}
