package analysis_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"harborwatch/analysis"
	"harborwatch/capture"
	"harborwatch/declared"
	"harborwatch/finding"
	"harborwatch/internal/cli"
	"harborwatch/pipeline"
	"harborwatch/report"
	"harborwatch/runstats"
	"harborwatch/site"
)

const (
	exampleSite = "../examples/terminal/site.yaml"
	examplePcap = "../examples/terminal/terminal.pcap"
	exampleBOM  = "../examples/cranes/sts-03.cdx.json"
)

func loadSite(t *testing.T) *site.Site {
	t.Helper()
	st, err := site.Load(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func jsonOf(t *testing.T, d *report.Document) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.JSON(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// records is a slog handler keeping every record, for the tests.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		out = append(out, rec.Level.String()+" "+rec.Message)
	}
	return out
}

// TestExample: the document of a run over the shipped example is, byte
// for byte, the one 'harborwatch analyze --format json' writes.
func TestExample(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := cli.Run(context.Background(), []string{"analyze", "--site", exampleSite, "--format", "json", examplePcap}, &stdout, &stderr); code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, stderr.String())
	}
	log := &records{}
	res, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Site: loadSite(t), Workers: 2, Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(t, res.Document); !bytes.Equal(got, stdout.Bytes()) {
		t.Errorf("the document differs from analyze's:\n%.2000s", got)
	}
	if res.Pipeline == nil || res.Inventory == nil || res.Document.Stats.Packets != res.Pipeline.Stats.Packets {
		t.Fatalf("result %+v", res)
	}
	if n := len(res.Pipeline.Findings) + len(res.Inventory.Findings); n != len(res.Document.Findings) || len(res.Inventory.Findings) == 0 {
		t.Errorf("%d + %d findings, %d in the document", len(res.Pipeline.Findings), len(res.Inventory.Findings), len(res.Document.Findings))
	}
	if f := res.Document.Facility; f == nil || f.Name != "Terminal 3" {
		t.Errorf("facility %+v", f)
	}
	want := []string{"INFO opened capture " + examplePcap, "INFO analyzed 11,096 packets, 63 flows in "}
	got := log.messages()
	if len(got) != len(want) {
		t.Fatalf("log %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("record %d: %q, want %q", i, got[i], want[i])
		}
	}

	// Without a site: the default site, no facility.
	res, err = analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Document.Facility != nil || res.Document.Stats.Packets != 11096 {
		t.Errorf("no site: facility %+v, %d packets", res.Document.Facility, res.Document.Stats.Packets)
	}
}

// TestSink: with Findings, the Sink receives the pipeline's finding
// updates and then the inventory's findings, new, stamped with the last
// packet's time; the stream folds to the document's findings.
func TestSink(t *testing.T) {
	var fold pipeline.Fold
	var inventoryUpdates []*pipeline.FindingUpdate
	invRules := []string{finding.RuleMissingDevice, finding.RuleMismatch, finding.RuleNotIsolated}
	sink := pipeline.SinkFuncs{OnFinding: func(u *pipeline.FindingUpdate) {
		fold.Add(u)
		if slices.Contains(invRules, u.Finding.Rule) {
			inventoryUpdates = append(inventoryUpdates, u)
		}
	}}
	res, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Site: loadSite(t), Workers: 2, Sink: sink, Findings: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fold.Findings(), res.Document.Findings; !slices.EqualFunc(got, want, func(a, b finding.Finding) bool { return a.ID == b.ID && a.Count == b.Count }) {
		t.Errorf("the stream folds to %d findings, the document has %d", len(got), len(want))
	}
	if len(inventoryUpdates) != len(res.Inventory.Findings) || len(inventoryUpdates) == 0 {
		t.Fatalf("%d inventory updates, %d inventory findings", len(inventoryUpdates), len(res.Inventory.Findings))
	}
	last := *res.Document.Stats.LastTS
	for _, u := range inventoryUpdates {
		if u.Kind != pipeline.FindingNew || !u.At.Equal(last) {
			t.Errorf("inventory update %s %s at %s, want new at %s", u.Kind, u.Finding.ID, u.At, last)
		}
	}

	// Without Findings the Sink hears of no finding.
	n := 0
	_, err = analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Site: loadSite(t), Workers: 1, Events: true,
		Sink: pipeline.SinkFuncs{OnFinding: func(*pipeline.FindingUpdate) { n++ }}})
	if err != nil || n != 0 {
		t.Errorf("without Findings: %d updates, err %v", n, err)
	}
}

