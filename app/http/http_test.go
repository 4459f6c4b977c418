package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

func showRequest(r *Request) string {
	host := "<nil>"
	if r.Host != nil {
		host = strconv.Quote(string(r.Host))
	}
	return fmt.Sprintf("%s %q %s host=%s ua=%q cl=%d chunked=%t head=%d truncated=%t",
		r.Method, r.Target, r.Version, host, r.UserAgent, r.ContentLength, r.Chunked, r.HeaderLen, r.Truncated)
}

func showResponse(r *Response) string {
	return fmt.Sprintf("%s %d %q server=%q cl=%d chunked=%t head=%d truncated=%t",
		r.Version, r.Status, r.Reason, r.Server, r.ContentLength, r.Chunked, r.HeaderLen, r.Truncated)
}

// Requests of curl 7.88 and wget 1.21 and responses of Python's
// http.server captured on loopback; expected values as tshark 4.0 decodes
// the same frames.
func TestParseCaptured(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/curl_wget_python.pcap")
	requests := []struct {
		name  string
		frame int
		want  string
	}{
		{"curl GET", 4, `GET "/index.html" HTTP/1.1 host="127.0.0.1" ua="curl/7.88.1" cl=-1 chunked=false head=88 truncated=false`},
		{"curl Host with port", 16, `GET "/" HTTP/1.1 host="crane01.sts.example.org" ua="curl/7.88.1" cl=-1 chunked=false head=92 truncated=false`},
		{"curl IPv6", 28, `GET "/index.html?x=1" HTTP/1.1 host="::1" ua="curl/7.88.1" cl=-1 chunked=false head=88 truncated=false`},
		{"curl through a proxy", 40, `GET "http://plc.crane01.sts.example.org/status" HTTP/1.1 host="plc.crane01.sts.example.org" ua="curl/7.88.1" cl=-1 chunked=false head=161 truncated=false`},
		{"curl POST", 52, `POST "/write" HTTP/1.1 host="127.0.0.1" ua="curl/7.88.1" cl=14 chunked=false head=153 truncated=false`},
		{"curl HEAD", 64, `HEAD "/missing" HTTP/1.1 host="127.0.0.1" ua="curl/7.88.1" cl=-1 chunked=false head=86 truncated=false`},
		{"wget", 74, `GET "/index.html" HTTP/1.1 host="127.0.0.1" ua="Wget/1.21.3" cl=-1 chunked=false head=139 truncated=false`},
	}
	var req Request
	for _, tt := range requests {
		t.Run(tt.name, func(t *testing.T) {
			b := frames[tt.frame]
			if b == nil {
				t.Fatalf("frame %d missing from testdata", tt.frame)
			}
			if !ProbeRequest(b) || ProbeResponse(b) {
				t.Error("probes disagree")
			}
			if err := ParseRequest(b, &req); err != nil {
				t.Fatal(err)
			}
			if got := showRequest(&req); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	responses := []struct {
		name  string
		frame int
		want  string
	}{
		{"200", 6, `HTTP/1.0 200 "OK" server="SimpleHTTP/0.6 Python/3.11.7" cl=6 chunked=false head=184 truncated=false`},
		{"404", 42, `HTTP/1.0 404 "File not found" server="SimpleHTTP/0.6 Python/3.11.7" cl=335 chunked=false head=185 truncated=false`},
		{"501", 54, `HTTP/1.0 501 "Unsupported method ('POST')" server="SimpleHTTP/0.6 Python/3.11.7" cl=357 chunked=false head=198 truncated=false`},
		{"404 to HEAD", 66, `HTTP/1.0 404 "File not found" server="SimpleHTTP/0.6 Python/3.11.7" cl=335 chunked=false head=185 truncated=false`},
	}
	var resp Response
	for _, tt := range responses {
		t.Run(tt.name, func(t *testing.T) {
			b := frames[tt.frame]
			if b == nil {
				t.Fatalf("frame %d missing from testdata", tt.frame)
			}
			if !ProbeResponse(b) || ProbeRequest(b) {
				t.Error("probes disagree")
			}
			if err := ParseResponse(b, &resp); err != nil {
				t.Fatal(err)
			}
			if got := showResponse(&resp); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// goRequest returns the bytes net/http's client writes for req, in
// absolute form when proxy is set.
func goRequest(t testing.TB, method, url string, body io.Reader, proxy bool, hdr ...string) []byte {
	t.Helper()
	req, err := nethttp.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	var buf bytes.Buffer
	if proxy {
		err = req.WriteProxy(&buf)
	} else {
		err = req.Write(&buf)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type requestCase struct {
	name    string
	b       []byte
	wantErr error
	want    string
}

// requestCases are requests for TestParseRequest and FuzzHTTPRequest.
func requestCases(t testing.TB) []requestCase {
	long := strings.Repeat("h", MaxHost+1)
	return []requestCase{
		{"net/http GET", goRequest(t, "GET", "http://PLC.Crane01.local:8080/cgi-bin/status?x=1", nil, false), nil,
			`GET "/cgi-bin/status?x=1" HTTP/1.1 host="plc.crane01.local" ua="Go-http-client/1.1" cl=-1 chunked=false head=98 truncated=false`},
		{"net/http through a proxy", goRequest(t, "GET", "http://hmi.local/login", nil, true), nil,
			`GET "http://hmi.local/login" HTTP/1.1 host="hmi.local" ua="Go-http-client/1.1" cl=-1 chunked=false head=88 truncated=false`},
		{"net/http chunked POST", goRequest(t, "POST", "http://[fd00:20::12]:80/upload", io.MultiReader(strings.NewReader("x")), false,
			"User-Agent", "ZPMC-Updater/2.1"), nil,
			`POST "/upload" HTTP/1.1 host="fd00:20::12" ua="ZPMC-Updater/2.1" cl=-1 chunked=true head=107 truncated=false`},
		{"HTTP/1.0 without Host", []byte("GET /cgi-bin/read.cgi HTTP/1.0\r\n\r\n"), nil,
			`GET "/cgi-bin/read.cgi" HTTP/1.0 host=<nil> ua="" cl=-1 chunked=false head=34 truncated=false`},
		{"empty Host", []byte("GET / HTTP/1.1\r\nHost:\r\n\r\n"), nil,
			`GET "/" HTTP/1.1 host="" ua="" cl=-1 chunked=false head=25 truncated=false`},
		{"Host with empty port", []byte("GET / HTTP/1.1\r\nHost: plc:\r\n\r\n"), nil,
			`GET "/" HTTP/1.1 host="plc" ua="" cl=-1 chunked=false head=30 truncated=false`},
		{"IPv6 with zone", []byte("GET / HTTP/1.1\r\nHost: [FE80::1%25eth0]:8080\r\n\r\n"), nil,
			`GET "/" HTTP/1.1 host="fe80::1%25eth0" ua="" cl=-1 chunked=false head=47 truncated=false`},
		{"absolute form overrides Host", []byte("GET http://gateway.logink.cn:8443/api HTTP/1.1\r\nHost: decoy.local\r\n\r\n"), nil,
			`GET "http://gateway.logink.cn:8443/api" HTTP/1.1 host="gateway.logink.cn" ua="" cl=-1 chunked=false head=69 truncated=false`},
		{"absolute form without authority", []byte("GET urn:x HTTP/1.1\r\nHost: a\r\n\r\n"), nil,
			`GET "urn:x" HTTP/1.1 host="a" ua="" cl=-1 chunked=false head=31 truncated=false`},
		{"CONNECT", []byte("CONNECT Gateway.LOGINK.cn:443 HTTP/1.1\r\nHost: gateway.logink.cn:443\r\nUser-Agent: curl/7.88.1\r\n\r\n"), nil,
			`CONNECT "Gateway.LOGINK.cn:443" HTTP/1.1 host="gateway.logink.cn" ua="curl/7.88.1" cl=-1 chunked=false head=96 truncated=false`},
		{"OPTIONS *", []byte("OPTIONS * HTTP/1.1\r\nHost: plc\r\n\r\n"), nil,
			`OPTIONS "*" HTTP/1.1 host="plc" ua="" cl=-1 chunked=false head=33 truncated=false`},
		{"extension method", []byte("PROPFIND /dav/ HTTP/1.1\r\nhost: nas\r\n\r\n"), nil,
			`PROPFIND "/dav/" HTTP/1.1 host="nas" ua="" cl=-1 chunked=false head=38 truncated=false`},
		{"bare LF", []byte("GET / HTTP/1.1\nHost: a\nUser-Agent: b\n\n"), nil,
			`GET "/" HTTP/1.1 host="a" ua="b" cl=-1 chunked=false head=38 truncated=false`},
		{"folded User-Agent keeps its first line", []byte("GET / HTTP/1.1\r\nUser-Agent: Mozilla/4.0\r\n (compatible)\r\nHost: a\r\n\r\n"), nil,
			`GET "/" HTTP/1.1 host="a" ua="Mozilla/4.0" cl=-1 chunked=false head=67 truncated=false`},
		{"first User-Agent kept", []byte("GET / HTTP/1.1\r\nUser-Agent: a\r\nUser-Agent: b\r\n\r\n"), nil,
			`GET "/" HTTP/1.1 host=<nil> ua="a" cl=-1 chunked=false head=48 truncated=false`},
		{"Content-Length list", []byte("POST / HTTP/1.1\r\nContent-Length: 12, 12\r\n\r\n"), nil,
			`POST "/" HTTP/1.1 host=<nil> ua="" cl=12 chunked=false head=43 truncated=false`},
		{"Transfer-Encoding over two lines", []byte("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: CHUNKED\r\n\r\n"), nil,
			`POST "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=true head=72 truncated=false`},
		{"chunked not last", []byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), nil,
			`POST "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=53 truncated=false`},
		{"head cut by the segment", []byte("GET /a HTTP/1.1\r\nHost: plc.local\r\nUser-Ag"), nil,
			`GET "/a" HTTP/1.1 host="plc.local" ua="" cl=-1 chunked=false head=0 truncated=true`},
		{"request line only", []byte("GET /a HTTP/1.1\r\n"), nil,
			`GET "/a" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=0 truncated=true`},
		{"body after the head", []byte("POST /w HTTP/1.1\r\nContent-Length: 3\r\n\r\nGET"), nil,
			`POST "/w" HTTP/1.1 host=<nil> ua="" cl=3 chunked=false head=39 truncated=false`},

		{"request line cut", []byte("GET /index.ht"), ErrTruncated, ""},
		{"method cut", []byte("PO"), ErrTruncated, ""},
		{"empty", nil, ErrTruncated, ""},
		{"binary", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}, ErrRequestLine, ""},
		{"binary with a space", []byte("\x00\x01 x"), ErrRequestLine, ""},
		{"no version", []byte("GET /\r\n\r\n"), ErrRequestLine, ""},
		{"two spaces", []byte("GET  / HTTP/1.1\r\n\r\n"), ErrRequestLine, ""},
		{"trailing text", []byte("GET / HTTP/1.1 x\r\n\r\n"), ErrRequestLine, ""},
		{"bad version", []byte("GET / HTTP/1\r\n\r\n"), ErrRequestLine, ""},
		{"control in the target", []byte("GET /a\x1bb HTTP/1.1\r\n\r\n"), ErrRequestLine, ""},
		{"method with a slash", []byte("GE/T / HTTP/1.1\r\n\r\n"), ErrRequestLine, ""},
		{"RTSP", []byte("DESCRIBE rtsp://cam/1 RTSP/1.0\r\n\r\n"), ErrRequestLine, ""},
		{"two Host fields", []byte("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host="a" ua="" cl=-1 chunked=false head=36 truncated=false`},
		{"folded Host", []byte("GET / HTTP/1.1\r\nHost: a\r\n b\r\nUser-Agent: c\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host="a" ua="c" cl=-1 chunked=false head=46 truncated=false`},
		{"space in Host", []byte("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=29 truncated=false`},
		{"bare IPv6 Host", []byte("GET / HTTP/1.1\r\nHost: fe80::1\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=33 truncated=false`},
		{"unclosed bracket", []byte("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=30 truncated=false`},
		{"text after bracket", []byte("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=32 truncated=false`},
		{"port not a number", []byte("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=29 truncated=false`},
		{"Host too long", []byte("GET / HTTP/1.1\r\nHost: " + long + "\r\n\r\n"), ErrHost,
			`GET "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=` + strconv.Itoa(26+len(long)) + ` truncated=false`},
		{"bad authority in the target", []byte("GET http://a b/ HTTP/1.1\r\n\r\n"), ErrRequestLine, ""},
		{"bad authority in the target, Host ignored", []byte("GET http://a\"b/x HTTP/1.1\r\nHost: b\r\n\r\n"), ErrHost,
			`GET "http://a\"b/x" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=38 truncated=false`},
		{"userinfo in the target", []byte("GET ftp://admin:crane@10.20.1.12:2121/fw.bin HTTP/1.1\r\n\r\n"), nil,
			`GET "ftp://admin:crane@10.20.1.12:2121/fw.bin" HTTP/1.1 host="10.20.1.12" ua="" cl=-1 chunked=false head=57 truncated=false`},
		{"space before the colon", []byte("GET / HTTP/1.1\r\nHost : a\r\nUser-Agent: u\r\n\r\n"), ErrHeader,
			`GET "/" HTTP/1.1 host=<nil> ua="u" cl=-1 chunked=false head=43 truncated=false`},
		{"line without a colon", []byte("GET / HTTP/1.1\r\nHost: a\r\nnonsense\r\n\r\n"), ErrHeader,
			`GET "/" HTTP/1.1 host="a" ua="" cl=-1 chunked=false head=37 truncated=false`},
		{"control in a value", []byte("GET / HTTP/1.1\r\nUser-Agent: a\x00b\r\nHost: h\r\n\r\n"), ErrHeader,
			`GET "/" HTTP/1.1 host="h" ua="" cl=-1 chunked=false head=44 truncated=false`},
		{"Content-Length list differs", []byte("POST / HTTP/1.1\r\nContent-Length: 12, 13\r\n\r\n"), ErrContentLength,
			`POST "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=43 truncated=false`},
		{"two Content-Length fields differ", []byte("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), ErrContentLength,
			`POST "/" HTTP/1.1 host=<nil> ua="" cl=1 chunked=false head=57 truncated=false`},
		{"negative Content-Length", []byte("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), ErrContentLength,
			`POST "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=39 truncated=false`},
		{"Content-Length of 19 digits", []byte("POST / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n"), ErrContentLength,
			`POST "/" HTTP/1.1 host=<nil> ua="" cl=-1 chunked=false head=56 truncated=false`},
	}
}

func TestParseRequest(t *testing.T) {
	var r Request
	for _, tt := range requestCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseRequest(tt.b, &r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.want == "" {
				return
			}
			if got := showRequest(&r); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// Cut at every byte, a request gives ErrTruncated until its request line
// is complete, then the fields of the complete lines with Truncated set.
func TestParseRequestEveryCut(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/curl_wget_python.pcap")
	var full, r Request
	for _, n := range []int{4, 16, 28, 40, 52, 74} {
		b := frames[n]
		t.Run(fmt.Sprintf("frame %d", n), func(t *testing.T) {
			if err := ParseRequest(b, &full); err != nil {
				t.Fatal(err)
			}
			lineEnd := bytes.IndexByte(b, '\n') + 1
			hostEnd := bytes.Index(b, []byte("\r\nUser-Agent")) + 2
			for i := 0; i <= len(b); i++ {
				err := ParseRequest(b[:i], &r)
				if i < lineEnd {
					if !errors.Is(err, ErrTruncated) {
						t.Fatalf("cut %d: %v, want ErrTruncated", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cut %d: %v", i, err)
				}
				if r.Truncated != (i < full.HeaderLen) {
					t.Fatalf("cut %d: Truncated = %t", i, r.Truncated)
				}
				if gotHost := r.Host != nil; gotHost != (i >= hostEnd || n == 40) {
					t.Fatalf("cut %d: host %q", i, r.Host)
				}
				if i >= full.HeaderLen && showRequest(&r) != showRequest(&full) {
					t.Fatalf("cut %d: %s, want %s", i, showRequest(&r), showRequest(&full))
				}
			}
		})
	}
}

type responseCase struct {
	name    string
	b       []byte
	wantErr error
	want    string
}

// goResponse returns the bytes net/http writes for a response.
func goResponse(t testing.TB, status int, length int64, te []string, body string, hdr ...string) []byte {
	t.Helper()
	resp := &nethttp.Response{
		StatusCode: status, ProtoMajor: 1, ProtoMinor: 1,
		Header:        nethttp.Header{},
		ContentLength: length, TransferEncoding: te,
		Body: io.NopCloser(strings.NewReader(body)),
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		resp.Header.Set(hdr[i], hdr[i+1])
	}
	var buf bytes.Buffer
	if err := resp.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// responseCases are responses for TestParseResponse and FuzzHTTPResponse.
func responseCases(t testing.TB) []responseCase {
	return []responseCase{
		{"net/http chunked", goResponse(t, 200, -1, []string{"chunked"}, "streamed", "Server", "CraneWeb/3.2"), nil,
			`HTTP/1.1 200 "OK" server="CraneWeb/3.2" cl=-1 chunked=true head=69 truncated=false`},
		{"net/http close-delimited", goResponse(t, 200, -1, nil, "streamed", "Server", "CraneWeb/3.2"), nil,
			`HTTP/1.1 200 "OK" server="CraneWeb/3.2" cl=-1 chunked=false head=60 truncated=false`},
		{"net/http with length", goResponse(t, 401, 5, nil, "nope\n", "WWW-Authenticate", `Basic realm="PLC"`), nil,
			`HTTP/1.1 401 "Unauthorized" server="" cl=5 chunked=false head=85 truncated=false`},
		{"no reason", []byte("HTTP/1.1 204 \r\n\r\n"), nil,
			`HTTP/1.1 204 "" server="" cl=-1 chunked=false head=17 truncated=false`},
		{"no reason nor space", []byte("HTTP/1.1 204\r\n\r\n"), nil,
			`HTTP/1.1 204 "" server="" cl=-1 chunked=false head=16 truncated=false`},
		{"head cut", []byte("HTTP/1.1 200 OK\r\nServer: Boa/0.94.13\r\nConte"), nil,
			`HTTP/1.1 200 "OK" server="Boa/0.94.13" cl=-1 chunked=false head=0 truncated=true`},
		{"first Server kept", []byte("HTTP/1.0 302 Found\r\nServer: a\r\nServer: b\r\nLocation: /x\r\n\r\n"), nil,
			`HTTP/1.0 302 "Found" server="a" cl=-1 chunked=false head=58 truncated=false`},

		{"status line cut", []byte("HTTP/1.1 20"), ErrTruncated, ""},
		{"version cut", []byte("HTT"), ErrTruncated, ""},
		{"empty", nil, ErrTruncated, ""},
		{"not HTTP", []byte("SSH-2.0-OpenSSH"), ErrStatusLine, ""},
		{"not HTTP, short", []byte("SS"), ErrStatusLine, ""},
		{"ICY", []byte("ICY 200 OK\r\n\r\n"), ErrStatusLine, ""},
		{"status 600", []byte("HTTP/1.1 600 X\r\n\r\n"), ErrStatusLine, ""},
		{"status 099", []byte("HTTP/1.1 099 X\r\n\r\n"), ErrStatusLine, ""},
		{"status 20x", []byte("HTTP/1.1 20x OK\r\n\r\n"), ErrStatusLine, ""},
		{"four digits", []byte("HTTP/1.1 2000 OK\r\n\r\n"), ErrStatusLine, ""},
		{"control in the reason", []byte("HTTP/1.1 200 O\x1bK\r\n\r\n"), ErrStatusLine, ""},
		{"bad Content-Length", []byte("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\nServer: s\r\n\r\n"), ErrContentLength,
			`HTTP/1.1 200 "OK" server="s" cl=-1 chunked=false head=50 truncated=false`},
		{"bad field line", []byte("HTTP/1.1 200 OK\r\n: x\r\nServer: s\r\n\r\n"), ErrHeader,
			`HTTP/1.1 200 "OK" server="s" cl=-1 chunked=false head=35 truncated=false`},
	}
}

func TestParseResponse(t *testing.T) {
	var r Response
	for _, tt := range responseCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseResponse(tt.b, &r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.want == "" {
				return
			}
			if got := showResponse(&r); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseResponseEveryCut(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/curl_wget_python.pcap")
	var full, r Response
	b := frames[42]
	if err := ParseResponse(b, &full); err != nil {
		t.Fatal(err)
	}
	lineEnd := bytes.IndexByte(b, '\n') + 1
	for i := 0; i <= len(b); i++ {
		err := ParseResponse(b[:i], &r)
		switch {
		case i < lineEnd && !errors.Is(err, ErrTruncated):
			t.Fatalf("cut %d: %v, want ErrTruncated", i, err)
		case i >= lineEnd && err != nil:
			t.Fatalf("cut %d: %v", i, err)
		case i >= lineEnd && r.Truncated != (i < full.HeaderLen):
			t.Fatalf("cut %d: Truncated = %t", i, r.Truncated)
		}
	}
}

// A reused Request or Response keeps nothing of the previous message.
func TestReuse(t *testing.T) {
	var r Request
	if err := ParseRequest([]byte("POST /x HTTP/1.1\r\nHost: a\r\nUser-Agent: u\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), &r); err != nil {
		t.Fatal(err)
	}
	if err := ParseRequest([]byte("GET / HTTP/1.0\r\n"), &r); err != nil {
		t.Fatal(err)
	}
	if got, want := showRequest(&r), `GET "/" HTTP/1.0 host=<nil> ua="" cl=-1 chunked=false head=0 truncated=true`; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	var s Response
	if err := ParseResponse([]byte("HTTP/1.1 200 OK\r\nServer: a\r\nContent-Length: 3\r\n\r\n"), &s); err != nil {
		t.Fatal(err)
	}
	if err := ParseResponse([]byte("HTTP/1.1 500 \r\n"), &s); err != nil {
		t.Fatal(err)
	}
	if got, want := showResponse(&s), `HTTP/1.1 500 "" server="" cl=-1 chunked=false head=0 truncated=true`; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestProbeRequest(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"GET / HTTP/1.1\r\n", true}, {"POST ", true}, {"PUT ", true}, {"DELETE ", true},
		{"HEAD ", true}, {"OPTIONS ", true}, {"PATCH ", true}, {"CONNECT ", true}, {"TRACE ", true},
		{"GET", false}, {"get / HTTP/1.1", false}, {"PROPFIND / HTTP/1.1", false},
		{"GETX / HTTP/1.1", false}, {"HTTP/1.1 200 OK", false}, {"", false}, {" GET /", false},
		{"\x16\x03\x01\x02\x00", false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			if got := ProbeRequest([]byte(tt.in)); got != tt.want {
				t.Errorf("ProbeRequest = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestProbeResponse(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"HTTP/1.1 200 OK\r\n", true}, {"HTTP/1.0 404", true}, {"HTTP/1.1 999", true},
		{"HTTP/1.1 20", false}, {"HTTP/2.0 200 OK", false}, {"HTTP/1.1 2x0 OK", false},
		{"http/1.1 200 OK", false}, {"GET / HTTP/1.1", false}, {"", false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			if got := ProbeResponse([]byte(tt.in)); got != tt.want {
				t.Errorf("ProbeResponse = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestContentLength(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"007", 7, true}, {"42, 42", 42, true}, {"42,42 ,42", 42, true},
		{"999999999999999999", 999999999999999999, true},
		{"", 0, false}, {"1 2", 0, false}, {"42, 43", 0, false}, {"+1", 0, false}, {"0x10", 0, false},
		{"1000000000000000000", 0, false}, {",", 0, false}, {"1,,1", 0, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			n, ok := contentLength([]byte(tt.in))
			if ok != tt.ok || ok && n != tt.want {
				t.Errorf("contentLength = %d, %t; want %d, %t", n, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestAllocs(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/curl_wget_python.pcap")
	twoHosts := []byte("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
	var req Request
	var resp Response
	tests := []struct {
		name string
		f    func()
	}{
		{"ParseRequest", func() { _ = ParseRequest(frames[16], &req) }},
		{"ParseRequest absolute form", func() { _ = ParseRequest(frames[40], &req) }},
		{"ParseRequest cut", func() { _ = ParseRequest(frames[28][:40], &req) }},
		{"ParseRequest error", func() { _ = ParseRequest(twoHosts, &req) }},
		{"ParseResponse", func() { _ = ParseResponse(frames[6], &resp) }},
		{"ProbeRequest", func() { _ = ProbeRequest(frames[4]) }},
		{"ProbeResponse", func() { _ = ProbeResponse(frames[6]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocs per run, want 0", n)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	frames := testutil.PayloadsByNumber(b, "testdata/curl_wget_python.pcap")
	b.Run("request", func(b *testing.B) {
		var r Request
		b.SetBytes(int64(len(frames[74])))
		b.ReportAllocs()
		for b.Loop() {
			if err := ParseRequest(frames[74], &r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("response", func(b *testing.B) {
		var r Response
		b.SetBytes(int64(len(frames[6])))
		b.ReportAllocs()
		for b.Loop() {
			if err := ParseResponse(frames[6], &r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}
