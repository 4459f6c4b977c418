package incident

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/analysis"
	"harborwatch/capture"
	"harborwatch/finding"
	"harborwatch/internal/synth"
	"harborwatch/signing"
	"harborwatch/site"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
)

var ctx = context.Background()

// demo is the demo terminal with the PLC stop, the LOGINK lookups and the
// firmware pushed by TFTP, analyzed into a fresh SQLite store as site
// "demo" (with its events), the capture kept on disk as serve keeps it.
func demo(t *testing.T, scenarios ...string) store.Store {
	t.Helper()
	if len(scenarios) == 0 {
		scenarios = []string{"firmware-over-tftp", "logink-lookup", "plc-stop"}
	}
	opts := synth.TerminalOptions{Scenarios: scenarios}
	dir := t.TempDir()
	yaml, err := synth.TerminalSiteYAML(opts)
	if err != nil {
		t.Fatal(err)
	}
	m, err := site.Parse("site.yaml", yaml)
	if err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join(dir, "demo.pcap")
	fh, err := os.Create(pcap)
	if err != nil {
		t.Fatal(err)
	}
	w, err := capture.NewPcapWriter(fh, capture.LinkEthernet, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Terminal(w, opts); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	b, _ := os.ReadFile(pcap)
	sum := sha256.Sum256(b)
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "hw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutSite(ctx, store.Site{ID: "demo", YAML: string(yaml), Model: "{}", Updated: time.Now(), By: "test"}); err != nil {
		t.Fatal(err)
	}
	res, err := analysis.Run(ctx, analysis.Options{Files: []string{pcap}, Site: m, Workers: 1, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.AddCapture(ctx, store.Capture{Site: "demo", Name: "demo.pcap", Path: pcap, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b)), By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.ClaimCapture(ctx); err != nil || !ok {
		t.Fatal("claim", err)
	}
	var evs = res.Pipeline.Events
	for i := range evs {
		evs[i].Capture = c.ID
	}
	if err := st.AddEvents(ctx, "demo", c.ID, evs); err != nil {
		t.Fatal(err)
	}
	fs := res.Document.Findings
	for i := range fs {
		for j := range fs[i].Evidence {
			fs[i].Evidence[j].Capture = c.ID
		}
	}
	if _, err := st.FinishRun(ctx, store.Run{Capture: c.ID, Site: "demo", At: time.Now(), Findings: fs}); err != nil {
		t.Fatal(err)
	}
	return st
}

func findingOf(t *testing.T, st store.Store, rule string) []store.Finding {
	t.Helper()
	fs, _, err := st.Findings(ctx, store.FindingQuery{Site: "demo", Rule: rule, Limit: 100})
	if err != nil || len(fs) == 0 {
		t.Fatalf("no %s finding: %v", rule, err)
	}
	return fs
}

var now = time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)

// TestPLCStopIncident opens an incident from the demo's PLC stop and
// checks the draft: every field present, filled or marked for a person;
// the guidance, clock, affected crane and timeline.
func TestPLCStopIncident(t *testing.T) {
	st := demo(t)
	stop := findingOf(t, st, finding.RuleICSPLCStop)[0]
	in, err := Open(ctx, st, "demo", []string{stop.ID}, "", "user:cyso", now)
	if err != nil {
		t.Fatal(err)
	}
	if !in.Detected.Equal(stop.FirstSeen.Truncate(time.Microsecond)) || in.Title != stop.Title || in.Status != store.IncidentOpen {
		t.Fatalf("opened %+v", in)
	}
	r, notes, err := Load(ctx, st, in.ID, now)
	if err != nil || len(notes) != 0 {
		t.Fatal(err, notes)
	}
	if len(r.Fields) != 22 {
		t.Fatalf("%d fields, want the 22 of the merged list", len(r.Fields))
	}
	for i, f := range r.Fields {
		if f.N != i+1 || f.Label == "" || len(f.WantedBy) == 0 {
			t.Errorf("field %d: %+v", i+1, f)
		}
		if f.Value == "" && f.By != ByPerson {
			t.Errorf("field %d (%s) is empty but not marked for a person", f.N, f.Key)
		}
	}
	byKey := map[string]Field{}
	for _, f := range r.Fields {
		byKey[f.Key] = f
	}
	for key, want := range map[string]string{
		"times":     "detected " + stop.FirstSeen.UTC().Format(time.RFC3339),
		"technical": "10.10.9.20",
		"location":  "L6 critical systems",
		"cia":       "availability: potentially compromised",
		"scope":     "cranes STS-01",
		"regime":    "6.16-1",
	} {
		if !strings.Contains(byKey[key].Value, want) {
			t.Errorf("%s = %q, want it to hold %q", key, byKey[key].Value, want)
		}
	}
	for _, key := range []string{"reporter", "functional_impact", "notifications", "actor"} {
		if byKey[key].By != ByPerson || !slices.ContainsFunc(r.Missing, func(m string) bool { return strings.Contains(m, byKey[key].Label) }) {
			t.Errorf("%s: by %s, not in Missing", key, byKey[key].By)
		}
	}
	if r.Assessment.Level != "likely" || !slices.Contains(r.Assessment.Criteria, 1) {
		t.Errorf("assessment %+v", r.Assessment)
	}
	if r.Clock.Elapsed <= 0 || !strings.Contains(r.Clock.Rule, "without delay") {
		t.Errorf("clock %+v", r.Clock)
	}
	if !slices.Contains(r.Affected.Cranes, "STS-01") || !slices.Contains(r.Affected.Assets, "sts01-plc1") {
		t.Errorf("affected %+v", r.Affected)
	}
	stopEvent := slices.ContainsFunc(r.Timeline, func(e Entry) bool { return strings.Contains(e.What, "plc-stop") && strings.Contains(e.Ref, ":") })
	if !stopEvent {
		t.Errorf("the timeline lacks the stop event: %+v", r.Timeline)
	}
	if len(r.Contacts) < 4 || r.Contacts[0].Phone != "1-800-424-8802" {
		t.Errorf("contacts %+v", r.Contacts)
	}

	// A person fills fields; the draft takes them.
	in.Fields = map[string]string{"reporter": "J. Officer, CySO, +1 555 0100", "notifications": "NRC 2026-11-03 09:40, report 1234567"}
	if _, err := st.UpdateIncident(ctx, in); err != nil {
		t.Fatal(err)
	}
	r2, _, _ := Load(ctx, st, in.ID, now)
	if len(r2.Missing) != len(r.Missing)-2 {
		t.Errorf("missing %d after filling two, was %d", len(r2.Missing), len(r.Missing))
	}

	// The renderings hold every field.
	var txt, html bytes.Buffer
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if strings.Count(txt.String(), "[TO BE ADDED BY A PERSON]") != len(r.Missing)-strings.Count(txt.String(), "[suggested: confirm]") {
		t.Errorf("text marks do not add up to Missing (%d)", len(r.Missing))
	}
	if !strings.Contains(html.String(), "SENSITIVE SECURITY INFORMATION") || strings.Count(html.String(), "<tr class=") != 22 {
		t.Errorf("html: %d field rows", strings.Count(html.String(), "<tr class="))
	}
}

// TestBundle writes the PLC stop incident's signed bundle and verifies
// it; a changed file, another key, an added file and a changed manifest
// each fail.
func TestBundle(t *testing.T) {
	st := demo(t)
	stop := findingOf(t, st, finding.RuleICSPLCStop)[0]
	in, err := Open(ctx, st, "demo", []string{stop.ID}, "PLC stop on STS-01", "user:cyso", now)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := Load(ctx, st, in.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := signing.Generate()
	var b bytes.Buffer
	m, notes, err := WriteBundleOf(ctx, st, r, priv, now, &b)
	if err != nil || len(notes) != 0 {
		t.Fatal(err, notes)
	}
	names := map[string]int64{}
	for _, f := range m.Files {
		names[f.Name] = f.Size
	}
	for _, want := range []string{"report.json", "report.html", "findings.json", "events.json", "indicators.stix.json", "pcaps/" + stop.ID + "-" + stop.Evidence[0].Capture + ".pcap"} {
		if names[want] == 0 {
			t.Errorf("bundle lacks %s (has %v)", want, names)
		}
	}
	got, err := VerifyBytes(b.Bytes(), pub)
	if err != nil {
		t.Fatal(err)
	}
	if got.Incident != in.ID || got.KeyID != signing.KeyID(pub) || len(got.Files) != len(m.Files) {
		t.Errorf("verified manifest %+v", got)
	}
	// The pcap holds the evidence packets: a pcap header and records.
	zr, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "pcaps/") {
			rc, _ := f.Open()
			var head [4]byte
			rc.Read(head[:])
			rc.Close()
			if hex.EncodeToString(head[:]) != "d4c3b2a1" && hex.EncodeToString(head[:]) != "4d3cb2a1" {
				t.Errorf("%s starts %x, not a pcap", f.Name, head)
			}
		}
	}

	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := VerifyBytes(b.Bytes(), other); err == nil {
		t.Error("verifies with another key")
	}
	rezip := func(change func(name string, data []byte) (string, []byte)) []byte {
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr.File {
			rc, _ := f.Open()
			var d bytes.Buffer
			d.ReadFrom(rc)
			rc.Close()
			name, data := change(f.Name, d.Bytes())
			if name == "" {
				continue
			}
			w, _ := zw.Create(name)
			w.Write(data)
		}
		zw.Close()
		return out.Bytes()
	}
	cases := map[string][]byte{
		"changed report": rezip(func(n string, d []byte) (string, []byte) {
			if n == "report.json" {
				return n, bytes.Replace(d, []byte("likely"), []byte("unlikely"), 1)
			}
			return n, d
		}),
		"changed manifest": rezip(func(n string, d []byte) (string, []byte) {
			if n == ManifestName {
				return n, bytes.Replace(d, []byte(`"site": "demo"`), []byte(`"site": "elsewhere"`), 1)
			}
			return n, d
		}),
		"removed pcap": rezip(func(n string, d []byte) (string, []byte) {
			if strings.HasPrefix(n, "pcaps/") {
				return "", nil
			}
			return n, d
		}),
	}
	added := rezip(func(n string, d []byte) (string, []byte) {
		if n == "README.txt" {
			return "README.txt.bak", d
		}
		return n, d
	})
	cases["renamed file"] = added
	var extra bytes.Buffer
	zw := zip.NewWriter(&extra)
	for _, f := range zr.File {
		zw.Copy(f)
	}
	w, _ := zw.Create("pcaps/extra.pcap")
	w.Write([]byte("planted"))
	zw.Close()
	cases["added file"] = extra.Bytes()
	if _, err := VerifyBytes(extra.Bytes(), pub); err == nil || !strings.Contains(err.Error(), "not in the manifest: pcaps/extra.pcap") {
		t.Errorf("added file: %v", err)
	}
	cases["not a zip"] = []byte("PK not really")
	for name, bb := range cases {
		if _, err := VerifyBytes(bb, pub); err == nil {
			t.Errorf("%s: verifies", name)
		} else if _, ok := err.(*VerifyError); !ok {
			t.Errorf("%s: %T %v, want *VerifyError", name, err, err)
		}
	}
	// The same input gives the same bytes.
	var b2 bytes.Buffer
	if _, _, err := WriteBundleOf(ctx, st, r, priv, now, &b2); err != nil || !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Errorf("a second bundle differs (%v)", err)
	}
}

