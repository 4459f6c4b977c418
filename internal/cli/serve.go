package cli

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"harborwatch/auth"
	"harborwatch/bus"
	"harborwatch/export"
	"harborwatch/internal/tlsself"
	"harborwatch/server"
	"harborwatch/store"
	"harborwatch/store/sqlstore"
	"harborwatch/vuln"
	"harborwatch/web"
)

// dataFlags binds --data and --db, shared by serve, token, user and audit.
type dataFlags struct{ data, db string }

func bindData(fs *flag.FlagSet, e *env) *dataFlags {
	d := &dataFlags{}
	fs.StringVar(&d.data, "data", envOr(e, "HARBORWATCH_DATA", "harborwatch-data"), "data `DIR`: the SQLite database, uploaded captures, the TLS certificate")
	fs.StringVar(&d.db, "db", e.getenv("HARBORWATCH_DB"), "keep the store in PostgreSQL at `URL` (postgres://USER@HOST:PORT/DB) instead of SQLite in the data directory")
	return d
}

// open opens the store: PostgreSQL with --db, else SQLite in the data
// directory (created when missing).
func (d *dataFlags) open(ctx context.Context) (store.Store, error) {
	dsn := d.db
	if dsn == "" {
		if err := os.MkdirAll(d.data, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		dsn = filepath.Join(d.data, "harborwatch.db")
	}
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open the store: %w", err)
	}
	return st, nil
}

type serveOptions struct {
	addr, tlsCert, tlsKey, watch, retain, maxUpload, metricsAddr, flowMemory, exportCA, storeEvents string
	reverify, reverifyKey                                                                           string
	nats, natsListen, natsDurable, natsSites                                                        string
	insecure                                                                                        bool
	workers                                                                                         int
	exports                                                                                         multiFlag
	csaf                                                                                            listFlag
}

// multiFlag is a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func serveCommand() *command {
	return &command{
		name:  "serve",
		short: "run the server: store, REST API, capture ingest, audit log",
		usage: "harborwatch serve [--data DIR] [--db postgres://…] [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE] [--insecure-http] [--watch DIR] [--export SPEC]… [--export-ca FILE] [--store-events all|changes|none] [--csaf FILE|DIR]... [--retain-events D] [--reverify D --reverify-key FILE] [--max-upload SIZE] [--metrics-addr HOST:PORT] [--nats nats://HOST:PORT|embedded [--nats-listen HOST:PORT] [--nats-durable NAME] [--nats-sites SITE,…]] [--workers N] [--flow-memory SIZE] [--log-level LEVEL] [--log-format text|json]",
		long: `
Runs harborwatch as a server that remembers — with its web console at the
same address (log in as a user made with 'harborwatch user add'): sites (their site.yaml),
captures uploaded through the API or dropped into a watch folder, and what
their analysis found — findings that persist across captures (a finding
seen again keeps its id; its count, last seen and evidence grow), their
states and history, suppressions, the inventory of assets as it changes,
protocol events — with an append-only, hash-chained audit log of every
change and login.

The API is under /api/v1 (GET /api/v1/openapi.json describes it) and needs
a token: make the first one with 'harborwatch token create' (it works while
the server runs). Roles: viewer reads; analyst also uploads captures and
changes finding states and suppressions; admin also manages sites, users
and tokens. GET /healthz needs none.

TLS is on by default: without --tls-cert/--tls-key a self-signed
certificate is made once in DIR/tls and its SHA-256 fingerprint printed at
start (pin it in clients). --insecure-http serves plain HTTP, on a loopback
address only.

--watch DIR ingests captures dropped into DIR/SITE/ once (by SHA-256) and
moves them to DIR/SITE/.done/. --export sends every finding change to a
SIEM: syslog://HOST:PORT or syslog+tls://HOST:PORT (RFC 5424, CEF), or
file:PATH (JSON lines with Elastic Common Schema names); give it several
times for several.

--nats stores what 'harborwatch sensor --publish' sends — findings, events,
assets and heartbeats of every site — from the NATS JetStream stream
HARBORWATCH, with a durable consumer (--nats-durable, default
harborwatch-serve): a message is acknowledged only once it is committed to
the store, and one delivered again is stored once; --nats-sites limits it
to some sites. '--nats embedded' runs a
NATS server with JetStream inside serve (listening on --nats-listen,
default 127.0.0.1:4222, its streams in DIR/nats), so sensors and the server
need nothing else. GET /api/v1/fleet shows every site: cranes by
manufacturer, suppliers of concern, devices not isolated, open findings by
rule, and the sensors with their last heartbeat.

SIGINT or SIGTERM stops the server cleanly; an analysis in progress runs
again at the next start.

Examples:
  harborwatch token create --data /var/lib/harborwatch --name ops --role admin
  harborwatch serve --data /var/lib/harborwatch --addr 0.0.0.0:8443 --watch /srv/captures
  harborwatch serve --db postgres://harborwatch@db/harborwatch --nats nats://10.0.0.5:4222
  harborwatch serve --data /var/lib/harborwatch --nats embedded --nats-listen 0.0.0.0:4222
  curl --cacert /var/lib/harborwatch/tls/server.crt -H "Authorization: Bearer $TOKEN" \
    -X PUT --data-binary @site.yaml https://127.0.0.1:8443/api/v1/sites/t3`,
		run: runServe,
	}
}

