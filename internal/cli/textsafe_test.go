package cli

import (
	"bytes"
	"encoding/csv"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/internal/textsafe"
)

// hostile are names a device, a vendor file or a peer may send: an ANSI
// escape sequence and a terminal bell, the C1 control sequence introducer
// (one character, U+009B) and the right-to-left override that shows
// "gpj.exe" as "exe.jpg".
var hostile = []struct{ raw, shown string }{
	{"fw\x1b[2J\x1b]0;owned\x07.bin", `fw\x1b[2J\x1b]0;owned\x07.bin`},
	{"cfg\u009b31mred.cfg", `cfg\u009b31mred.cfg`},
	{"photo\u202egpj.exe", `photo\u202egpj.exe`},
}

// writeCapture writes the packets b generates to path.
func writeCapture(t *testing.T, path string, gen func(b *synth.Builder)) {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	gen(b)
	if err := b.Stop(b.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertSafe fails when a line of out holds a character a terminal would
// act on (textsafe's escaped set) or invalid UTF-8.
func assertSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if !textsafe.Safe(line) {
			t.Errorf("%s line %d holds a raw control, bidi or invalid byte: %q", what, i+1, line)
		}
	}
}

// TestAnalyzeHostileNames: file names sent over FTP, a facility name from
// site.yaml and a capture's file name, all holding controls, reach the
// text report escaped and nowhere raw; the JSON report keeps them as data.
// The same names sent by TFTP are in the capture too: the TFTP probe
// refuses a request whose file name is not printable ASCII, so they reach
// no view (report's TestTextEscapes shows a TFTP name escaped).
func TestAnalyzeHostileNames(t *testing.T) {
	dir := t.TempDir()
	siteYAML, err := os.ReadFile(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	const facility = `name: "Terminal 3", port:`
	if !bytes.Contains(siteYAML, []byte(facility)) {
		t.Fatalf("example site lacks %q", facility)
	}
	siteYAML = bytes.Replace(siteYAML, []byte(facility), []byte(`name: "Terminal\e[31m 3\u202e\u0007", port:`), 1)
	siteYAML = bytes.Replace(siteYAML, []byte(`model: "STS 65t twin-lift"`), []byte(`model: "STS\u009b5m 65t"`), 1)
	sitePath := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(sitePath, siteYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	ews := synth.Host{Name: "ews", MAC: [6]byte{0x3c, 0x52, 0x82, 9, 0, 0x14}, IP: netip.MustParseAddr("10.10.9.20")}
	plc := synth.Host{Name: "plc", MAC: [6]byte{0x00, 0x1b, 0x1b, 1, 0, 5}, IP: netip.MustParseAddr("10.10.1.5")}
	pcap := filepath.Join(dir, "crane\x1b[2K\u202e.pcap")
	writeCapture(t, pcap, func(b *synth.Builder) {
		ex := []synth.Exchange{{FromServer: true, Data: synth.FTPReply(220, "FTP server ready.")},
			{Data: synth.FTPCommand("USER", "engineer")}, {FromServer: true, Data: synth.FTPReply(331, "Password required.")},
			{Data: synth.FTPCommand("PASS", "Crane2019!")}, {FromServer: true, Data: synth.FTPReply(230, "Logged in.")}}
		for _, h := range hostile {
			ex = append(ex, synth.Exchange{Data: synth.FTPCommand("STOR", h.raw)},
				synth.Exchange{FromServer: true, Data: synth.FTPReply(226, "Transfer complete.")})
		}
		b.TCPSession(ews, plc, 50021, 21, ex...)
		for i, h := range hostile {
			b.UDP(ews, plc, uint16(50069+i), 69, synth.Exchange{Data: synth.TFTPRequest(synth.TFTPWrite, h.raw, "octet")},
				synth.Exchange{FromServer: true, Data: synth.TFTPAck(0)})
		}
	})

	r := runCLI(t, nil, "analyze", "--site", sitePath, "--workers", "1", pcap)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	assertSafe(t, "text report", r.stdout)
	want := []string{
		"harborwatch analysis — Terminal\\x1b[31m 3\\u202e\\x07, Port of Example\n" +
			strings.Repeat("=", len([]rune("harborwatch analysis — Terminal\\x1b[31m 3\\u202e\\x07, Port of Example"))) + "\n",
		"capture  " + filepath.Join(dir, `crane\x1b[2K\u202e.pcap`) + ": ",
		"evidence " + filepath.Join(dir, `crane\x1b[2K\u202e.pcap`) + " ",
	}
	for _, h := range hostile {
		want = append(want, "file  upload "+h.shown+"\n")
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("text report lacks %q:\n%s", w, r.stdout)
		}
	}

	// The cranes view names each crane's model.
	c := runCLI(t, nil, "inventory", "cranes", "--site", sitePath)
	if c.code != ExitOK {
		t.Fatalf("cranes: exit %d\n%s", c.code, c.stderr)
	}
	assertSafe(t, "cranes text", c.stdout)
	if !strings.Contains(c.stdout, "Crane STS-01 — ZPMC STS\\u009b5m 65t\n") {
		t.Errorf("cranes text:\n%s", c.stdout)
	}

	// JSON keeps the names as data: encoding/json escapes the C0
	// controls (\u001b); the others are valid UTF-8 and travel as they are.
	j := runCLI(t, nil, "analyze", "--site", sitePath, "--workers", "1", "--format", "json", pcap)
	if j.code != ExitOK {
		t.Fatalf("json: exit %d\n%s", j.code, j.stderr)
	}
	for _, w := range []string{`"name": "Terminal\u001b[31m 3` + "\u202e" + `\u0007"`, `fw\u001b[2J\u001b]0;owned\u0007.bin`} {
		if !strings.Contains(j.stdout, w) {
			t.Errorf("json lacks %q", w)
		}
	}
	if strings.ContainsAny(j.stdout, "\x1b\x07") {
		t.Error("json holds a raw C0 control")
	}
}

// modbusIdentity is a Modbus Read Device Identification exchange (function
// 43, MEI 14, basic objects: vendor, product code, revision) in which the
// device says the given strings of itself.
func modbusIdentity(vendor, product, revision string) (req, resp []byte) {
	req = []byte{0, 1, 0, 0, 0, 5, 1, 0x2b, 0x0e, 0x01, 0x00}
	resp = []byte{0, 1, 0, 0, 0, 0, 1, 0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x03}
	for i, v := range []string{vendor, product, revision} {
		resp = append(resp, byte(i), byte(len(v)))
		resp = append(resp, v...)
	}
	resp[5] = byte(len(resp) - 6)
	return req, resp
}

// TestInventoryHostileIdentity: what PLCs say of themselves over Modbus
// device identification (controls, a formula) lands in the inventory's CSV
// escaped and neutralized, and in its text table escaped.
func TestInventoryHostileIdentity(t *testing.T) {
	const formula = "=cmd|' /C calc'!A0"
	pcap := filepath.Join(t.TempDir(), "identity.pcap")
	scada := synth.Host{Name: "scada", MAC: [6]byte{0x3c, 0x52, 0x82, 1, 0, 1}, IP: netip.MustParseAddr("10.0.0.10")}
	plcs := []struct {
		host                      synth.Host
		vendor, product, revision string
		cells                     []string // vendor, model or identity cells as the CSV shows them
	}{
		{synth.Host{Name: "plc1", MAC: [6]byte{0x02, 0, 0, 0, 0, 0x21}, IP: netip.MustParseAddr("10.0.0.21")},
			formula, "-1+2", "@SUM(1)", []string{"'" + formula}},
		{synth.Host{Name: "plc2", MAC: [6]byte{0x02, 0, 0, 0, 0, 0x22}, IP: netip.MustParseAddr("10.0.0.22")},
			"Evil\x1b]0;owned\x07Corp", "M\u009b2J340", "v1\u202e2", []string{`Evil\x1b]0;owned\x07Corp`}},
	}
	writeCapture(t, pcap, func(b *synth.Builder) {
		for i, p := range plcs {
			req, resp := modbusIdentity(p.vendor, p.product, p.revision)
			b.TCPSession(scada, p.host, uint16(50200+i), 502, synth.Exchange{Data: req}, synth.Exchange{FromServer: true, Data: resp})
		}
	})

	r := runCLI(t, nil, "inventory", "--format", "csv", "--workers", "1", pcap)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	assertSafe(t, "csv", r.stdout)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for _, row := range rows[1:] {
		for i, cell := range row {
			if textsafe.Formula(cell) {
				t.Errorf("column %s starts a formula: %q", rows[0][i], cell)
			}
		}
	}
	for _, p := range plcs {
		var row []string
		for _, x := range rows[1:] {
			if x[col["ip"]] == p.host.IP.String() {
				row = x
			}
		}
		if row == nil {
			t.Errorf("no row for %s:\n%s", p.host.IP, r.stdout)
			continue
		}
		if row[col["vendor"]] != p.cells[0] || row[col["vendor_source"]] != "identity" {
			t.Errorf("%s: vendor %q (%s), want %q", p.host.IP, row[col["vendor"]], row[col["vendor_source"]], p.cells[0])
		}
	}

	txt := runCLI(t, nil, "inventory", "--workers", "1", pcap)
	if txt.code != ExitOK {
		t.Fatalf("text: exit %d\n%s", txt.code, txt.stderr)
	}
	assertSafe(t, "inventory text", txt.stdout)
	if !strings.Contains(txt.stdout, `Evil\x1b]0;owned\x07Corp (identity)`) || !strings.Contains(txt.stdout, formula+" (identity)") {
		t.Errorf("inventory text:\n%s", txt.stdout)
	}
}