// TestSTIX shares the LOGINK and TFTP incident's indicators: one
// observable and one indicator per external address, domain and file,
// deterministic ids, TLP:AMBER, an observed-data referring to them all.
func TestSTIX(t *testing.T) {
	st := demo(t)
	var ids []string
	var fs []store.Finding
	for _, f := range append(findingOf(t, st, finding.RuleProhibited), findingOf(t, st, finding.RuleFileTransfer)...) {
		ids = append(ids, f.ID)
		fs = append(fs, f)
	}
	in, err := Open(ctx, st, "demo", ids, "LOGINK contact", "user:cyso", now)
	if err != nil {
		t.Fatal(err)
	}
	b := STIX(in, "Terminal 3", fs, nil, now)
	raw, _ := json.Marshal(b)
	if b.Type != "bundle" || !regexp.MustCompile(`^bundle--[0-9a-f-]{36}$`).MatchString(b.ID) {
		t.Fatalf("bundle %s %s", b.Type, b.ID)
	}
	byType := map[string][]Object{}
	ids2 := map[string]bool{}
	for _, o := range b.Objects {
		byType[o.Type] = append(byType[o.Type], o)
		if o.SpecVersion != "2.1" || !strings.HasPrefix(o.ID, o.Type+"--") || ids2[o.ID] {
			t.Errorf("object %+v", o)
		}
		ids2[o.ID] = true
		if o.Type == "indicator" {
			if !regexp.MustCompile(`^\[(ipv4-addr|ipv6-addr|domain-name|file):(value|name) = '[^']+'\]$`).MatchString(o.Pattern) || o.PatternType != "stix" ||
				o.ValidFrom == "" || !slices.Equal(o.MarkingRefs, []string{TLPAmber}) || o.CreatedByRef != byType["identity"][0].ID {
				t.Errorf("indicator %+v", o)
			}
		}
	}
	values := map[string]bool{}
	for _, typ := range []string{"ipv4-addr", "domain-name", "file"} {
		for _, o := range byType[typ] {
			values[o.Value+o.Name] = true
		}
	}
	for _, want := range []string{"203.0.113.80", "203.0.113.81", "192.0.2.15", "gateway.logink.cn", "example-bad.cn", "s7-1500_fw_v3.1.bin"} {
		if !values[want] {
			t.Errorf("no observable %s (have %v)", want, values)
		}
	}
	if values["10.50.1.10"] {
		t.Error("an address of the facility is shared")
	}
	if len(byType["indicator"]) != len(values) || len(byType["observed-data"]) != 1 || len(byType["observed-data"][0].ObjectRefs) != len(values) {
		t.Errorf("%d indicators, %d observables, observed-data %+v", len(byType["indicator"]), len(values), byType["observed-data"])
	}
	// STIX 2.1 §2.9: an ipv4-addr id is the v5 UUID of its value in the
	// SCO namespace.
	want := "ipv4-addr--" + uuid5(scoNamespace, `{"value":"203.0.113.80"}`)
	if !ids2[want] {
		t.Errorf("no object %s", want)
	}
	for _, ts := range regexp.MustCompile(`"(created|modified|valid_from|first_observed|last_observed)":"([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(ts[2]) {
			t.Errorf("%s %s is not a STIX timestamp", ts[1], ts[2])
		}
	}
	if q := quote(`a'b\c`); q != `'a\'b\\c'` {
		t.Errorf("quote = %s", q)
	}
}

func FuzzVerify(f *testing.F) {
	pub, priv, _ := signing.Generate()
	var b bytes.Buffer
	if _, err := WriteBundle(&b, "I1", "s", now, []Item{{Name: "a.json", Data: []byte(`{"x":1}`)}, {Name: "pcaps/x.pcap", Data: []byte{0xd4, 0xc3, 0xb2, 0xa1}}}, priv); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := VerifyBytes(data, pub)
		if err == nil && (m == nil || m.KeyID != signing.KeyID(pub)) {
			t.Fatalf("verified %+v", m)
		}
		if err != nil {
			if _, ok := err.(*VerifyError); !ok {
				t.Fatalf("%T %v", err, err)
			}
		}
	})
}

// TestDownloadFiles opens an incident from the demo's program download:
// the blocks it moved are in the draft with their SHA-256, and the STIX
// bundle shares each as a file indicator by its hash.
func TestDownloadFiles(t *testing.T) {
	st := demo(t, "plc-program-download")
	dl := findingOf(t, st, finding.RuleICSProgramDownload)[0]
	in, err := Open(ctx, st, "demo", []string{dl.ID}, "", "user:cyso", now)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := Load(ctx, st, in.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) == 0 {
		t.Fatalf("no file moved in the download's incident; timeline %+v", r.Timeline)
	}
	b := STIX(r.Incident, r.Facility, r.Findings, r.Files, now)
	for _, f := range r.Files {
		if len(f.SHA256) != 64 || f.Op != "program-download" && f.Op != "program-upload" || !strings.Contains(f.Ref, ":") {
			t.Errorf("file %+v", f)
		}
		pattern := "[file:hashes.'SHA-256' = '" + f.SHA256 + "']"
		if !slices.ContainsFunc(b.Objects, func(o Object) bool { return o.Type == "indicator" && o.Pattern == pattern }) ||
			!slices.ContainsFunc(b.Objects, func(o Object) bool { return o.Type == "file" && o.Hashes["SHA-256"] == f.SHA256 }) {
			t.Errorf("no file indicator of %s %s in the STIX bundle", f.Name, f.SHA256)
		}
	}
	t.Logf("%d files: %+v", len(r.Files), r.Files)
}
