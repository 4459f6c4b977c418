// Package server is harborwatch serve: a REST API over the store, with
// authentication, roles and an audit trail, and the ingest of captures —
// uploaded through the API or dropped into a watch folder — through the
// analysis engine, one run at a time, exactly once.
package server

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"harborwatch/auth"
	"harborwatch/export"
	"harborwatch/store"
	"harborwatch/vuln"
)

// Config configures a Server. Store and Data are required.
type Config struct {
	// Store keeps everything; the server does not close it.
	Store store.Store
	// Data is the data directory: uploaded captures are kept under
	// Data/captures.
	Data string
	// MaxUpload bounds an uploaded capture's size in bytes (0 → 16 GiB);
	// a larger upload is refused with 413.
	MaxUpload int64
	// Workers and FlowMemory are the analysis engine's (see
	// analysis.Options); 0 → its defaults.
	Workers    int
	FlowMemory int64
	// StoreEvents is which protocol events runs store: EventsAll,
	// EventsChanges (the default: all but reads, the bulk of polling
	// traffic, which are counted in the capture's stats) or EventsNone.
	StoreEvents string
	// RetainEvents, when positive, deletes events older than this (packet
	// time, relative to the wall clock) once an hour and after each run.
	RetainEvents time.Duration
	// Watch, when not empty, is a folder whose subfolders are sites:
	// captures dropped into Watch/SITE/ are ingested once (by SHA-256),
	// then moved to Watch/SITE/.done/ (or .failed/).
	Watch string
	// WatchInterval is how often Watch is scanned (0 → 5 s).
	WatchInterval time.Duration
	// Advisories are matched against every run's inventory
	// (vulnerability.known findings).
	Advisories []*vuln.Advisory
	// Exporters receive every finding change (new, seen again, state).
	Exporters []export.Exporter
	// Logger receives the server's records (nil → discard).
	Logger *slog.Logger
	// Now is the clock (nil → time.Now); tests move it.
	Now func() time.Time
	// Login throttles failed logins (nil → auth defaults).
	Login *auth.Limiter
	// NATS, when not empty, is a NATS server (nats://HOST:PORT) whose
	// stream HARBORWATCH the server consumes: what sensors publish is
	// stored (package bus), with the durable consumer NATSDurable (""
	// → "harborwatch-serve").
	NATS, NATSDurable string
	// NATSSites, when not empty, are the only sites consumed.
	NATSSites []string
	// TLS says the server is served over TLS (console cookies are then
	// Secure).
	TLS bool
	// Reverify, when positive with ReverifyKey, re-verifies every
	// integrity baseline that has a path (baseline path) that often, at
	// start and then on a ticker (recovery.go).
	Reverify    time.Duration
	ReverifyKey ed25519.PublicKey
}

// Server is a configured harborwatch server.
type Server struct {
	cfg     Config
	st      store.Store
	log     *slog.Logger
	now     func() time.Time
	limiter *auth.Limiter
	routes  []route
	handler http.Handler
	metrics *metrics

	wake chan struct{} // an upload was queued
	// slot is held by the one analysis that runs at a time: the queue's,
	// or an upload's analyzed as it arrives.
	slot    chan struct{}
	bg      context.Context // the server's background work: cancelled at shutdown
	console http.Handler    // serves what the API does not (Mount)
	csrfKey []byte          // signs console CSRF tokens
	lives   sync.WaitGroup  // analyses of uploads as they arrive
	// hashing bounds the password checks running at once: each takes
	// 64 MiB and a core for a fraction of a second.
	hashing chan struct{}
	advs    advisoryCache // stored advisories, parsed (advisories.go)
}

// New checks cfg and builds the server's routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.Data == "" {
		return nil, errors.New("server: no data directory")
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 16 << 30
	}
	switch cfg.StoreEvents {
	case "":
		cfg.StoreEvents = EventsChanges
	case EventsAll, EventsChanges, EventsNone:
	default:
		return nil, fmt.Errorf("server: store events %q: want all, changes or none", cfg.StoreEvents)
	}
	if cfg.WatchInterval <= 0 {
		cfg.WatchInterval = 5 * time.Second
	}
	for _, d := range []string{cfg.Data, filepath.Join(cfg.Data, "captures")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("server: data directory: %w", err)
		}
	}
	s := &Server{cfg: cfg, st: cfg.Store, log: cfg.Logger, now: cfg.Now, limiter: cfg.Login, wake: make(chan struct{}, 1), slot: make(chan struct{}, 1), bg: context.Background(), hashing: make(chan struct{}, 2)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limiter == nil {
		s.limiter = auth.NewLimiter(auth.LimiterOptions{})
	}
	key, err := consoleKey(cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("server: console key: %w", err)
	}
	s.csrfKey = key
	s.metrics = newMetrics()
	s.routes = s.table()
	s.handler = s.mux()
	return s, nil
}

// Handler serves the API, /healthz and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes lists the served routes as "METHOD PATH" patterns, in the order
// of the route table (tests enumerate them).
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, r := range s.routes {
		out[i] = RouteInfo{Method: r.method, Path: r.path, Role: r.role, Public: r.public}
	}
	return out
}

// RouteInfo describes one served route.
type RouteInfo struct {
	Method, Path string
	Role         string // the least role it needs ("" with Public)
	Public       bool   // served without a token (/healthz, login)
}

// HTTPServer returns an http.Server for the handler with timeouts fit for
// large uploads on slow links and for slow-loris clients.
func (s *Server) HTTPServer(addr string, tc *tls.Config) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		TLSConfig:         tc,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       0, // uploads of gigabytes: bounded by IdleTimeout per read instead
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve runs the background work (ingest, watch folder, retention) and
// serves HTTP on ln until ctx is done, then shuts down: it stops taking
// requests, lets requests in flight finish (up to 30 s) and stops the
// run in progress, which is analyzed again at the next start.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tc *tls.Config) error {
	dropped, err := s.st.DropReceiving(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return fmt.Errorf("server: drop uploads cut by a crash: %w", err)
	}
	for _, c := range dropped {
		os.Remove(c.Path)
		os.Remove(c.Path + ".part")
		s.log.Warn(fmt.Sprintf("capture %s (%s) was being uploaded when the server stopped: dropped (its upload was not answered)", c.ID, c.Name), "capture", c.ID)
	}
	if n, err := s.st.RequeueRunning(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return fmt.Errorf("server: requeue interrupted runs: %w", err)
	} else if n > 0 {
		s.log.Info(fmt.Sprintf("%d capture(s) whose analysis was interrupted are queued again", n), "captures", n)
	}
	hs := s.HTTPServer(ln.Addr().String(), tc)
	bg, stop := context.WithCancel(ctx)
	defer stop()
	s.bg = bg
	var wg sync.WaitGroup
	wg.Go(func() { s.ingestLoop(bg) })
	if s.cfg.Watch != "" {
		wg.Go(func() { s.watchLoop(bg) })
	}
	if s.cfg.RetainEvents > 0 {
		wg.Go(func() { s.retentionLoop(bg) })
	}
	if s.cfg.Reverify > 0 && s.cfg.ReverifyKey != nil {
		wg.Go(func() { s.reverifyLoop(bg) })
	}
	if s.cfg.NATS != "" {
		wg.Go(func() { s.busLoop(bg) })
	}
	errc := make(chan error, 1)
	go func() {
		if tc != nil {
			errc <- hs.Serve(tls.NewListener(ln, tc))
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(sctx)
		cancel()
	}
	stop()
	wg.Wait()
	s.lives.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *Server) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
