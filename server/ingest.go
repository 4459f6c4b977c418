package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"harborwatch/analysis"
	"harborwatch/event"
	"harborwatch/export"
	"harborwatch/finding"
	"harborwatch/inventory"
	"harborwatch/pipeline"
	"harborwatch/runstats"
	"harborwatch/site"
	"harborwatch/store"
)

func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// captureMagic are the first four bytes of the capture files harborwatch
// reads: pcap (both byte orders, micro- and nanosecond) and pcapng.
var captureMagic = [][]byte{
	{0xa1, 0xb2, 0xc3, 0xd4}, {0xd4, 0xc3, 0xb2, 0xa1},
	{0xa1, 0xb2, 0x3c, 0x4d}, {0x4d, 0x3c, 0xb2, 0xa1},
	{0x0a, 0x0d, 0x0d, 0x0a},
}

func isCapture(head []byte) bool {
	for _, m := range captureMagic {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}

// uploadName is the name a capture was uploaded with (?name=), reduced to
// a safe base name.
func uploadName(r *http.Request, id string) string {
	n := filepath.Base(r.URL.Query().Get("name"))
	if n == "." || n == "/" || n == "" || len(n) > 200 || strings.ContainsFunc(n, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return id + ".pcap"
	}
	return n
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, p *principal) error {
	siteID, err := pathID(r, "site")
	if err != nil {
		return err
	}
	p.target = "site:" + siteID
	if _, err := s.st.Site(r.Context(), siteID); errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "site %q does not exist: PUT /api/v1/sites/%s with its site.yaml first", siteID, siteID)
	} else if err != nil {
		return err
	}
	if r.ContentLength > s.cfg.MaxUpload {
		return errorf(http.StatusRequestEntityTooLarge, "the capture (%d bytes) is larger than the upload limit of %d bytes", r.ContentLength, s.cfg.MaxUpload)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	id := newID("C")
	c, err := s.keep(r.Body, id, func(head []byte) error {
		if !isCapture(head) {
			return errorf(http.StatusUnsupportedMediaType, "the body is not a pcap or pcapng capture (first bytes % x)", head)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Site, c.Name, c.By, c.Status, c.Created = siteID, uploadName(r, id), p.Actor, store.Queued, s.now().UTC()
	path := c.Path
	c, err = s.st.AddCapture(r.Context(), c)
	if err != nil {
		os.Remove(path)
		return err
	}
	p.target = "capture:" + c.ID
	p.detail = map[string]any{"site": siteID, "sha256": c.SHA256, "bytes": c.Size, "name": c.Name}
	s.metrics.uploads.Inc()
	s.kick() // the analysis starts while the file goes to disk
	if err := durable(c.Path); err != nil {
		return fmt.Errorf("capture %s: sync to disk: %w", c.ID, err)
	}
	w.Header().Set("Location", "/api/v1/captures/"+c.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"id": c.ID, "status": c.Status, "sha256": c.SHA256, "size": c.Size})
	return nil
}

// keep streams body to the data directory as capture id, checking its
// first bytes with check and hashing it; the caller makes it durable.
func (s *Server) keep(body io.Reader, id string, check func(head []byte) error) (store.Capture, error) {
	dir := filepath.Join(s.cfg.Data, "captures")
	final := filepath.Join(dir, id+".cap")
	tmp := final + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return store.Capture{}, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	br := bufio.NewReaderSize(body, 1<<20)
	head, _ := br.Peek(4)
	if err := check(head); err != nil {
		return store.Capture{}, err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), br, make([]byte, 1<<20))
	if err != nil {
		return store.Capture{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return store.Capture{}, err
	}
	ok = true
	return store.Capture{ID: id, Path: final, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// durable syncs a kept capture file and its folder to disk. The upload
// answers 202 only after it: the analysis, queued before, reads the file
// from the page cache meanwhile.
func durable(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// ingestLoop analyzes queued captures one at a time until ctx is done.
func (s *Server) ingestLoop(ctx context.Context) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			c, ok, err := s.st.ClaimCapture(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("claim a queued capture: "+err.Error(), "error", err.Error())
				}
				break
			}
			if !ok {
				break
			}
			s.analyze(ctx, c)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// Event storage policies (Config.StoreEvents).
const (
	EventsAll     = "all"     // every event
	EventsChanges = "changes" // every event but reads (polling) and their responses
	EventsNone    = "none"    // none
)

// eventBatcher hands a run's events to a writer goroutine in batches, so
// the engine does not wait on the database; the bounded queue of batches
// slows the engine down rather than lose events when the database is
// slower.
type eventBatcher struct {
	pipeline.SinkFuncs
	ctx           context.Context
	st            store.Store
	site, capture string
	policy        string
	batch         []event.Event
	queue         chan []event.Event
	done          chan struct{}
	stored        int64
	skipped       int64
	err           error // the writer's; read after done
}

const eventBatch = 4096

func newEventBatcher(ctx context.Context, st store.Store, site, capture, policy string) *eventBatcher {
	b := &eventBatcher{ctx: ctx, st: st, site: site, capture: capture, policy: policy,
		queue: make(chan []event.Event, 4), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		for batch := range b.queue {
			if b.err != nil {
				continue
			}
			if err := b.st.AddEvents(b.ctx, b.site, b.capture, batch); err != nil {
				b.err = err
			}
		}
	}()
	return b
}

func (b *eventBatcher) Event(e *event.Event) {
	if b.policy == EventsChanges && e.Op == "read" {
		b.skipped++
		return
	}
	c := *e
	c.Capture = b.capture
	c.Detail = maps.Clone(e.Detail)
	if b.batch == nil {
		b.batch = make([]event.Event, 0, eventBatch)
	}
	b.batch = append(b.batch, c)
	b.stored++
	if len(b.batch) >= eventBatch {
		b.queue <- b.batch
		b.batch = nil
	}
}

// close hands on the last batch, waits for the writer and returns its
// error.
func (b *eventBatcher) close() error {
	if len(b.batch) > 0 {
		b.queue <- b.batch
		b.batch = nil
	}
	close(b.queue)
	<-b.done
	return b.err
}

// runStats is what a capture keeps of its run: the report's statistics
// and how many events were stored.
type runStats struct {
	runstats.Stats
	EventsStored    int64 `json:"events_stored"`
	EventsNotStored int64 `json:"events_not_stored"` // reads, with --store-events changes
}

// analyze runs one claimed capture through the engine and records the
// result. A run stopped by shutdown is left running: the next start
// queues it again (its events are deleted when it is claimed).
func (s *Server) analyze(ctx context.Context, c store.Capture) {
	start := time.Now()
	log := s.log.With("capture", c.ID, "site", c.Site)
	s.mu.Lock()
	s.running = c.ID
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = ""
		s.mu.Unlock()
	}()
	fail := func(err error) {
		log.Warn(fmt.Sprintf("capture %s (%s) failed: %v", c.ID, c.Name, err), "error", err.Error())
		s.metrics.runs.WithLabelValues(store.Failed).Inc()
		if ferr := s.st.FailCapture(context.WithoutCancel(ctx), c.ID, err.Error()); ferr != nil {
			log.Error("record the failure: "+ferr.Error(), "error", ferr.Error())
		}
	}
	row, err := s.st.Site(ctx, c.Site)
	if err != nil {
		fail(fmt.Errorf("site %s: %w", c.Site, err))
		return
	}
	model, err := site.Parse(c.Site+".yaml", []byte(row.YAML))
	if err != nil {
		fail(fmt.Errorf("site %s: %w", c.Site, err))
		return
	}
	b := newEventBatcher(ctx, s.st, c.Site, c.ID, s.cfg.StoreEvents)
	log.Info(fmt.Sprintf("analyzing capture %s (%s, %d bytes) of site %s", c.ID, c.Name, c.Size, c.Site))
	res, err := analysis.Run(ctx, analysis.Options{Files: []string{c.Path}, Site: model, Workers: s.cfg.Workers,
		FlowMemory: s.cfg.FlowMemory, Sink: b, Events: s.cfg.StoreEvents != EventsNone, Logger: log})
	eventsErr := b.close()
	if ctx.Err() != nil {
		log.Info(fmt.Sprintf("analysis of %s stopped by shutdown: it runs again at the next start", c.ID))
		return
	}
	if err != nil {
		fail(err)
		return
	}
	if eventsErr != nil {
		fail(fmt.Errorf("store events: %w", eventsErr))
		return
	}
	doc := res.Document
	fs := doc.Findings
	for i := range fs {
		for j := range fs[i].Evidence {
			fs[i].Evidence[j].Capture, fs[i].Evidence[j].SHA256 = c.ID, c.SHA256
		}
	}
	stats, _ := json.Marshal(runStats{Stats: doc.Stats, EventsStored: b.stored, EventsNotStored: b.skipped})
	run := store.Run{Capture: c.ID, Site: c.Site, At: s.now().UTC(), Stats: stats, Findings: fs, Assets: assetData(res.Inventory)}
	sum, err := s.st.FinishRun(ctx, run)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		fail(fmt.Errorf("record the run: %w", err))
		return
	}
	took := time.Since(start)
	s.metrics.runs.WithLabelValues(store.Done).Inc()
	s.metrics.runSeconds.Observe(took.Seconds())
	s.metrics.packets.Add(float64(doc.Stats.Packets))
	s.metrics.events.Add(float64(b.stored))
	log.Info(fmt.Sprintf("capture %s analyzed in %.1f s: %d packets, %d findings (%d new, %d seen again, %d reopened, %d suppressed), %d events stored, %d assets (%d changes)",
		c.ID, took.Seconds(), doc.Stats.Packets, len(fs), sum.New, sum.Seen, sum.Reopened, sum.Suppressed, b.stored, sum.Assets, sum.AssetChanges),
		"packets", doc.Stats.Packets, "findings", len(fs), "new", sum.New, "events", b.stored, "events_not_stored", b.skipped, "seconds", took.Seconds())
	if s.cfg.RetainEvents > 0 {
		s.prune(ctx)
	}
	s.exportRun(ctx, c, fs)
}

// assetData is a run's inventory as the store keeps it.
func assetData(inv *inventory.Inventory) []store.AssetData {
	if inv == nil {
		return nil
	}
	out := make([]store.AssetData, 0, len(inv.Assets))
	for i := range inv.Assets {
		a := &inv.Assets[i]
		raw, err := json.Marshal(a)
		if err != nil {
			continue
		}
		d := store.AssetData{ID: a.ID, Data: raw, Fields: map[string]string{
			"vendor": a.Vendor, "model": a.Model, "serial": a.Serial, "firmware": a.Firmware, "kind": a.Kind,
			"supplier": a.Supplier, "ips": joinStrings(a.IPs), "macs": strings.Join(a.MACs, ","),
		}}
		if a.FirstSeen != nil {
			d.FirstSeen = *a.FirstSeen
		}
		if a.LastSeen != nil {
			d.LastSeen = *a.LastSeen
		}
		out = append(out, d)
	}
	return out
}

func joinStrings[T fmt.Stringer](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return strings.Join(s, ",")
}

// exportRun hands the run's findings, as now stored, to the exporters.
func (s *Server) exportRun(ctx context.Context, c store.Capture, fs []finding.Finding) {
	if len(s.cfg.Exporters) == 0 {
		return
	}
	now := s.now().UTC()
	for i := range fs {
		f, err := s.st.Finding(ctx, c.Site, fs[i].ID)
		if err != nil {
			continue
		}
		kind := "seen"
		if f.Occurrences == 1 {
			kind = "new"
		}
		s.export(export.Change{Kind: kind, At: now, Actor: "system", F: f})
	}
}

func (s *Server) export(c export.Change) {
	for _, x := range s.cfg.Exporters {
		if err := x.Export(context.Background(), c); err != nil {
			s.log.Warn("export: "+err.Error(), "error", err.Error())
		}
	}
}

func (s *Server) prune(ctx context.Context) {
	n, err := s.st.PruneEvents(ctx, s.now().Add(-s.cfg.RetainEvents))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("event retention: "+err.Error(), "error", err.Error())
		}
		return
	}
	if n > 0 {
		s.metrics.pruned.Add(float64(n))
		s.log.Info(fmt.Sprintf("deleted %d events older than %s", n, s.cfg.RetainEvents), "events", n)
	}
}

func (s *Server) retentionLoop(ctx context.Context) {
	s.prune(ctx)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.prune(ctx)
		}
	}
}
