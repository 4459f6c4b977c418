package iec104

import (
	"maps"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark: per direction, the APDUs of each format, the
// U-format functions and the ASDUs of each type identification that
// tshark dissects, against the Messages the analyzer emits, on every
// shared capture. Keys are "client I", "server U STARTDT con",
// "client C_SC_NA_1", …

// tsharkCounts were obtained with TShark 4.0.17:
//
//	tshark -r F -Y iec60870_104 -T fields -E occurrence=a -e tcp.srcport \
//	  -e iec60870_104.type -e iec60870_104.utype -e iec60870_asdu.typeid
//
// a frame sent from port 2404 being the server's.
var tsharkCounts = map[string]map[string]int{
	"iec104.pcap": {
		"client I": 16, "client S": 9, "client U STARTDT act": 1, "client U TESTFR act": 1, "client U TESTFR con": 3,
		"server I": 75, "server S": 5, "server U STARTDT con": 1, "server U TESTFR act": 3, "server U TESTFR con": 1,
		"client C_IC_NA_1": 2, "client C_SC_NA_1": 2, "client C_DC_NA_1": 2, "client C_RC_NA_1": 2,
		"client C_SE_NA_1": 2, "client C_SE_NB_1": 2, "client C_SE_NC_1": 2, "client C_BO_NA_1": 2,
		"server C_IC_NA_1": 4, "server C_SC_NA_1": 4, "server C_DC_NA_1": 4, "server C_RC_NA_1": 4,
		"server C_SE_NA_1": 4, "server C_SE_NB_1": 4, "server C_SE_NC_1": 4, "server C_BO_NA_1": 4,
		"server M_EI_NA_1": 1, "server M_SP_NA_1": 3, "server M_SP_TB_1": 3, "server M_DP_NA_1": 3,
		"server M_DP_TB_1": 3, "server M_ST_NA_1": 3, "server M_ST_TB_1": 3, "server M_BO_NA_1": 3,
		"server M_BO_TB_1": 3, "server M_ME_NA_1": 3, "server M_ME_NB_1": 3, "server M_ME_NC_1": 3,
		"server M_ME_TD_1": 3, "server M_ME_TE_1": 3, "server M_ME_TF_1": 3,
	},
	"TestDissectIec104.pcap": {
		"client I": 12, "client S": 7, "client U STARTDT act": 6, "client U TESTFR act": 7, "client U U unknown": 1,
		"client C_CS_NA_1": 1, "client C_DC_NA_1": 1, "client C_IC_NA_1": 1, "client C_SC_NA_1": 4,
		"client unknown-24": 2, "client unknown-26": 2,
		"server I": 12, "server S": 7, "server U STARTDT con": 6, "server U TESTFR con": 7,
		"server C_CS_NA_1": 1, "server C_DC_NA_1": 1, "server C_IC_NA_1": 2, "server C_SC_NA_1": 3,
		"server M_DP_NA_1": 1, "server M_EI_NA_1": 2, "server M_SP_NA_1": 1, "server M_SP_TB_1": 1,
	},
	"58_59.pcap": {
		"client I": 12, "client S": 7, "client C_DC_TA_1": 7, "client C_SC_NA_1": 1, "client C_SC_TA_1": 4,
		"server I": 22, "server S": 7, "server C_DC_TA_1": 10, "server C_SC_NA_1": 1, "server C_SC_TA_1": 6,
		"server M_DP_TB_1": 3, "server M_SP_TB_1": 2,
	},
	"104deneme2.pcap": {
		"client I": 11, "client S": 12, "client P_ME_NA_1": 3, "client P_ME_NB_1": 3, "client P_ME_NC_1": 5,
		"server I": 26, "server S": 4, "server P_ME_NA_1": 3, "server P_ME_NB_1": 3, "server P_ME_NC_1": 5,
		"server M_BO_NA_1": 6, "server M_ME_ND_1": 9,
	},
	"IEC104_SQ.pcapng": {"server I": 4, "server M_SP_NA_1": 4},
}

// tsharkDiffs are the explained differences: ours = tshark + diff.
var tsharkDiffs = map[string]map[string]int{
	"TestDissectIec104.pcap": {
		// Four client APDUs whose length byte (1, 2, 2, 3) leaves no room
		// for the control field: tshark flags them ("APDU less than 4
		// bytes") without dissecting an APDU; the analyzer emits each as a
		// malformed "short APDU" so that it counts as a decode error.
		"client short": 4,
	},
}

// countKeys returns the parity keys of one Message.
func countKeys(r record) []string {
	side := "server "
	if r.fromClient {
		side = "client "
	}
	switch r.format {
	case FormatI:
		if r.name != "I" {
			return []string{side + "I", side + r.name}
		}
		return []string{side + "I"}
	case FormatS:
		return []string{side + "S"}
	case FormatU:
		return []string{side + "U " + r.name}
	}
	return []string{side + "short"}
}

func ourCounts(t *testing.T, name string) map[string]int {
	recs, _, _ := replay(t, "testdata/"+name)
	c := map[string]int{}
	for _, r := range recs {
		for _, k := range countKeys(r) {
			c[k]++
		}
	}
	return c
}

func TestOracleCounts(t *testing.T) {
	for name, want := range tsharkCounts {
		t.Run(name, func(t *testing.T) {
			want = maps.Clone(want)
			for k, d := range tsharkDiffs[name] {
				want[k] += d
				if want[k] == 0 {
					delete(want, k)
				}
			}
			testutil.DiffCounts(t, name, ourCounts(t, name), want)
		})
	}
}

// tsharkCount runs tshark on a capture and counts what it dissects.
func tsharkCount(t *testing.T, bin, path string) map[string]int {
	out, err := exec.Command(bin, "-r", path, "-Y", "iec60870_104", "-T", "fields", "-E", "occurrence=a",
		"-e", "tcp.srcport", "-e", "iec60870_104.type", "-e", "iec60870_104.utype",
		"-e", "iec60870_asdu.typeid").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	got := map[string]int{}
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 4 {
			t.Fatalf("tshark line %q", line)
		}
		side := "client "
		if f[0] == "2404" {
			side = "server "
		}
		utypes := split(f[2])
		for _, s := range split(f[1]) {
			v, err := strconv.ParseUint(s, 0, 8)
			if err != nil {
				t.Fatalf("tshark line %q", line)
			}
			switch v {
			case 0, 2:
				got[side+"I"]++
			case 1:
				got[side+"S"]++
			case 3:
				if len(utypes) == 0 {
					t.Fatalf("tshark line %q: U format without function", line)
				}
				u, _ := strconv.ParseUint(utypes[0], 0, 8)
				utypes = utypes[1:]
				got[side+"U "+uName(uint8(u))]++
			}
		}
		for _, s := range split(f[3]) {
			id, err := strconv.Atoi(s)
			if err != nil || id < 0 || id > 255 {
				t.Fatalf("tshark line %q", line)
			}
			got[side+types[id].name]++
		}
	}
	return got
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// TestOracleTshark runs tshark itself and checks the hard-coded counts
// against it. Without tshark it skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for name, want := range tsharkCounts {
		t.Run(name, func(t *testing.T) {
			if got := tsharkCount(t, bin, "testdata/"+name); !reflect.DeepEqual(got, want) {
				testutil.DiffCounts(t, name+" (tshark vs hard-coded)", want, got)
			}
		})
	}
}