// TestInputErrors: a missing file, a directory, a file that is not a
// capture and a capture whose file header is damaged are *InputError, with
// capture.Open's message; no capture at all is an error.
func TestInputErrors(t *testing.T) {
	notCapture := filepath.Join(t.TempDir(), "site.pcap")
	if err := os.WriteFile(notCapture, []byte("# not a capture\nzones: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pcap")
	example, err := os.ReadFile(examplePcap)
	if err != nil {
		t.Fatal(err)
	}
	badHeader := filepath.Join(t.TempDir(), "header.pcap")
	if err := os.WriteFile(badHeader, example[:10], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, file string
		is         error
	}{
		{"missing", missing, os.ErrNotExist},
		{"not a capture", notCapture, capture.ErrNotCapture},
		{"directory", t.TempDir(), capture.ErrNotCapture},
		{"damaged file header", badHeader, capture.ErrTruncated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap, tt.file}})
			ie, ok := errors.AsType[*analysis.InputError](err)
			if !ok || ie.File != tt.file || !errors.Is(err, tt.is) {
				t.Fatalf("err %v (%T), want an *InputError for %s wrapping %v", err, err, tt.file, tt.is)
			}
			_, want := capture.Open(tt.file)
			if err.Error() != want.Error() {
				t.Errorf("message %q, want capture.Open's %q", err, want)
			}
		})
	}
	if _, err := analysis.Run(context.Background(), analysis.Options{}); err == nil {
		t.Error("no capture: no error")
	} else if _, ok := errors.AsType[*analysis.InputError](err); ok {
		t.Errorf("no capture: %v is an InputError", err)
	}
}

// TestSources: open Sources are read as files are, after them, and left
// open for the caller.
func TestSources(t *testing.T) {
	st := loadSite(t)
	byName, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Site: st, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.Open(examplePcap)
	if err != nil {
		t.Fatal(err)
	}
	open, err := analysis.Run(context.Background(), analysis.Options{Sources: []capture.Source{src}, Site: st, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jsonOf(t, open.Document), jsonOf(t, byName.Document)) {
		t.Error("an open Source gives another document than its file")
	}
	if err := src.Close(); err != nil {
		t.Errorf("the caller's Source was closed by Run: %v", err)
	}
}

// TestHash: with Hash, each file's SHA-256 is that of its bytes; without,
// it is unknown.
func TestHash(t *testing.T) {
	b, err := os.ReadFile(examplePcap)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(b)
	res, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Workers: 1, Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SHA256) != 1 || res.SHA256[0] != hex.EncodeToString(want[:]) {
		t.Errorf("SHA256 %q, want %x", res.SHA256, want)
	}
	res, err = analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SHA256) != 1 || res.SHA256[0] != "" {
		t.Errorf("without Hash: SHA256 %q", res.SHA256)
	}
}

// TestDeclared: declared asset lists reach the inventory.
func TestDeclared(t *testing.T) {
	f, err := os.Open(exampleBOM)
	if err != nil {
		t.Fatal(err)
	}
	bom := declared.ReadCycloneDX(exampleBOM, f)
	f.Close()
	if len(bom.Assets) == 0 {
		t.Fatalf("%s: no asset", exampleBOM)
	}
	st := loadSite(t)
	without, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Site: st, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	with, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Site: st, Workers: 1, Declared: []declared.Result{bom}})
	if err != nil {
		t.Fatal(err)
	}
	if with.Inventory.Summary.Declared <= without.Inventory.Summary.Declared {
		t.Errorf("declared assets: %d with the BOM, %d without", with.Inventory.Summary.Declared, without.Inventory.Summary.Declared)
	}
	if with.Document.Inventory.Declared != with.Inventory.Summary.Declared || len(with.Document.Assets) != len(with.Inventory.Assets) {
		t.Error("the document does not hold the inventory")
	}
}

