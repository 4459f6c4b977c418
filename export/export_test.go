package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSyslogHeaderAndCEF(t *testing.T) {
	r := newReceiver(t, listen(t, "127.0.0.1:0"))
	ex, err := Open("syslog://"+r.ln.Addr().String(), Options{Version: "1.2|3", Hostname: "crane host\n1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Export(context.Background(), change(KindNew, "HW-0123456789AB")); err != nil {
		t.Fatal(err)
	}
	if err := ex.Close(); err != nil {
		t.Fatal(err)
	}
	m := r.next(t)
	if strings.ContainsAny(m, "\r\n") {
		t.Errorf("message holds a raw line break: %q", m)
	}
	h := parseSyslog(t, m)
	want := syslogMsg{
		PRI:     "163", // local4 (20) * 8 + err (3) for a high finding
		Version: "1", Timestamp: "2026-11-02T09:01:02.123456Z", Hostname: "crane_host_1",
		AppName: "harborwatch", ProcID: strconv.Itoa(os.Getpid()), MsgID: "new", SD: "-", Msg: h.Msg,
	}
	if h != want {
		t.Errorf("header\n got %+v\nwant %+v", h, want)
	}
	const rawHeader = `CEF:0|harborwatch|harborwatch|1.2\|3|ics.write|Write \| rung=3 \\ path next|8|`
	if !strings.HasPrefix(h.Msg, rawHeader) {
		t.Errorf("CEF header\n got %q\nwant prefix %q", h.Msg, rawHeader)
	}
	const rawMsg = `msg=Write | rung\=3 \\ path\nnext; note: a\=b|c\\d\nline2`
	if !strings.HasSuffix(h.Msg, " "+rawMsg) {
		t.Errorf("CEF msg\n got %q\nwant suffix %q", h.Msg, rawMsg)
	}
	c, err := parseCEF(h.Msg)
	if err != nil {
		t.Fatalf("%v in %q", err, h.Msg)
	}
	wantHeader := []string{"harborwatch", "harborwatch", "1.2|3", "ics.write", "Write | rung=3 \\ path next", "8"}
	if fmt.Sprint(c.Header) != fmt.Sprint(wantHeader) {
		t.Errorf("header fields %q, want %q", c.Header, wantHeader)
	}
	wantExt := map[string]string{
		"rt": strconv.FormatInt(at.UnixMilli(), 10), "act": "new",
		"src": "10.1.2.3", "dst": "10.20.0.5", "dpt": "502", "proto": "TCP", "app": "modbus", "cnt": "7",
		"start": "1793610000010", "end": "1793610059999",
		"cs1": "HW-0123456789AB", "cs1Label": "findingId", "cs2": "t3", "cs2Label": "site",
		"cs3": "open", "cs3Label": "state", "cs4": "MSCI-SEG-3,USCG-SEG-2", "cs4Label": "controls",
		"cs5": "T0855,T0836", "cs5Label": "techniques", "cs6": "system", "cs6Label": "actor",
		"deviceExternalId": "crane host\n1",
		"msg":              "Write | rung=3 \\ path\nnext; note: a=b|c\\d\nline2",
	}
	if fmt.Sprint(c.Ext) != fmt.Sprint(wantExt) {
		t.Errorf("extension\n got %q\nwant %q", c.Ext, wantExt)
	}
}

func TestSyslogIPv6AndFacility(t *testing.T) {
	c := change(KindState, "HW-1")
	c.F.Src.IP = c.F.Src.IP.Prev() // still IPv4
	msg := formatSyslog(0, "h", "1", "dev", "h", c)
	if !strings.HasPrefix(msg, "<3>1 ") { // kern, err
		t.Errorf("PRI of a high finding on kern: %q", msg[:8])
	}
	c.F.Dst.IP = netip.MustParseAddr("fd00::5")
	p, err := parseCEF(formatCEF("dev", "h", c))
	if err != nil {
		t.Fatal(err)
	}
	if p.Ext["c6a3"] != "fd00::5" || p.Ext["dst"] != "" || p.Ext["src"] != "10.1.2.2" {
		t.Errorf("addresses: dst %q c6a3 %q src %q", p.Ext["dst"], p.Ext["c6a3"], p.Ext["src"])
	}
	if _, err := Open("syslog://127.0.0.1:514", Options{Facility: "local9"}); err == nil ||
		!strings.Contains(err.Error(), `unknown syslog facility "local9"`) {
		t.Errorf("facility local9: err %v", err)
	}
}

func TestSyslogTLS(t *testing.T) {
	ln, ca := selfSigned(t)
	r := newReceiver(t, ln)
	ex, err := Open("syslog+tls://"+ln.Addr().String(), fast(Options{CAFile: ca}))
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Export(context.Background(), change(KindReopened, "HW-TLS")); err != nil {
		t.Fatal(err)
	}
	h := parseSyslog(t, r.next(t))
	if h.MsgID != "reopened" || !strings.Contains(h.Msg, "cs1=HW-TLS ") {
		t.Errorf("got msgid %q, msg %q", h.MsgID, h.Msg)
	}
	if err := ex.Close(); err != nil {
		t.Fatal(err)
	}
	if s := ex.Stats(); s.Sent != 1 || s.Errors != 0 || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}

	// Without the CA the server's certificate does not verify: nothing is
	// delivered and Close says so.
	ex, err = Open("syslog+tls://"+ln.Addr().String(), fast(Options{CloseTimeout: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Export(context.Background(), change(KindNew, "HW-UNVERIFIED")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed handshake", func() bool { return ex.Stats().Errors > 0 })
	if err := ex.Close(); err == nil || !strings.Contains(err.Error(), "1 changes undelivered") {
		t.Errorf("Close: %v", err)
	}
	select {
	case m := <-r.frames:
		t.Errorf("delivered to an unverified server: %q", m)
	default:
	}
}

func TestReconnect(t *testing.T) {
	addr := freeAddr(t)
	ex, err := Open("syslog://"+addr, fast(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	for i := range 3 {
		if err := ex.Export(context.Background(), change(KindNew, fmt.Sprint("HW-", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "failed connections", func() bool { return ex.Stats().Errors >= 2 })
	r := newReceiver(t, listen(t, addr))
	for i := range 3 {
		if m := r.next(t); !strings.Contains(m, fmt.Sprintf("cs1=HW-%d ", i)) {
			t.Errorf("message %d: %q", i, m)
		}
	}
	waitFor(t, "3 sent", func() bool { return ex.Stats().Sent == 3 })

	// The server drops the connection: the next change goes over a new one.
	c := <-r.conns
	c.Close()
	time.Sleep(50 * time.Millisecond)
	if err := ex.Export(context.Background(), change(KindSeen, "HW-AFTER")); err != nil {
		t.Fatal(err)
	}
	if m := r.next(t); !strings.Contains(m, "cs1=HW-AFTER ") {
		t.Errorf("after the server closed: %q", m)
	}
	waitFor(t, "4 sent", func() bool { return ex.Stats().Sent == 4 })
	if s := ex.Stats(); s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

// logBuf is a concurrency-safe buffer for a slog handler.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestQueueOverflow(t *testing.T) {
	addr := freeAddr(t)
	var logs logBuf
	ex, err := Open("syslog://"+addr, fast(Options{Queue: 5, Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	ctx := context.Background()
	if err := ex.Export(ctx, change(KindNew, "HW-0")); err != nil {
		t.Fatal(err)
	}
	// HW-0 is being retried, out of the queue; 5 of the next 20 fit.
	waitFor(t, "a failed connection", func() bool { return ex.Stats().Errors > 0 })
	start := time.Now()
	for i := 1; i <= 20; i++ {
		if err := ex.Export(ctx, change(KindNew, fmt.Sprint("HW-", i))); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("20 exports to a down server took %v", d)
	}
	if s := ex.Stats(); s.Dropped != 15 || s.Queued != 5 || s.Sent != 0 {
		t.Errorf("stats %+v, want 15 dropped, 5 queued", s)
	}
	if n := strings.Count(logs.String(), "queue full"); n != 1 {
		t.Errorf("%d queue-full warnings, want 1:\n%s", n, logs.String())
	}
	r := newReceiver(t, listen(t, addr))
	for _, i := range []int{0, 16, 17, 18, 19, 20} {
		if m := r.next(t); !strings.Contains(m, fmt.Sprintf("cs1=HW-%d ", i)) {
			t.Errorf("want HW-%d, got %q", i, m)
		}
	}
	waitFor(t, "the drained log", func() bool { return strings.Contains(logs.String(), "export queue drained") })
	if !strings.Contains(logs.String(), "dropped=15") {
		t.Errorf("drain log without the count:\n%s", logs.String())
	}
	if s := ex.Stats(); s.Sent != 6 || s.Dropped != 15 || s.Queued != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestCloseTimeout(t *testing.T) {
	ex, err := Open("syslog://"+freeAddr(t), fast(Options{CloseTimeout: 100 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := ex.Export(context.Background(), change(KindNew, fmt.Sprint("HW-", i))); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	err = ex.Close()
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("Close took %v, want about 100ms", d)
	}
	if err == nil || !strings.Contains(err.Error(), "3 changes undelivered") {
		t.Errorf("Close: %v", err)
	}
	if s := ex.Stats(); s.Dropped != 3 || s.Sent != 0 {
		t.Errorf("stats %+v", s)
	}
	if err := ex.Export(context.Background(), change(KindNew, "HW-LATE")); !errors.Is(err, ErrClosed) {
		t.Errorf("Export after Close: %v", err)
	}
	if err := ex.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestFileECS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "findings.jsonl")
	for range 2 { // the second Open appends
		ex, err := Open("file:"+path, Options{Version: "1.0", Hostname: "sensor-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := ex.Export(context.Background(), change(KindNew, "HW-A")); err != nil {
			t.Fatal(err)
		}
		c := change(KindState, "HW-B")
		c.F.State, c.F.Reason, c.Actor = "acknowledged", "vendor window", "user:cso"
		if err := ex.Export(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if err := ex.Close(); err != nil {
			t.Fatal(err)
		}
		if s := ex.Stats(); s.Sent != 2 || s.Dropped != 0 || s.Errors != 0 {
			t.Errorf("stats %+v", s)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("line %d: %v: %s", len(docs)+1, err, sc.Text())
		}
		docs = append(docs, d)
	}
	if len(docs) != 4 {
		t.Fatalf("%d lines, want 4", len(docs))
	}
	want := map[string]any{
		"@timestamp": "2026-11-02T09:01:02.123456789Z", "ecs.version": "8.11.0",
		"event.kind": "alert", "event.category": []any{"network", "intrusion_detection"},
		"event.action": "new", "event.severity": 73.0, "event.id": "HW-A",
		"event.start": "2026-11-02T09:00:00.01Z", "event.end": "2026-11-02T09:00:59.999Z",
		"rule.id": "ics.write", "rule.name": "Write | rung=3 \\ path\nnext",
		"source.ip": "10.1.2.3", "source.mac": "00-1D-9C-AA-BB-CC",
		"destination.ip": "10.20.0.5", "destination.port": 502.0,
		"network.transport": "tcp", "network.protocol": "modbus",
		"observer.vendor": "harborwatch", "observer.product": "harborwatch", "observer.version": "1.0",
		"labels.site": "t3", "harborwatch.state": "open", "harborwatch.actor": "system",
		"harborwatch.controls":    []any{"MSCI-SEG-3", "USCG-SEG-2"},
		"harborwatch.source_zone": "business", "harborwatch.detail.note": "a=b|c\\d\r\nline2",
		"threat.technique.id": []any{"T0855", "T0836"},
		"message":             "Write | rung=3 \\ path\nnext; note: a=b|c\\d\r\nline2",
	}
	for k, v := range want {
		if got := lookup(docs[0], k); fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	for k, v := range map[string]any{
		"event.action": "state", "harborwatch.state": "acknowledged", "harborwatch.reason": "vendor window",
		"harborwatch.actor": "user:cso", "message": "Write | rung=3 \\ path\nnext; reason: vendor window; note: a=b|c\\d\r\nline2",
	} {
		if got := lookup(docs[3], k); got != v {
			t.Errorf("line 4: %s = %#v, want %#v", k, got, v)
		}
	}
}

func TestFileUnencodableDetail(t *testing.T) {
	ex, err := Open("file:"+filepath.Join(t.TempDir(), "f.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	c := change(KindNew, "HW-NAN")
	c.F.Detail = map[string]any{"ratio": math.NaN()}
	if err := ex.Export(context.Background(), c); err == nil || !strings.Contains(err.Error(), "finding HW-NAN") {
		t.Errorf("Export of a NaN detail: %v", err)
	}
	if s := ex.Stats(); s.Queued != 0 || s.Sent != 0 {
		t.Errorf("stats %+v", s)
	}
}

// lookup returns the value at a dotted path of nested objects.
func lookup(d map[string]any, path string) any {
	if v, ok := d[path]; ok {
		return v
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return nil
	}
	m, _ := d[head].(map[string]any)
	if m == nil {
		return nil
	}
	return lookup(m, rest)
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec string
		opts Options
		want string
	}{
		{"x", Options{}, `export "x": scheme must be syslog, syslog+tls or file`},
		{"http://siem:514", Options{}, `export "http://siem:514": scheme must be syslog, syslog+tls or file`},
		{"syslog:siem:514", Options{}, `want syslog://HOST:PORT`},
		{"syslog://siem", Options{}, `export "syslog://siem": want syslog://HOST:PORT (host and port are required)`},
		{"syslog://siem:0", Options{}, `port "0": want 1 to 65535`},
		{"syslog://siem:70000", Options{}, `port "70000": want 1 to 65535`},
		{"syslog://siem:514/x", Options{}, `nothing after the port`},
		{"syslog+tls://siem:6514", Options{CAFile: filepath.Join(dir, "none.pem")}, `CA file: open`},
		{"file:", Options{}, `export "file:": file: needs a path`},
		{"file:" + filepath.Join(dir, "no", "such"), Options{}, `no such file or directory`},
		{"syslog://siem:514", Options{Queue: -1}, `queue size -1: must not be negative`},
	} {
		ex, err := Open(tc.spec, tc.opts)
		if err == nil {
			ex.Close()
			t.Errorf("%s: no error", tc.spec)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.spec, err, tc.want)
		}
	}
	notPEM := filepath.Join(dir, "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	if _, err := Open("syslog+tls://siem:6514", Options{CAFile: notPEM}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("CA file without a certificate: %v", err)
	}
}

// FuzzCEF checks that no input breaks a CEF line out of its one line or
// its 7 header separators, and that a receiver gets the values back.
func FuzzCEF(f *testing.F) {
	f.Add("1.0", "ics.write", "Write | rung=3 \\ path\nnext", "a=b|c\\d\r\nline2", "host")
	f.Add("\\|", "|||", "\\", "\\", "=")
	f.Add("", "", "", "", "")
	f.Add("\u2028", "\x00\x85", "\xff\xfe", "\\n", "a\\=b")
	f.Fuzz(func(t *testing.T, version, rule, title, detail, device string) {
		c := change(KindNew, "HW-F")
		c.F.Rule, c.F.Title, c.F.Detail = rule, title, map[string]any{"d": detail}
		s := formatCEF(version, device, c)
		if strings.ContainsAny(s, "\r\n\u2028\u2029") {
			t.Fatalf("line break in %q", s)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 in %q", s)
		}
		p, err := parseCEF(s)
		if err != nil {
			t.Fatalf("%v in %q", err, s)
		}
		clean := func(s string) string {
			s = strings.ToValidUTF8(s, "\uFFFD")
			return strings.Map(func(r rune) rune {
				if isControl(r) {
					return ' '
				}
				return r
			}, s)
		}
		if p.Header[2] != clean(version) || p.Header[3] != clean(rule) || p.Header[4] != clean(title) {
			t.Fatalf("header %q from %q %q %q", p.Header, version, rule, title)
		}
		wantMsg := truncate(title+"; d: "+detail, maxCEFMsg)
		if p.Ext["msg"] != cleanValue(wantMsg) {
			t.Fatalf("msg %q, want %q", p.Ext["msg"], cleanValue(wantMsg))
		}
		if p.Ext["deviceExternalId"] != cleanValue(device) || p.Ext["cs1"] != "HW-F" {
			t.Fatalf("extension %q", p.Ext)
		}
	})
}

// cleanValue is what a receiver gets back of an extension value s.
func cleanValue(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\r' && isControl(r) {
			return ' '
		}
		return r
	}, s)
}