func runServe(ctx context.Context, e *env, args []string) error {
	c := serveCommand()
	var o serveOptions
	fs := newFlags(c, e)
	d := bindData(fs, e)
	fs.StringVar(&o.addr, "addr", envOr(e, "HARBORWATCH_ADDR", "127.0.0.1:8443"), "listen on `HOST:PORT`")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate `FILE` (PEM; with --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS private key `FILE` (PEM; with --tls-cert)")
	fs.BoolVar(&o.insecure, "insecure-http", false, "serve plain HTTP instead of TLS (only on a loopback address)")
	fs.StringVar(&o.watch, "watch", "", "ingest captures dropped into `DIR`/SITE/ once, then move them to DIR/SITE/.done/")
	fs.Var(&o.exports, "export", "send finding changes to `SPEC`: syslog://HOST:PORT, syslog+tls://HOST:PORT or file:PATH (repeatable)")
	fs.StringVar(&o.exportCA, "export-ca", "", "verify syslog+tls export servers with the CA certificates in `FILE` (PEM) instead of the system's")
	fs.StringVar(&o.storeEvents, "store-events", envOr(e, "HARBORWATCH_STORE_EVENTS", server.EventsChanges), "which protocol events to keep: `WHICH` all, changes (all but reads: polling is most of an ICS network's events; they are counted) or none")
	fs.Var(&o.csaf, "csaf", "match every run's assets against the CSAF 2.0 advisories in `FILE|DIR` (repeatable; read at start), besides those imported with 'harborwatch vulns import'")
	fs.StringVar(&o.retain, "retain-events", envOr(e, "HARBORWATCH_RETAIN_EVENTS", ""), "delete events older than `D` of packet time (e.g. 30d, 12w; default: keep)")
	fs.StringVar(&o.reverify, "reverify", envOr(e, "HARBORWATCH_REVERIFY", ""), "re-verify every integrity baseline that has a path ('baseline path') every `D` (e.g. 24h, 7d; at start too)")
	fs.StringVar(&o.reverifyKey, "reverify-key", envOr(e, "HARBORWATCH_REVERIFY_KEY", ""), "the public key `FILE` the baselines are checked with (--reverify)")
	fs.StringVar(&o.maxUpload, "max-upload", "16GiB", "refuse uploads larger than `SIZE` with 413")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "also serve /metrics without a token on `HOST:PORT` (loopback only)")
	fs.StringVar(&o.nats, "nats", e.getenv("HARBORWATCH_NATS"), "store what sensors publish to NATS JetStream at `URL` (nats://HOST:PORT), or 'embedded': run a NATS server inside serve")
	fs.StringVar(&o.natsListen, "nats-listen", "127.0.0.1:4222", "with --nats embedded: listen on `HOST:PORT`")
	fs.StringVar(&o.natsDurable, "nats-durable", "harborwatch-serve", "the durable consumer's `NAME`")
	fs.StringVar(&o.natsSites, "nats-sites", "", "consume only these `SITES` (SITE1,SITE2; default: every site)")
	fs.IntVar(&o.workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers of each analysis (0 = one per CPU)")
	fs.StringVar(&o.flowMemory, "flow-memory", envOr(e, "HARBORWATCH_FLOW_MEMORY", "256MiB"), "`SIZE` memory budget of each analysis")
	logOpts := logFlags(fs, e)
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if !isSet(fs, "log-level") && e.getenv("HARBORWATCH_LOG_LEVEL") == "" {
		logOpts.level = "info"
	}
	if err := logOpts.start(e, fs, "serve"); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments, not %q", pos[0])
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return usagef("serve: --addr %q: want HOST:PORT", o.addr)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("serve: --tls-cert and --tls-key go together")
	}
	if o.insecure && (o.tlsCert != "" || !isLoopback(host)) {
		return usagef("serve: --insecure-http serves plain HTTP on a loopback address only (not %q), and without --tls-cert", host)
	}
	if o.metricsAddr != "" {
		mh, _, err := net.SplitHostPort(o.metricsAddr)
		if err != nil || !isLoopback(mh) {
			return usagef("serve: --metrics-addr %q: want a loopback HOST:PORT (it serves without a token)", o.metricsAddr)
		}
	}
	maxUpload, err := parseBytes(o.maxUpload)
	if err != nil || maxUpload <= 0 {
		return usagef("serve: --max-upload %q: want a size such as 4GiB", o.maxUpload)
	}
	flowMem, err := parseBytes(o.flowMemory)
	if err != nil {
		return usagef("serve: --flow-memory %q: %v", o.flowMemory, err)
	}
	reverify, reverifyKey, err := reverifyOptions(o.reverify, o.reverifyKey)
	if err != nil {
		return err
	}
	var retain time.Duration
	if o.retain != "" {
		if retain, err = auth.ParseDuration(o.retain); err != nil || retain <= 0 {
			return usagef("serve: --retain-events %q: want a duration such as 30d or 12w", o.retain)
		}
	}
	log := e.logger()
	var advs []*vuln.Advisory
	if len(o.csaf) > 0 {
		if advs, err = vuln.Load(o.csaf...); err != nil {
			return usagef("serve: --csaf: %v", err)
		}
		log.Info(fmt.Sprintf("loaded %d CSAF advisories", len(advs)))
	}
	var exps []export.Exporter
	defer func() {
		for _, x := range exps {
			x.Close()
		}
	}()
	for _, spec := range o.exports {
		x, err := export.Open(spec, export.Options{Logger: log, Version: Version, CAFile: o.exportCA})
		if err != nil {
			return usagef("serve: --export: %v", err)
		}
		exps = append(exps, x)
	}
	st, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	var tc *tls.Config
	scheme := "http"
	if !o.insecure {
		var cert tls.Certificate
		var fp string
		if o.tlsCert != "" {
			cert, fp, err = tlsself.Load(o.tlsCert, o.tlsKey)
		} else {
			var created bool
			var hosts []string
			if host != "" && !net.ParseIP(host).IsUnspecified() {
				hosts = []string{host}
			}
			cert, fp, created, err = tlsself.LoadOrCreate(filepath.Join(d.data, "tls"), hosts)
			if err == nil && created {
				log.Info("made a self-signed TLS certificate in " + filepath.Join(d.data, "tls"))
			}
		}
		if err != nil {
			return fmt.Errorf("serve: TLS: %w", err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
		fmt.Fprintf(e.stderr, "harborwatch serve: TLS certificate SHA-256 fingerprint %s\n", fp)
	}
	switch o.storeEvents {
	case server.EventsAll, server.EventsChanges, server.EventsNone:
	default:
		return usagef("serve: %s: want all, changes or none", given(e, fs, "store-events", o.storeEvents))
	}
	natsURL := o.nats
	if o.nats == "embedded" {
		ns, err := bus.StartEmbedded(o.natsListen, filepath.Join(d.data, "nats"))
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		defer ns.Shutdown()
		natsURL = ns.URL()
		fmt.Fprintf(e.stderr, "harborwatch serve: NATS with JetStream at %s (embedded; streams in %s)\n", natsURL, filepath.Join(d.data, "nats"))
	} else if o.nats != "" && !strings.HasPrefix(o.nats, "nats://") && !strings.HasPrefix(o.nats, "tls://") {
		return usagef("serve: --nats %q: want nats://HOST:PORT or embedded", o.nats)
	}
	srv, err := server.New(server.Config{Store: st, Data: d.data, MaxUpload: maxUpload, Workers: o.workers, FlowMemory: flowMem,
		StoreEvents: o.storeEvents, RetainEvents: retain, Watch: o.watch, Exporters: exps, Logger: log, TLS: tc != nil, Advisories: advs,
		Reverify: reverify, ReverifyKey: reverifyKey,
		NATS: natsURL, NATSDurable: o.natsDurable, NATSSites: splitList(o.natsSites)})
	if err != nil {
		return err
	}
	console, err := web.New(srv, log)
	if err != nil {
		return err
	}
	srv.Mount(console)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if o.metricsAddr != "" {
		mln, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("serve: metrics: %w", err)
		}
		ms := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second}
		go ms.Serve(mln)
		defer ms.Close()
	}
	fmt.Fprintf(e.stderr, "harborwatch serve: listening on %s://%s (data %s)\n", scheme, ln.Addr(), d.data)
	if ts, err := st.Tokens(ctx); err == nil && len(ts) == 0 {
		fmt.Fprintf(e.stderr, "harborwatch serve: no API token yet: make one with 'harborwatch token create --data %s --name NAME --role admin'\n", d.data)
	}
	err = srv.Serve(ctx, ln, tc)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "harborwatch serve: stopped")
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localActor names the person running a local command, for the audit log.
func localActor() string {
	u := os.Getenv("USER")
	if u == "" {
		u = "unknown"
	}
	return "local:" + u
}

func auditLocal(ctx context.Context, st store.Store, action, target, result string, detail string) error {
	_, err := st.Audit(ctx, store.AuditEntry{At: time.Now().UTC(), Actor: localActor(), Action: action, Target: target, Result: result, Detail: []byte(detail)})
	return err
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for x := range strings.SplitSeq(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