// TestFlowMemoryFloor: a flow memory below the floor is raised to it with
// a warning naming both; the result is that of the floor.
func TestFlowMemoryFloor(t *testing.T) {
	floor := pipeline.FlowMemoryFloor(2)
	log := &records{}
	low, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Workers: 2, FlowMemory: 1 << 10, Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	atFloor, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Workers: 2, FlowMemory: floor})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jsonOf(t, low.Document), jsonOf(t, atFloor.Document)) {
		t.Error("below the floor gives another result than the floor")
	}
	want := "WARN flow memory 1KiB is below the floor of " + kib(t, floor) + " (1,024 flows a worker); using " + kib(t, floor)
	if msgs := log.messages(); !slices.Contains(msgs, want) {
		t.Errorf("log %q lacks %q", msgs, want)
	}
	log.recs = nil
	if _, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Workers: 2, FlowMemory: floor, Logger: slog.New(log)}); err != nil {
		t.Fatal(err)
	}
	for _, m := range log.messages() {
		if strings.HasPrefix(m, "WARN") {
			t.Errorf("at the floor: %q", m)
		}
	}
}

// kib writes a whole number of KiB below a MiB, as the warning does.
func kib(t *testing.T, n int64) string {
	t.Helper()
	if n%1024 != 0 || n >= 1<<20 {
		t.Fatalf("floor %d: not a whole number of KiB below a MiB; adapt the test", n)
	}
	return strconv.FormatInt(n>>10, 10) + "KiB"
}

// TestDamage: a damaged capture is analyzed up to the damage, logged as a
// warning and passed to OnDamage.
func TestDamage(t *testing.T) {
	example, err := os.ReadFile(examplePcap)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, example[:len(example)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	log := &records{}
	var damage []error
	res, err := analysis.Run(context.Background(), analysis.Options{Files: []string{cut}, Workers: 1, Logger: slog.New(log),
		OnDamage: func(err error) { damage = append(damage, err) }})
	if err != nil {
		t.Fatal(err)
	}
	de, ok := errors.AsType[*capture.DamageError](errors.Join(damage...))
	if len(damage) != 1 || !ok || de.File != cut || de.Offset == 0 {
		t.Fatalf("OnDamage got %v", damage)
	}
	if st := res.Document.Stats; st.Damaged() != 1 || st.Packets == 0 || st.Captures[0].DamageOffset != de.Offset {
		t.Errorf("stats %+v", st)
	}
	if msgs := log.messages(); !slices.Contains(msgs, "WARN "+de.Error()) {
		t.Errorf("log %q lacks the damage", msgs)
	}
}

// TestCancel: a cancelled context ends the run early with what it read,
// marked partial with the cause, in the pipeline's result and the
// document alike.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupted by the test"))
	res, err := analysis.Run(ctx, analysis.Options{Files: []string{examplePcap}, Workers: 1})
	if err != nil {
		t.Fatalf("err %v, want a partial result", err)
	}
	for _, st := range []*runstats.Stats{&res.Pipeline.Stats, &res.Document.Stats} {
		if !st.Partial || st.PartialReason != "interrupted by the test" || st.Packets == 0 || st.Packets > 4096 {
			t.Errorf("partial %v %q after %d packets, want partial, the test's cause and at most 4,096 packets", st.Partial, st.PartialReason, st.Packets)
		}
	}
	if res.Inventory == nil || res.Document.Assets == nil {
		t.Error("a partial run has no inventory")
	}
	full, err := analysis.Run(context.Background(), analysis.Options{Files: []string{examplePcap}, Workers: 1})
	if err != nil || full.Document.Stats.Partial || full.Document.Stats.Packets <= res.Document.Stats.Packets {
		t.Errorf("full run: err %v, partial %v, %d packets", err, full.Document.Stats.Partial, full.Document.Stats.Packets)
	}
}
