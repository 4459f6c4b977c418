package vuln

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	loadOnce sync.Once
	shared   []*Advisory
	loadErr  error
)

// advisories loads the 32 advisories of testdata once.
func advisories(t testing.TB) []*Advisory {
	t.Helper()
	loadOnce.Do(func() { shared, loadErr = Load("testdata/advisories") })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return shared
}

func dev(id, vendor, model, order, fw, src string) Device {
	d := Device{Asset: id, Vendors: []string{vendor}}
	if model != "" {
		d.Models = []string{model}
	}
	if order != "" {
		d.OrderNumbers = []string{order}
	}
	if fw != "" {
		d.Firmware = []Firmware{{Version: fw, Source: src}}
	}
	return d
}

// hw gives a device a hardware version.
func hw(d Device, v string) Device {
	d.Hardware = []string{v}
	return d
}

// matchTable is the inventory of matching and near-miss devices and the
// advisories that must match each, exactly; derived by reading the
// advisories (see the comments).
var matchTable = []struct {
	d    Device
	want []string // advisory ids; "~" prefix: possibly affected
}{
	// S7-1500 CPU 1515-2 PN, order number 6ES7515-2AN03-0AB0: <V3.1.4 in 24-284-01.
	{dev("s7-1500-v312", "Siemens", "CPU 1515-2 PN", "6ES7 515-2AN03-0AB0", "V3.1.2", "wire"), []string{"ICSA-24-284-01"}},
	// The same CPU on V3.1.4, the fixed version: nothing.
	{dev("s7-1500-v314", "Siemens", "CPU 1515-2 PN", "6ES7 515-2AN03-0AB0", "V3.1.4", "wire"), nil},
	// 6ES7515-2AM02-0AB0 is vers:all/* in 24-284-01; V2.6 is in ">= V2.5 and < V2.8" of 20-042-11 (S7-1500 family).
	{dev("s7-1500-v26", "Siemens", "CPU 1515-2 PN", "6ES7515-2AM02-0AB0", "V2.6", "declared"), []string{"ICSA-20-042-11", "ICSA-24-284-01"}},
	// S7-1200 on V4.5.0: 21-222-09 names that one version; 24-284-01 all versions of 6ES7214-1AG40-0XB0.
	{dev("s7-1200-v450", "Siemens", "CPU 1214C DC/DC/DC", "6ES7 214-1AG40-0XB0", "V4.5.0", "wire"), []string{"ICSA-21-222-09", "ICSA-24-284-01"}},
	{dev("s7-1200-v451", "Siemens", "CPU 1214C DC/DC/DC", "6ES7 214-1AG40-0XB0", "V4.5.1", "wire"), []string{"ICSA-24-284-01"}},
	// S7-300: All versions < V3.X.16 (X any minor).
	{dev("s7-300-v3215", "Siemens", "CPU 315-2 PN/DP", "6ES7 315-2EH14-0AB0", "V3.2.15", "wire"), []string{"ICSA-19-043-04"}},
	{dev("s7-300-v3316", "Siemens", "CPU 315-2 PN/DP", "6ES7 315-2EH14-0AB0", "V3.3.16", "wire"), nil},
	// S7-400 CPU 412-2 PN/DP: vers:all/<V7.0.3 in 22-104-12; 18-137-03 is about S7-400 CPUs of hardware version 4.0 and
	// below (all firmware) and 5.0 (firmware < V5.2): with the hardware version unknown, possibly affected.
	{dev("s7-400-v702", "Siemens", "CPU 412-2 PN/DP", "6ES7 412-2EK07-0AB0", "V7.0.2", "wire"), []string{"~ICSA-18-137-03", "ICSA-22-104-12"}},
	{dev("s7-400-v703", "Siemens", "CPU 412-2 PN/DP", "6ES7 412-2EK07-0AB0", "V7.0.3", "wire"), []string{"~ICSA-18-137-03"}},
	// The hardware version said on the wire (SZL): 4.0 is affected whatever the firmware; 5.0 below V5.2 only; 7.0 not.
	{hw(dev("s7-400-hw4", "Siemens", "CPU 414-3 PN/DP", "6ES7 414-3EM05-0AB0", "V5.1", "wire"), "4.0"), []string{"ICSA-18-137-03"}},
	{hw(dev("s7-400-hw5-v51", "Siemens", "CPU 414-3 PN/DP", "6ES7 414-3EM05-0AB0", "V5.1", "wire"), "5.0"), []string{"ICSA-18-137-03"}},
	{hw(dev("s7-400-hw5-v52", "Siemens", "CPU 414-3 PN/DP", "6ES7 414-3EM05-0AB0", "V5.2", "wire"), "5.0"), nil},
	{hw(dev("s7-400-hw7", "Siemens", "CPU 412-2 PN/DP", "6ES7 412-2EK07-0AB0", "V7.0.3", "wire"), "7.0"), nil},
	// 20-287-01 names the product "NPort" and the line in its title (NPort IAW5000A-I/O Series): an NPort 5150 is
	// another product; an IAW5250A-I/O on 2.0 is affected (<= 2.1), on 2.2 not.
	{dev("nport-5150", "Moxa", "NPort 5150", "", "2.0", "declared"), nil},
	{dev("nport-iaw5250a", "Moxa", "NPort IAW5250A-I/O", "", "2.0", "declared"), []string{"ICSA-20-287-01"}},
	{dev("nport-iaw5250a-22", "Moxa", "NPort IAW5250A-I/O", "", "2.2", "declared"), nil},
	// 20-091-01's second product is a list of Hirschmann lines (RSP RSPE … GRS OS RED) on HiOS <= 07.0.02: an RSP35 on
	// 07.0.01 is affected; a GRS1040 on 07.0.03 is not; a MACH104 is no line of the list.
	{dev("hirschmann-rsp35", "Hirschmann", "RSP35", "", "07.0.01", "declared"), []string{"ICSA-20-091-01"}},
	{dev("hirschmann-grs1040", "Belden", "GRS1040", "", "07.0.03", "declared"), nil},
	{dev("hirschmann-mach104", "Hirschmann", "MACH104", "", "07.0.01", "declared"), nil},
	// Same vendor, other product: an ET 200SP interface module.
	{dev("et200sp-im", "Siemens", "IM 155-6 PN ST", "6ES7 155-6AU01-0BN0", "V4.2.1", "wire"), nil},
	// SCALANCE XB205-3 (SC, PN): all versions in 24-074-08.
	{dev("scalance-xb205", "Siemens AG", "SCALANCE XB205-3", "6GK5205-3BB00-2AB2", "V4.5", "declared"), []string{"ICSA-24-074-08"}},
	// SINEMA Remote Connect Server: < V3.0 SP2, <V3.2 / <V3.1, <V3.2_HF1.
	{dev("sinema-v30sp1", "Siemens", "SINEMA Remote Connect Server", "", "V3.0 SP1", "declared"), []string{"ICSA-22-167-07", "ICSA-24-074-03", "ICSA-24-193-09"}},
	{dev("sinema-v32", "Siemens", "SINEMA Remote Connect Server", "", "V3.2", "declared"), []string{"ICSA-24-193-09"}},
	{dev("sinema-v32hf1", "Siemens", "SINEMA Remote Connect Server", "", "V3.2 HF1", "declared"), nil},
	// 1756-EN2T on 5.008 (CIP revision 5.8): <= 5.008 (Series A–C) in 23-193-01; vers:all/* (Series A–C) in 18-310-02.
	{dev("en2t-5008", "Rockwell Automation/Allen-Bradley", "1756-EN2T/B", "", "5.8", "wire"), []string{"ICSA-18-310-02", "ICSA-23-193-01"}},
	// 1756-EN2T Series D on 11.004: above <= 11.003 and <= 10.10.
	{dev("en2t-d-11004", "Rockwell Automation", "1756-EN2T Series D", "", "11.004", "declared"), nil},
	// 1756-EN2TR Series C on 11.002: <= 11.003 in 23-193-01, not <= 10.10 in 18-310-02.
	{dev("en2tr-c-11002", "Rockwell Automation", "1756-EN2TR Series C", "", "11.002", "declared"), []string{"ICSA-23-193-01"}},
	// 1756-EN4TR on 5.002: above <= 5.001.
	{dev("en4tr-5002", "Rockwell Automation", "1756-EN4TR", "", "5.002", "wire"), nil},
	// ControlLogix 5570 on 20.011: the exact version Firmware__20.011 of 24-030-05.
	{dev("l7-20011", "Rockwell Automation", "ControlLogix 5570", "", "20.11", "wire"), []string{"ICSA-24-030-05"}},
	{dev("l7-20012", "Rockwell Automation", "ControlLogix 5570", "", "20.012", "wire"), nil},
	// ControlLogix 5580 on 35.011: below 35.013 on the v35 train (<v36.011_v35.013_v34.014).
	{dev("l8-35011", "Rockwell Automation", "1756-L83E ControlLogix 5580", "", "35.011", "wire"), []string{"ICSA-24-226-09"}},
	{dev("l8-35013", "Rockwell Automation", "1756-L83E ControlLogix 5580", "", "35.013", "wire"), nil},
	// PowerFlex 525 on 5.001 (<= 5.001); a PowerFlex 755 is another product.
	{dev("pf525", "Rockwell Automation", "PowerFlex 525", "", "5.001", "wire"), []string{"ICSA-19-087-01"}},
	{dev("pf755", "Rockwell Automation", "PowerFlex 755", "", "5.001", "wire"), nil},
	// Modicon M340 CPU BMX P34 2020: all versions in 21-005-01 (BMX P34x), 21-194-02 and 23-227-01 (BMXP34*).
	{dev("m340", "Schneider Electric", "BMX P34 2020", "", "3.20", "wire"), []string{"ICSA-21-005-01", "ICSA-21-194-02", "ICSA-23-227-01"}},
	// Moxa EDS-G516E on 5.2: <= 6.0 (19-353-01) and <= 5.2 (20-056-04); on 6.1 nothing.
	{dev("eds-g516e-52", "Moxa Inc.", "EDS-G516E-4GSFP", "", "5.2", "declared"), []string{"ICSA-19-353-01", "ICSA-20-056-04"}},
	{dev("eds-g516e-61", "MOXA", "EDS-G516E-4GSFP", "", "6.1", "declared"), nil},
	// MGate MB3180 on 2.2 (<= 2.2); MB3280 on 4.2 is above <= 4.1.
	{dev("mb3180", "Moxa", "MGate MB3180", "", "2.2", "declared"), []string{"ICSA-21-357-01"}},
	{dev("mb3280", "Moxa", "MGate MB3280", "", "4.2", "declared"), nil},
	// Hikvision DS-2CD2142FWD-I: DS-2CD2xx2FWD Series, >= 5.3.1 build 150410 | <= 5.4.4 Build 161125.
	{dev("hik-540", "Hangzhou Hikvision Digital Technology Co.,Ltd.", "DS-2CD2142FWD-I", "", "V5.4.0 build 160530", "declared"), []string{"ICSA-17-124-01"}},
	{dev("hik-545", "Hikvision", "DS-2CD2142FWD-I", "", "V5.4.5 build 170123", "declared"), nil},
	// Dahua IPC-HDBW2431R-ZS: Dahua IPC-HDBW2XXX < 2.820.0000000.48.R.220614 (22-193-01).
	{dev("dahua-ipc", "Zhejiang Dahua Technology Co., Ltd.", "IPC-HDBW2431R-ZS", "", "2.800.0000000.16.R.210101", "declared"), []string{"ICSA-22-193-01"}},
	{dev("dahua-ipc-fixed", "Dahua", "IPC-HDBW2431R-ZS", "", "2.820.0000000.48.R.220614", "declared"), nil},
	// A model in the version slot of 17-124-02 (DH-IPC-HDW2XXX,): possibly affected, unparsed.
	{dev("dahua-dh", "Dahua", "DH-IPC-HDW2231T", "", "2.600", "declared"), []string{"~ICSA-17-124-02"}},
	// Hirschmann EAGLE20 on exactly 03.2.00; 03.2.01 is not listed.
	{dev("eagle20", "Hirschmann Automation and Control GmbH", "EAGLE20", "", "03.2.00", "declared"), []string{"ICSA-20-091-01"}},
	{dev("eagle20-new", "Hirschmann Automation and Control GmbH", "EAGLE20", "", "03.2.01", "declared"), nil},
	// Sierra Wireless RV50 on 4.15.0 (< 4.16.0); on 4.16.0 nothing.
	{dev("rv50", "Sierra Wireless", "AirLink RV50", "", "4.15.0", "declared"), []string{"ICSA-23-026-04"}},
	{dev("rv50-new", "Sierra Wireless", "AirLink RV50", "", "4.16.0", "declared"), nil},
	// N-Tron 702-W: all versions.
	{dev("ntron", "Red Lion Controls", "N-Tron 702-W", "", "", ""), []string{"ICSA-20-240-01"}},
	// Mobotix M16 (Mx6) with firmware MX-V5.1.0.99-r3 installed: known_affected
	// through the relationship; with MX-V5.2.6.7 or MX-V5.4.9.4-r3: fixed.
	{dev("mobotix-m16", "MOBOTIX AG", "M16", "", "MX-V5.1.0.99-r3", "wire"), []string{"ICSA-24-235-03"}},
	{dev("mobotix-m16-5267", "MOBOTIX AG", "M16", "", "MX-V5.2.6.7", "wire"), nil},
	{dev("mobotix-m16-fixed", "MOBOTIX AG", "M16", "", "MX-V5.4.9.4-r3", "wire"), nil},
}

func TestMatchTable(t *testing.T) {
	advs := advisories(t)
	n := 0
	for _, row := range matchTable {
		got := []string{}
		for _, r := range Match([]Device{row.d}, advs) {
			id := r.Advisory
			if r.Status == PossiblyAffected {
				id = "~" + id
			}
			got = append(got, id)
			t.Logf("%s: %s %s: %s", row.d.Asset, r.Advisory, r.Status, r.Rule)
		}
		slices.Sort(got)
		want := slices.Clone(row.want)
		if want == nil {
			want = []string{}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: matched %v, want %v", row.d.Asset, got, want)
		}
		n += len(got)
	}
	t.Logf("%d devices, %d matches", len(matchTable), n)
	if len(matchTable) < 15 {
		t.Errorf("table of %d rows", len(matchTable))
	}
	_ = strings.TrimSpace
}
