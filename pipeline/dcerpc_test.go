package pipeline

import (
	"context"
	"os"
	"slices"
	"testing"

	"harborwatch/capture"
	"harborwatch/site"
)

// dcomSite places the two hosts of the OPC Classic captures in different
// zones with no conduit between them.
const dcomSite = `version: 1
zones:
  - {id: hmi, kind: crane-management, cidrs: ["fe80::b53f:8ce5:4071:376d/128"]}
  - {id: panel, kind: crane-control, cidrs: ["fe80::4159:f7b2:b9ed:9689/128"]}
`

// crossZone runs the capture name of ics/dcerpc's test data against
// dcomSite and returns its cross-zone findings as "src>dst app".
func crossZone(t *testing.T, name string) []string {
	t.Helper()
	st, err := site.Parse("dcom.yaml", []byte(dcomSite))
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open("../ics/dcerpc/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	src, err := capture.NewReader(fh, name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		if f.Rule == "segmentation.cross-zone" {
			got = append(got, f.Src.IP.String()+">"+f.Dst.IP.String()+" "+f.App)
		}
	}
	return got
}

// TestDCOMCrossZone: an HMI-to-panel DCOM conversation between zones
// with no conduit is one cross-zone finding per direction and
// application, not one per dynamic port (before DCE-RPC was identified:
// 5, 4 and 3 findings, tcp/135 and each dynamic port apart).
func TestDCOMCrossZone(t *testing.T) {
	const (
		hmi   = "fe80::b53f:8ce5:4071:376d"
		panel = "fe80::4159:f7b2:b9ed:9689"
	)
	want := []string{panel + ">" + hmi + " dcerpc", hmi + ">" + panel + " dcerpc"}
	for _, name := range []string{"opcae_1.pcap", "opcda_1.pcap", "opc_read_write.pcap"} {
		got := crossZone(t, name)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: cross-zone findings %q, want %q", name, got, want)
		}
	}
}
