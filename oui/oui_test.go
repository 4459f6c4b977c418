package oui

import (
	"encoding/json"
	"net"
	"testing"
)

// mac parses "00:1B:1B:00:00:01" for a test.
func mac(t testing.TB, s string) [6]byte {
	t.Helper()
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		t.Fatalf("bad test MAC %q: %v", s, err)
	}
	return [6]byte(hw)
}

// TestLookup checks known assignments of the embedded table field by field,
// and the edges of an MA-M and an MA-S block.
func TestLookup(t *testing.T) {
	siemens := Block{Prefix: "00-1B-1B", Bits: 24, Registry: MAL, Org: "Siemens AG,"}
	konecranes := Block{Prefix: "78-CA-83-E", Bits: 28, Registry: MAM, Org: "Konecranes"}
	norsat := Block{Prefix: "70-B3-D5-0A-E", Bits: 36, Registry: MAS, Org: "Norsat International Inc."}
	tests := []struct {
		name string
		mac  string
		want Block // zero: not found
	}{
		{"siemens", "00:1b:1b:12:34:56", siemens},
		{"siemens first", "00:1b:1b:00:00:00", siemens},
		{"siemens last", "00:1b:1b:ff:ff:ff", siemens},
		{"siemens 000E8C", "00:0e:8c:aa:bb:cc", Block{Prefix: "00-0E-8C", Bits: 24, Registry: MAL, Org: "Siemens AG"}},
		{"rockwell", "00:00:bc:01:02:03", Block{Prefix: "00-00-BC", Bits: 24, Registry: MAL, Org: "Rockwell Automation"}},
		{"telemecanique", "00:80:f4:10:20:30", Block{Prefix: "00-80-F4", Bits: 24, Registry: MAL, Org: "TELEMECANIQUE ELECTRIQUE"}},
		{"hikvision", "44:19:b6:00:00:01", Block{Prefix: "44-19-B6", Bits: 24, Registry: MAL, Org: "Hangzhou Hikvision Digital Technology Co.,Ltd."}},
		{"huawei", "00:e0:fc:11:22:33", Block{Prefix: "00-E0-FC", Bits: 24, Registry: MAL, Org: "HUAWEI TECHNOLOGIES CO.,LTD"}},
		{"quectel", "04:86:80:01:02:03", Block{Prefix: "04-86-80", Bits: 24, Registry: MAL, Org: "Quectel Wireless Solutions Co.,Ltd."}},
		{"iana", "00:00:5e:00:53:01", Block{Prefix: "00-00-5E", Bits: 24, Registry: MAL, Org: "ICANN, IANA Department"}},

		// MA-M 78-CA-83-E: the MA-L 78-CA-83 is the IEEE RA's.
		{"ma-m first", "78:ca:83:e0:00:00", konecranes},
		{"ma-m last", "78:ca:83:ef:ff:ff", konecranes},
		{"ma-m below: neighbour block", "78:ca:83:df:ff:ff", Block{Prefix: "78-CA-83-D", Bits: 28, Registry: MAM, Org: "Hubei Boyuan Zhijia Network Media Co. Ltd."}},
		{"ma-m above: unassigned, RA parent", "78:ca:83:f0:00:00", Block{}},
		{"nuctech ma-m", "c0:9b:f4:b1:23:45", Block{Prefix: "C0-9B-F4-B", Bits: 28, Registry: MAM, Org: "NUCTECH COMPANY LIMITED"}},

		// MA-S 70-B3-D5-0A-E.
		{"ma-s first", "70:b3:d5:0a:e0:00", norsat},
		{"ma-s last", "70:b3:d5:0a:ef:ff", norsat},
		{"ma-s above: neighbour block", "70:b3:d5:0a:f0:00", Block{Prefix: "70-B3-D5-0A-F", Bits: 36, Registry: MAS, Org: "KMtronic ltd"}},
		{"ma-s held by the RA itself", "70:b3:d5:9f:30:01", Block{}},
		{"iab", "40:d8:55:17:60:01", Block{Prefix: "40-D8-55-17-6", Bits: 36, Registry: IAB, Org: "Schneider Electric Motion, Inc. USA"}},
		{"iab held by the RA itself", "00:50:c2:f5:80:00", Block{}},
		{"iab below the RA one", "00:50:c2:f5:7f:ff", Block{Prefix: "00-50-C2-F5-7", Bits: 36, Registry: IAB, Org: "Reach Technologies Inc."}},
		{"ma-l of the RA with no sub-blocks", "fc:ff:aa:00:00:01", Block{}},

		// Normalised names.
		{"html entity decoded", "a4:09:cb:00:00:01", Block{Prefix: "A4-09-CB", Bits: 24, Registry: MAL, Org: "Alfred Kaercher GmbH & Co KG"}},
		{"non-breaking spaces collapsed", "00:50:c2:34:e0:01", Block{Prefix: "00-50-C2-34-E", Bits: 36, Registry: IAB, Org: "ABB Power Technologies S.p.A. Unità Operativa SACE (PTMV)"}},
		{"shared ma-l", "08:00:30:00:00:01", Block{Prefix: "08-00-30", Bits: 24, Registry: MAL, Org: "CERN | NETWORK RESEARCH CORPORATION | ROYAL MELBOURNE INST OF TECH"}},

		// Never attributed.
		{"multicast over siemens", "01:1b:1b:12:34:56", Block{}},
		{"local over siemens", "02:1b:1b:12:34:56", Block{}},
		{"broadcast", "ff:ff:ff:ff:ff:ff", Block{}},
		{"ipv4 multicast", "01:00:5e:00:00:fb", Block{}},
		{"randomized", "da:a1:19:00:00:01", Block{}},
		{"historic local ma-l (3COM)", "02:60:8c:00:00:01", Block{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Lookup(mac(t, tc.mac))
			if want := tc.want != (Block{}); ok != want {
				t.Fatalf("Lookup(%s) = %+v, %v; want found = %v", tc.mac, got, ok, want)
			}
			if got != tc.want {
				t.Errorf("Lookup(%s) =\n%+v\nwant\n%+v", tc.mac, got, tc.want)
			}
		})
	}
}

