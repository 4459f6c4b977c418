package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoServe: demo --serve prints the console's address and a one-time
// login; the login works and the overview shows the demo terminal's
// cranes once its capture is analyzed; Ctrl-C (the context) stops it.
func TestDemoServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo and a server")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	e := &env{stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"demo", "--serve", "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	line := regexp.MustCompile(`The console: (http://[0-9.:]+)/ — log in as demo, password ([0-9a-f]+)`)
	var base, pass string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			base, pass = m[1], m[2]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatal("demo --serve printed no console address")
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {"demo"}, "password": {pass}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" {
		t.Fatalf("login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	var page string
	for range 300 {
		resp, err := c.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page = string(b)
		if strings.Contains(page, "STS-01") && strings.Contains(page, ">done<") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(page, "STS-01") || !strings.Contains(page, ">done<") {
		t.Fatalf("the overview lacks the demo terminal:\n%.3000s", page)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo --serve exited %d after Ctrl-C", code)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo --serve did not stop")
	}
}
