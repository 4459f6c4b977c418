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
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"harborwatch/analysis"
	"harborwatch/capture"
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

func (s *Server) upload(w http.ResponseWriter, r *http.Request, p *Principal) error {
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
	c := store.Capture{ID: id, Site: siteID, Name: uploadName(r, id), By: p.Actor, Created: s.now().UTC()}
	check := func(head []byte) error {
		if !isCapture(head) {
			return errorf(http.StatusUnsupportedMediaType, "the body is not a pcap or pcapng capture (first bytes % x)", head)
		}
		return nil
	}
	// With the analysis slot free, the capture is analyzed as it arrives;
	// otherwise it is kept and queued.
	var kept store.Capture
	select {
	case s.slot <- struct{}{}:
		kept, err = s.receiveLive(r, c, check)
	default:
		kept, err = s.keep(r.Body, id, check)
		if err == nil {
			kept.Site, kept.Name, kept.By, kept.Status, kept.Created = c.Site, c.Name, c.By, store.Queued, c.Created
			path := kept.Path
			if kept, err = s.st.AddCapture(r.Context(), kept); err != nil {
				os.Remove(path)
				return err
			}
			s.kick() // the analysis may start while the file goes to disk
			if err = durable(kept.Path); err != nil {
				err = fmt.Errorf("capture %s: sync to disk: %w", kept.ID, err)
			}
		}
	}
	if err != nil {
		return err
	}
	p.target = "capture:" + kept.ID
	p.detail = map[string]any{"site": siteID, "sha256": kept.SHA256, "bytes": kept.Size, "name": kept.Name}
	s.metrics.uploads.Inc()
	w.Header().Set("Location", "/api/v1/captures/"+kept.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"id": kept.ID, "status": store.Queued, "sha256": kept.SHA256, "size": kept.Size})
	return nil
}

// receiveLive receives an upload while the analysis reads it: the
// capture is recorded as receiving, the body goes to its file and to the
// analysis, and once the file is complete and synced the capture is
// running. An upload cut off drops the capture, its file and its events.
// It holds the analysis slot (taken by the caller) until the run is
// recorded.
func (s *Server) receiveLive(r *http.Request, c store.Capture, check func([]byte) error) (store.Capture, error) {
	release := func() { <-s.slot }
	br := bufio.NewReaderSize(r.Body, 1<<20)
	head, _ := br.Peek(4)
	if err := check(head); err != nil {
		release()
		return c, err
	}
	dir := filepath.Join(s.cfg.Data, "captures")
	c.Path = filepath.Join(dir, c.ID+".cap")
	c.Status = store.Receiving
	var err error
	if c, err = s.st.AddCapture(r.Context(), c); err != nil {
		release()
		return c, err
	}
	pr, pw := io.Pipe()
	received := make(chan *store.Capture, 1)
	finished := make(chan struct{})
	s.lives.Add(1)
	go func() {
		defer s.lives.Done()
		defer release()
		defer close(finished)
		s.runCapture(s.bg, c, &live{src: pr, received: received})
	}()
	_, c.SHA256, c.Size, err = writeCapture(dir, c.ID, br, pw, true)
	if err == nil {
		err = s.st.Received(context.WithoutCancel(r.Context()), c.ID, c.SHA256, c.Size)
	}
	if err != nil {
		received <- nil
		<-finished // the capture and its events are gone before the answer
		os.Remove(c.Path)
		return c, err
	}
	received <- &c
	return c, nil
}

// keep streams body to the data directory as capture id, checking its
// first bytes with check and hashing it; the caller makes it durable.
func (s *Server) keep(body io.Reader, id string, check func(head []byte) error) (store.Capture, error) {
	br := bufio.NewReaderSize(body, 1<<20)
	head, _ := br.Peek(4)
	if err := check(head); err != nil {
		return store.Capture{}, err
	}
	path, sha, n, err := writeCapture(filepath.Join(s.cfg.Data, "captures"), id, br, nil, false)
	if err != nil {
		return store.Capture{}, err
	}
	return store.Capture{ID: id, Path: path, SHA256: sha, Size: n}, nil
}

