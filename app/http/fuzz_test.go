package http

import (
	"errors"
	"testing"

	"harborwatch/internal/testutil"
)

func seedHTTP(f *testing.F) {
	for _, p := range testutil.Payloads(f, "testdata/curl_wget_python.pcap") {
		f.Add(p.Data)
	}
	for _, c := range requestCases(f) {
		f.Add(c.b)
	}
	for _, c := range responseCases(f) {
		f.Add(c.b)
	}
}

func isOneOf(err error, errs ...error) bool {
	for _, e := range errs {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func noCtl(t *testing.T, what string, b []byte) {
	t.Helper()
	if ctl(b) {
		t.Fatalf("%s %q holds a control character", what, b)
	}
}

func FuzzHTTPRequest(f *testing.F) {
	seedHTTP(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Request
		ProbeRequest(b)
		err := ParseRequest(b, &r)
		if err != nil && !isOneOf(err, ErrTruncated, ErrRequestLine, ErrHeader, ErrHost, ErrContentLength) {
			t.Fatalf("unexpected error %v", err)
		}
		if isOneOf(err, ErrTruncated, ErrRequestLine) {
			return
		}
		noCtl(t, "method", r.Method)
		noCtl(t, "target", r.Target)
		noCtl(t, "user agent", r.UserAgent)
		if len(r.Host) > MaxHost {
			t.Fatalf("host of %d octets", len(r.Host))
		}
		for _, c := range r.Host {
			if c <= ' ' || c >= 0x7f || 'A' <= c && c <= 'Z' {
				t.Fatalf("host %q holds %#x", r.Host, c)
			}
		}
		if r.HeaderLen > len(b) || (r.HeaderLen > 0) == r.Truncated {
			t.Fatalf("head %d of %d, truncated %t", r.HeaderLen, len(b), r.Truncated)
		}
		if r.HeaderLen == 0 {
			return
		}
		// The head alone parses the same.
		var h Request
		err2 := ParseRequest(b[:r.HeaderLen], &h)
		if err2 != err || showRequest(&h) != showRequest(&r) {
			t.Fatalf("head alone: %v %s, whole: %v %s", err2, showRequest(&h), err, showRequest(&r))
		}
	})
}

func FuzzHTTPResponse(f *testing.F) {
	seedHTTP(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Response
		probed := ProbeResponse(b)
		err := ParseResponse(b, &r)
		if err != nil && !isOneOf(err, ErrTruncated, ErrStatusLine, ErrHeader, ErrContentLength) {
			t.Fatalf("unexpected error %v", err)
		}
		if isOneOf(err, ErrTruncated, ErrStatusLine) {
			return
		}
		if r.Status < 100 || r.Status > 599 {
			t.Fatalf("status %d", r.Status)
		}
		if !probed && (string(r.Version) == "HTTP/1.1" || string(r.Version) == "HTTP/1.0") {
			t.Fatalf("ProbeResponse rejects a %s status line", r.Version)
		}
		noCtl(t, "reason", r.Reason)
		noCtl(t, "server", r.Server)
		if r.HeaderLen > len(b) || (r.HeaderLen > 0) == r.Truncated {
			t.Fatalf("head %d of %d, truncated %t", r.HeaderLen, len(b), r.Truncated)
		}
	})
}