// TestOracleASDUs compares every ASDU's data unit identifier and object
// addresses with tshark's on the captures without stray bytes: per frame,
// in order, type, cause, P/N and test bits, object count, common address
// and information object addresses (the first 16 of each ASDU, as the
// detail keeps them).
func TestOracleASDUs(t *testing.T) {
	bin := testutil.Tshark(t)
	for _, name := range []string{"iec104.pcap", "58_59.pcap", "104deneme2.pcap", "IEC104_SQ.pcapng"} {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, "-r", "testdata/"+name, "-Y", "iec60870_asdu", "-T", "fields",
				"-E", "occurrence=a", "-e", "frame.number", "-e", "iec60870_asdu.typeid", "-e", "iec60870_asdu.causetx",
				"-e", "iec60870_asdu.nega", "-e", "iec60870_asdu.test", "-e", "iec60870_asdu.numix",
				"-e", "iec60870_asdu.addr", "-e", "iec60870_asdu.ioa").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			want := map[string][]string{}
			for line := range strings.Lines(string(out)) {
				f := strings.Split(strings.TrimRight(line, "\n"), "\t")
				if len(f) != 8 {
					t.Fatalf("tshark line %q", line)
				}
				typ, cause, neg, test, num, ca := split(f[1]), split(f[2]), split(f[3]), split(f[4]), split(f[5]), split(f[6])
				ioas := split(f[7])
				for i := range typ {
					n, _ := strconv.Atoi(num[i])
					k := min(n, maxObjects)
					want[f[0]] = append(want[f[0]], strings.Join([]string{typ[i], cause[i], neg[i], test[i], num[i], ca[i],
						strings.Join(ioas[:k], ",")}, " "))
					ioas = ioas[n:]
				}
			}
			recs, _, _ := replay(t, "testdata/"+name)
			got := map[string][]string{}
			b := func(v any) string {
				if v == true {
					return "1"
				}
				return "0"
			}
			for _, r := range recs {
				if r.format != FormatI || r.detail["type_id"] == nil {
					continue
				}
				d := r.detail
				var ioas []string
				for _, a := range d["ioa"].([]int) {
					ioas = append(ioas, strconv.Itoa(a))
				}
				k := strconv.FormatInt(r.packet, 10)
				got[k] = append(got[k], strings.Join([]string{strconv.Itoa(d["type_id"].(int)), strconv.Itoa(d["cot_code"].(int)),
					b(d["negative"]), b(d["test"]), strconv.Itoa(d["objects"].(int)), strconv.Itoa(d["common_address"].(int)),
					strings.Join(ioas, ",")}, " "))
			}
			if len(want) == 0 {
				t.Fatal("tshark dissected no ASDU")
			}
			if !reflect.DeepEqual(got, want) {
				for k, w := range want {
					if !reflect.DeepEqual(got[k], w) {
						t.Errorf("frame %s: ours %q, tshark %q", k, got[k], w)
					}
				}
				for k, g := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("frame %s: ours %q, tshark none", k, g)
					}
				}
			}
		})
	}
}