// writeCapture streams r to DIR/ID.cap — written as ID.cap.part and
// renamed once complete — and hashes it. tee, when not nil, gets the same
// bytes and is closed (with the copy's error) as soon as they are all
// written, before any sync; with sync the file and its folder are on disk
// when it returns. On error nothing is left behind.
func writeCapture(dir, id string, r io.Reader, tee *io.PipeWriter, sync bool) (path, sha string, n int64, err error) {
	path = filepath.Join(dir, id+".cap")
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		if tee != nil {
			tee.CloseWithError(err)
		}
		return "", "", 0, err
	}
	h := sha256.New()
	w := io.MultiWriter(f, h)
	if tee != nil {
		w = io.MultiWriter(f, h, tee)
	}
	n, err = io.CopyBuffer(w, r, make([]byte, 1<<20))
	if tee != nil {
		tee.CloseWithError(err) // nil: a clean end
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", "", 0, err
	}
	if sync {
		syncDir(dir)
	}
	return path, hex.EncodeToString(h.Sum(nil)), n, nil
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
			select {
			case s.slot <- struct{}{}:
			case <-ctx.Done():
				return
			}
			c, ok, err := s.st.ClaimCapture(ctx)
			if err != nil || !ok {
				<-s.slot
				if err != nil && ctx.Err() == nil {
					s.log.Error("claim a queued capture: "+err.Error(), "error", err.Error())
				}
				break
			}
			s.analyze(ctx, c)
			<-s.slot
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
	EventsChanges = "changes" // operations in full; polling reads not; routine events once a minute
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
	batch         []event.Event
	queue         chan []event.Event
	done          chan struct{}
	stored        int64
	err           error // the writer's; read after done
}

const eventBatch = 4096

