package export

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"harborwatch/finding"
)

// facilities are the syslog facilities by name, in code order (RFC 5424
// table 1).
var facilities = []string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// facility returns the code of a facility name.
func facility(name string) (int, error) {
	if i := slices.Index(facilities, name); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("unknown syslog facility %q (want kern, user, …, local0 to local7)", name)
}

// syslogSeverity maps a finding's severity to a syslog severity: critical
// → 2 (crit), high → 3 (err), medium → 4 (warning), low → 5 (notice),
// anything else → 6 (info).
func syslogSeverity(s finding.Severity) int {
	switch s {
	case finding.Critical:
		return 2
	case finding.High:
		return 3
	case finding.Medium:
		return 4
	case finding.Low:
		return 5
	}
	return 6
}

// RFC 5424 header field limits.
const (
	maxHostname = 255
	maxProcID   = 128
	maxMsgID    = 32
)

// syslogFormatter returns the formatter of octet-counted RFC 5424 frames
// carrying CEF.
func syslogFormatter(o Options, fac int) func(Change) ([]byte, error) {
	host := headerField(o.Hostname, maxHostname)
	procID := strconv.Itoa(os.Getpid())
	return func(c Change) ([]byte, error) {
		msg := formatSyslog(fac, host, procID, o.Version, o.Hostname, c)
		return frame(msg), nil
	}
}

// formatSyslog returns one RFC 5424 message:
//
//	<PRI>1 TIMESTAMP HOSTNAME harborwatch PROCID MSGID - CEF:0|…
//
// PRI is the facility times 8 plus the severity of the finding; MSGID is
// the change's kind; there is no structured data.
func formatSyslog(fac int, host, procID, version, deviceID string, c Change) string {
	pri := fac*8 + syslogSeverity(c.F.Severity)
	ts := c.At.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	return fmt.Sprintf("<%d>1 %s %s harborwatch %s %s - %s", pri, ts, host,
		headerField(procID, maxProcID), headerField(c.Kind, maxMsgID), formatCEF(version, deviceID, c))
}

// headerField makes s an RFC 5424 header field: printable US-ASCII
// without space (other bytes become '_'), at most n bytes, "-" (the nil
// value) when empty.
func headerField(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	if len(b) > n {
		b = b[:n]
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

// frame frames msg by octet counting (RFC 6587 3.4.1): its length in
// bytes, a space, then msg.
func frame(msg string) []byte {
	b := make([]byte, 0, len(msg)+8)
	b = strconv.AppendInt(b, int64(len(msg)), 10)
	b = append(b, ' ')
	return append(b, msg...)
}

// netSink writes frames to a syslog server over TCP or TLS.
type netSink struct {
	addr                      string
	tls                       *tls.Config // nil: plain TCP
	dialTimeout, writeTimeout time.Duration

	mu   sync.Mutex
	conn net.Conn
}

func (s *netSink) String() string { return s.addr }

// connect dials the server unless a connection is up and the server has
// not closed it.
func (s *netSink) connect(ctx context.Context) error {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		if alive(c) {
			return nil
		}
		s.disconnect()
	}
	ctx, cancel := context.WithTimeout(ctx, s.dialTimeout)
	defer cancel()
	var err error
	if s.tls != nil {
		d := tls.Dialer{Config: s.tls}
		c, err = d.DialContext(ctx, "tcp", s.addr)
	} else {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	return nil
}

func (s *netSink) write(b []byte) error {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return errors.New("not connected")
	}
	if err := c.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil {
		return err
	}
	_, err := c.Write(b)
	return err
}

// flush does nothing: each frame is written as it comes.
func (s *netSink) flush() error { return nil }

func (s *netSink) disconnect() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

func (s *netSink) close() error {
	s.disconnect()
	return nil
}