// TestLookupNeverLocal sets the I/G or U/L bit on addresses of known blocks:
// none may be attributed.
func TestLookupNeverLocal(t *testing.T) {
	for _, s := range []string{"00:1b:1b:12:34:56", "78:ca:83:e0:00:00", "70:b3:d5:0a:e0:00", "44:19:b6:00:00:01"} {
		m := mac(t, s)
		if _, ok := Lookup(m); !ok {
			t.Fatalf("Lookup(%s) not found; the test needs a known block", s)
		}
		for _, bits := range []byte{0x01, 0x02, 0x03} {
			x := m
			x[0] |= bits
			if b, ok := Lookup(x); ok {
				t.Errorf("Lookup(% x) = %+v: a %v address was attributed", x, b, Kind(x))
			}
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		mac  string
		want AddrKind
	}{
		{"00:1b:1b:12:34:56", Universal},
		{"00:00:00:00:00:00", Universal},
		{"ac:de:48:00:00:80", Universal},
		{"01:00:5e:00:00:fb", Multicast},  // IPv4 multicast
		{"33:33:00:00:00:01", Multicast},  // IPv6 multicast
		{"01:80:c2:00:00:0e", Multicast},  // LLDP
		{"ff:ff:ff:ff:ff:ff", Multicast},  // broadcast
		{"03:00:00:00:00:01", Multicast},  // local group address
		{"02:42:ac:11:00:02", Randomized}, // AAI (Docker)
		{"52:54:00:12:34:56", Randomized}, // AAI (QEMU)
		{"f2:00:00:00:00:01", Randomized}, // AAI
		{"06:00:00:00:00:01", Randomized}, // reserved quadrant
		{"b6:01:02:03:04:05", Randomized}, // reserved quadrant
		{"0a:00:00:00:00:01", Local},      // ELI
		{"da:a1:19:00:00:01", Local},      // ELI
		{"0e:00:00:00:00:01", Local},      // SAI
		{"fe:00:00:00:00:01", Local},      // SAI
	}
	for _, tc := range tests {
		t.Run(tc.mac, func(t *testing.T) {
			if got := Kind(mac(t, tc.mac)); got != tc.want {
				t.Errorf("Kind(%s) = %v, want %v", tc.mac, got, tc.want)
			}
		})
	}
	// Every first octet: the kind depends on its low nibble alone.
	byNibble := [16]AddrKind{
		Universal, Multicast, Randomized, Multicast, Universal, Multicast, Randomized, Multicast,
		Universal, Multicast, Local, Multicast, Universal, Multicast, Local, Multicast,
	}
	for b := range 256 {
		if got, want := Kind([6]byte{byte(b)}), byNibble[b&0x0f]; got != want {
			t.Errorf("Kind(%02x-…) = %v, want %v", b, got, want)
		}
	}
}

func TestStrings(t *testing.T) {
	for r, want := range map[Registry]string{0: "none", MAL: "MA-L", MAM: "MA-M", MAS: "MA-S", IAB: "IAB", 9: "registry?"} {
		if got := r.String(); got != want {
			t.Errorf("Registry(%d).String() = %q, want %q", r, got, want)
		}
		if r > IAB {
			continue
		}
		b, err := r.MarshalText()
		var back Registry
		if err != nil || string(b) != want || back.UnmarshalText(b) != nil || back != r {
			t.Errorf("Registry(%d) text round trip: %q, %v → %v", r, b, err, back)
		}
	}
	var r Registry
	if err := r.UnmarshalText([]byte("MA-X")); err == nil {
		t.Error(`UnmarshalText("MA-X") = nil error`)
	}
	for k, want := range map[AddrKind]string{0: "unknown", Universal: "universal", Local: "local", Multicast: "multicast", Randomized: "randomized", 9: "kind?"} {
		if got := k.String(); got != want {
			t.Errorf("AddrKind(%d).String() = %q, want %q", k, got, want)
		}
	}
	b, ok := Lookup(mac(t, "78:ca:83:e0:00:00"))
	j, err := json.Marshal(struct {
		Block
		Kind AddrKind
	}{b, Kind(mac(t, "78:ca:83:e0:00:00"))})
	if want := `{"Prefix":"78-CA-83-E","Bits":28,"Registry":"MA-M","Org":"Konecranes","Kind":"universal"}`; !ok || err != nil || string(j) != want {
		t.Errorf("JSON = %s, %v; want %s", j, err, want)
	}
}

// TestEmbedded pins the embedded table: version and counts of the ieee-data
// 20220827 lists. Counts are the CSV rows (oui.csv 32530, mam.csv 4390,
// oui36.csv 5029, iab.csv 4575) less the IEEE RA's own rows (288 MA-L, 1
// MA-S, 1 IAB), less the 20 MA-L rows with the I/G or U/L bit set, and less
// the duplicate MA-L rows merged (08-00-30 three times, 00-01-C8 twice).
// Refreshing the data updates these.
func TestEmbedded(t *testing.T) {
	tab, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if tab2, _ := Default(); tab2 != tab || tab == nil {
		t.Error("Default returned a second table")
	}
	if got := Version(); got != "2022-08-27" {
		t.Errorf("Version() = %q", got)
	}
	want := map[Registry]int{MAL: 32530 - 288 - 20 - 3, MAM: 4390, MAS: 5029 - 1, IAB: 4575 - 1}
	sum := 0
	for r, n := range want {
		if got := Count(r); got != n {
			t.Errorf("Count(%v) = %d, want %d", r, got, n)
		}
		sum += n
	}
	if Len() != sum {
		t.Errorf("Len() = %d, want %d", Len(), sum)
	}
	if Count(0) != 0 || Count(200) != 0 {
		t.Errorf("Count of non-registries = %d, %d", Count(0), Count(200))
	}
	if len(ieee) > 600<<10 {
		t.Errorf("embedded table is %d bytes; keep it well under 1 MB", len(ieee))
	}
}

func TestNilTable(t *testing.T) {
	var tab *Table
	if b, ok := tab.Lookup(mac(t, "00:1b:1b:00:00:01")); ok || b != (Block{}) {
		t.Errorf("nil Lookup = %+v, %v", b, ok)
	}
	if tab.Len() != 0 || tab.Count(MAL) != 0 || tab.Version() != "" {
		t.Error("nil table not empty")
	}
}

func TestLookupAllocs(t *testing.T) {
	macs := [][6]byte{
		mac(t, "00:1b:1b:12:34:56"), // MA-L
		mac(t, "78:ca:83:e0:00:00"), // MA-M
		mac(t, "70:b3:d5:0a:e0:00"), // MA-S
		mac(t, "fc:ff:aa:00:00:01"), // none
		mac(t, "02:42:ac:11:00:02"), // local
	}
	Lookup(macs[0]) // load the table
	var sink int
	allocs := testing.AllocsPerRun(1000, func() {
		for _, m := range macs {
			b, _ := Lookup(m)
			sink += len(b.Org) + int(Kind(m))
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup+Kind allocate %v times per run, want 0", allocs)
	}
	_ = sink
}

func BenchmarkLookup(b *testing.B) {
	for _, bc := range []struct{ name, mac string }{
		{"ma-l", "00:1b:1b:12:34:56"},
		{"ma-m", "78:ca:83:e0:00:00"},
		{"ma-s", "70:b3:d5:0a:e0:00"},
		{"miss", "fc:ff:aa:00:00:01"},
		{"local", "02:42:ac:11:00:02"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := mac(b, bc.mac)
			Lookup(m)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, ok := Lookup(m); ok {
					n++
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			_ = n
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseEmbedded(); err != nil {
			b.Fatal(err)
		}
	}
}