func newEventBatcher(ctx context.Context, st store.Store, site, capture string) *eventBatcher {
	b := &eventBatcher{ctx: ctx, st: st, site: site, capture: capture,
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

// routineKey is what makes a routine event the same as an earlier one.
type routineKey struct {
	src, dst       netip.Addr
	proto, op, dir string
	name           string
}

// routine tells the events that repeat all day on an OT network and say
// little each time: session set-up, identity and diagnostics polls,
// cyclic I/O, name lookups and TLS hellos.
func routine(e *event.Event) bool {
	switch e.Op {
	case event.OpSession, event.OpIdentity, event.OpDiagnostics, event.OpIO, "query", "answer", "client-hello":
		return true
	}
	return false
}

// eventFilter returns the analysis's per-shard event filter for policy
// (nil: keep every event). With EventsChanges, reads (polling) are not
// stored, and a routine event is stored once a minute of packet time per
// source, destination, protocol, operation, direction and name; the
// events of one pair of addresses all reach one shard's filter, in
// packet-time order.
func eventFilter(policy string) func() func(*event.Event) bool {
	if policy != EventsChanges {
		return nil
	}
	return func() func(*event.Event) bool {
		var recent map[routineKey]int64 // routine events: when each was last kept (ns)
		return func(e *event.Event) bool {
			if e.Op == event.OpRead {
				return false
			}
			if !routine(e) {
				return true
			}
			k := routineKey{e.Src, e.Dst, e.Proto, e.Op, e.Dir, e.Name}
			ts := e.TS.UnixNano()
			if last, ok := recent[k]; ok && ts >= last && ts-last < int64(time.Minute) {
				return false
			}
			if recent == nil || len(recent) >= 1<<16 {
				recent = make(map[routineKey]int64) // bounded: start over
			}
			recent[k] = ts
			return true
		}
	}
}

func (b *eventBatcher) Event(e *event.Event) {
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
	// EventsStored counts the events stored; Stats.EventsFiltered those
	// the policy (--store-events changes) left out.
	EventsStored int64 `json:"events_stored"`
}

// analyze runs one claimed capture through the engine and records the
// result. A run stopped by shutdown is left running: the next start
// queues it again (its events are deleted when it is claimed).
func (s *Server) analyze(ctx context.Context, c store.Capture) {
	s.runCapture(ctx, c, nil)
}

// live is a capture analyzed as it arrives: the analysis reads it from
// src while the upload writes it to disk, and records its run only once
// the upload says the file is complete and durable (received true).
type live struct {
	src      io.Reader
	received <-chan *store.Capture // the capture complete (with its SHA-256), or nil: dropped
}

// runCapture analyzes a capture — its file, or lv's stream — and records
// the run.
func (s *Server) runCapture(ctx context.Context, c store.Capture, lv *live) {
	start := time.Now()
	log := s.log.With("capture", c.ID, "site", c.Site)
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
	advs, err := s.Advisories(ctx)
	if err != nil {
		fail(err)
		return
	}
	b := newEventBatcher(ctx, s.st, c.Site, c.ID)
	if lv != nil {
		log.Info(fmt.Sprintf("analyzing capture %s (%s) of site %s as it is uploaded", c.ID, c.Name, c.Site))
	} else {
		log.Info(fmt.Sprintf("analyzing capture %s (%s, %d bytes) of site %s", c.ID, c.Name, c.Size, c.Site))
	}
	opts := analysis.Options{Site: model, Workers: s.cfg.Workers,
		FlowMemory: s.cfg.FlowMemory, Sink: b, Events: s.cfg.StoreEvents != EventsNone,
		KeepEvent: eventFilter(s.cfg.StoreEvents), Advisories: advs, Logger: log}
	if s.cfg.StoreEvents == EventsChanges {
		opts.SkipEventOps = []string{event.OpRead}
	}
	var res *analysis.Result
	if lv == nil {
		opts.Files = []string{c.Path}
		res, err = analysis.Run(ctx, opts)
	} else {
		var src capture.Source
		if src, err = capture.NewReader(lv.src, c.Name); err == nil {
			opts.Sources = []capture.Source{src}
			res, err = analysis.Run(ctx, opts)
			src.Close()
		}
		io.Copy(io.Discard, lv.src) // let the upload finish whatever happened here
	}
	eventsErr := b.close()
	if lv != nil {
		if rc := <-lv.received; rc != nil {
			c = *rc
		} else {
			c.ID = "" // dropped below
		}
	}
	if lv != nil && c.ID == "" {
		c.ID = b.capture
		log.Info(fmt.Sprintf("upload of %s did not complete: its analysis is dropped", c.ID))
		if err := s.st.DropCapture(context.WithoutCancel(ctx), c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("drop the incomplete capture: "+err.Error(), "error", err.Error())
		}
		return
	}
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
	stats, _ := json.Marshal(runStats{Stats: doc.Stats, EventsStored: b.stored})
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
		"packets", doc.Stats.Packets, "findings", len(fs), "new", sum.New, "events", b.stored, "events_not_stored", doc.Stats.EventsFiltered, "seconds", took.Seconds())
	if s.cfg.RetainEvents > 0 {
		s.prune(ctx)
	}
	s.exportRun(ctx, c, fs, sum.ReopenedIDs)
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
func (s *Server) exportRun(ctx context.Context, c store.Capture, fs []finding.Finding, reopened []string) {
	if len(s.cfg.Exporters) == 0 {
		return
	}
	now := s.now().UTC()
	re := make(map[string]bool, len(reopened))
	for _, id := range reopened {
		re[id] = true
	}
	for i := range fs {
		f, err := s.st.Finding(ctx, c.Site, fs[i].ID)
		if err != nil {
			continue
		}
		kind := export.KindSeen
		switch {
		case f.Occurrences == 1:
			kind = export.KindNew
		case re[f.ID]:
			kind = export.KindReopened
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
