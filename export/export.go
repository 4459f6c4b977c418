// Package export sends the findings of harborwatch serve, as they change,
// to a SOC: to a SIEM over syslog (RFC 5424 messages carrying ArcSight CEF,
// over TCP or TLS with RFC 6587 octet-counting framing) or to a file of
// JSON lines with Elastic Common Schema (ECS) field names.
//
// An Exporter never blocks its caller: Export formats the change and puts
// it on a bounded queue that one goroutine drains. While the destination
// is down the goroutine reconnects with capped exponential backoff and the
// queue fills; when it is full the oldest change is dropped and counted
// (Stats), and a burst of drops is logged once. Close delivers what it can
// within Options.CloseTimeout.
package export

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"harborwatch/store"
)

// Change kinds: what happened to the finding.
const (
	KindNew      = "new"      // first seen
	KindSeen     = "seen"     // seen again in a run
	KindState    = "state"    // its state changed (acknowledged, resolved, suppressed…)
	KindReopened = "reopened" // a resolved finding seen again
)

// Change is a finding as it changed: what happened (Kind, one of the Kind*
// constants), when (At, wall clock; zero means the time of Export), who
// made it happen (Actor: "system" for a run, else "user:NAME" or
// "token:NAME") and the finding after the change.
type Change struct {
	Kind  string
	At    time.Time
	Actor string
	F     store.Finding
}

// Stats counts what an Exporter did with the changes given to it.
type Stats struct {
	Sent    uint64 // delivered (written to the connection or the file)
	Dropped uint64 // dropped: the queue was full, or Close ran out of time
	Errors  uint64 // failed connections and writes (each is retried)
	Queued  int    // waiting in the queue now
}

// Exporter sends changes to one destination. Its methods are safe for
// concurrent use.
type Exporter interface {
	// Export queues a change for delivery. It does not block: when the
	// queue is full the oldest change is dropped. It fails when the change
	// cannot be formatted or the Exporter is closed.
	Export(ctx context.Context, c Change) error
	// Close delivers the queued changes within Options.CloseTimeout,
	// drops the rest and releases the connection or file. It reports how
	// many changes it could not deliver.
	Close() error
	// Stats returns the counters so far.
	Stats() Stats
}

// ErrClosed is returned by Export after Close.
var ErrClosed = errors.New("exporter closed")

// Options tune an Exporter. The zero value is usable.
type Options struct {
	// Version is the product version in the CEF header and ECS
	// observer.version; "" → "dev".
	Version string
	// Hostname is the RFC 5424 HOSTNAME and the CEF deviceExternalId;
	// "" → the machine's host name.
	Hostname string
	// Facility is the syslog facility by name (kern, user, …, local0 …
	// local7); "" → local4.
	Facility string

	// TLS configures syslog+tls connections; nil → verify the server
	// with the system roots (or CAFile) against the host of the spec.
	TLS *tls.Config
	// CAFile is a PEM file of certificates that replace the roots that
	// verify a syslog+tls server.
	CAFile string

	// Queue is how many changes wait for delivery at most; 0 → 10,000.
	Queue int
	// CloseTimeout bounds Close; 0 → 5 s.
	CloseTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts, which doubles from MinBackoff up to MaxBackoff; 0 →
	// 250 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout bounds a connection attempt and WriteTimeout one write;
	// 0 → 10 s each.
	DialTimeout, WriteTimeout time.Duration

	// Logger, when not nil, is told of connection failures and of bursts
	// of dropped changes (once per burst).
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "-"
		}
		o.Hostname = h
	}
	if o.Facility == "" {
		o.Facility = "local4"
	}
	if o.Queue < 0 {
		return o, fmt.Errorf("queue size %d: must not be negative", o.Queue)
	}
	if o.Queue == 0 {
		o.Queue = 10000
	}
	o.CloseTimeout = orDefault(o.CloseTimeout, 5*time.Second)
	o.MinBackoff = orDefault(o.MinBackoff, 250*time.Millisecond)
	o.MaxBackoff = max(orDefault(o.MaxBackoff, 30*time.Second), o.MinBackoff)
	o.DialTimeout = orDefault(o.DialTimeout, 10*time.Second)
	o.WriteTimeout = orDefault(o.WriteTimeout, 10*time.Second)
	return o, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Open returns an Exporter for spec:
//
//	syslog://HOST:PORT      RFC 5424 + CEF over TCP, octet-counted
//	syslog+tls://HOST:PORT  the same over TLS
//	file:PATH               ECS JSON lines appended to PATH
//
// The file is opened (created if need be) now, so that a path that cannot
// be written fails here; a syslog server is connected in the background.
func Open(spec string, opts Options) (Exporter, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("export %q: %w", spec, err)
	}
	fac, err := facility(o.Facility)
	if err != nil {
		return nil, fmt.Errorf("export %q: %w", spec, err)
	}
	if path, ok := strings.CutPrefix(spec, "file:"); ok {
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, fmt.Errorf("export %q: file: needs a path (file:PATH)", spec)
		}
		fs, err := openFileSink(path)
		if err != nil {
			return nil, fmt.Errorf("export %q: %w", spec, err)
		}
		return start(spec, o, fs, ecsFormatter(o)), nil
	}
	u, err := url.Parse(spec)
	if err != nil || (u.Scheme != "syslog" && u.Scheme != "syslog+tls") {
		return nil, fmt.Errorf("export %q: scheme must be syslog, syslog+tls or file", spec)
	}
	addr, err := syslogAddr(u)
	if err != nil {
		return nil, fmt.Errorf("export %q: %w", spec, err)
	}
	var tc *tls.Config
	if u.Scheme == "syslog+tls" {
		if tc, err = tlsConfig(o, u.Hostname()); err != nil {
			return nil, fmt.Errorf("export %q: %w", spec, err)
		}
	}
	ns := &netSink{addr: addr, tls: tc, dialTimeout: o.DialTimeout, writeTimeout: o.WriteTimeout}
	return start(spec, o, ns, syslogFormatter(o, fac)), nil
}

// syslogAddr checks that u is scheme://HOST:PORT and nothing more.
func syslogAddr(u *url.URL) (string, error) {
	if u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("want %s://HOST:PORT and nothing after the port", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || port == "" {
		return "", fmt.Errorf("want %s://HOST:PORT (host and port are required)", u.Scheme)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q: want 1 to 65535", port)
	}
	return net.JoinHostPort(host, port), nil
}

// tlsConfig returns the client configuration for a syslog+tls server.
func tlsConfig(o Options, host string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLS != nil {
		tc = o.TLS.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", o.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
