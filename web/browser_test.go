package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds the browser, or skips (fails with
// HARBORWATCH_REQUIRE_CHROMIUM=1, as CI sets).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("HARBORWATCH_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("no chromium: install it (Debian: apt-get install chromium)")
	}
	t.Skip("no chromium (Debian: apt-get install chromium); HARBORWATCH_REQUIRE_CHROMIUM=1 makes this a failure")
	return ""
}

// tab is one headless browser window of 1366×768, its own profile.
func tab(t *testing.T, bin string) context.Context {
	t.Helper()
	opts := append(DefaultOpts(), chromedp.ExecPath(bin), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 768))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 6*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// DefaultOpts are chromedp's defaults plus what a closed, sandboxed
// machine needs.
func DefaultOpts() []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
}

// shot writes a full-page screenshot of the current page to
// docs/console/NAME.png.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func login(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	if err == nil {
		_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("login")))
	}
	if err == nil {
		err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("logout")))
	}
	if err != nil {
		t.Fatalf("log in as %s: %v", user, err)
	}
}

// post submits a form from the page with fetch and returns the status.
func post(t *testing.T, ctx context.Context, path string, fields map[string]string) int {
	t.Helper()
	var kv []string
	for k, v := range fields {
		kv = append(kv, fmt.Sprintf("%q: %q", k, v))
	}
	js := fmt.Sprintf(`fetch(%q, {method: "POST", redirect: "manual", body: new URLSearchParams({%s})}).then(r => r.status)`, path, strings.Join(kv, ", "))
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("POST %s from the page: %v", path, err)
	}
	return status
}

// TestBrowser drives the console in headless Chromium: log in, the
// overview, filter findings, open one, acknowledge it with a reason and
// see its state and the audit entry change; a viewer sees no write
// controls and a forged POST is refused; a form without the CSRF token is
// refused; logout ends the session. It writes a screenshot of each page
// to docs/console/.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t)
	base := e.ts.URL
	ctx := tab(t, bin)
	login(t, ctx, base, "analyst1")
	ov, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(ov, "STS-01") || !strings.Contains(ov, "Open findings") {
		t.Fatalf("overview: %v\n%.500s", err, ov)
	}
	shot(t, ctx, "overview")

	// Filter: open critical findings, through the form.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/findings"),
		chromedp.WaitVisible(chromedp.ID("apply")),
		chromedp.SetValue(chromedp.CSS(`select[name=severity]`), "critical"),
		chromedp.SetValue(chromedp.CSS(`select[name=state]`), "open"),
	)
	if err == nil {
		_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("apply")))
	}
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "severity=critical") || !strings.Contains(loc, "state=open") {
		t.Errorf("the filter form went to %s", loc)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#findings tbody tr input[name=f]").length`))
	if err != nil || rows == 0 {
		t.Fatalf("filtered findings: %d rows, %v", rows, err)
	}
	sevs, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#findings tbody td.sev")).map(td => td.textContent.trim())`))
	for _, s := range sevs {
		if s != "critical" {
			t.Errorf("severity %q under the critical filter", s)
		}
	}
	shot(t, ctx, "findings")

	// Open the first, acknowledge it with a reason.
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#findings tbody a").getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	id := href[strings.LastIndex(href, "/")+1:]
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+href),
		chromedp.WaitVisible(chromedp.ID("state-form")),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, "finding")
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("new-state"), "acknowledged"),
		chromedp.SendKeys(chromedp.ID("reason"), "crane 1 maintenance, work order 7781"),
	)
	if err == nil {
		_, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("set-state")))
	}
	if err != nil {
		t.Fatal(err)
	}
	state, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("state")))
	timeline, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("timeline")))
	if state != "acknowledged" || !strings.Contains(timeline, "work order 7781") || !strings.Contains(timeline, "user:analyst1") {
		t.Errorf("after acknowledging: state %q, timeline %q", state, timeline)
	}
	// A form without its CSRF token is refused.
	if st := post(t, ctx, "/findings/t3/"+id+"/state", map[string]string{"state": "resolved", "reason": "no token"}); st != 403 {
		t.Errorf("POST without the CSRF token: %d, want 403", st)
	}
	for _, p := range []struct{ path, name string }{{"/assets", "assets"}, {"/cranes", "cranes"}, {"/zones", "zones"},
		{"/events?op=program-download", "events"}, {"/captures", "captures"}, {"/suppressions", "suppressions"}} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.Sleep(300*time.Millisecond)); err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		shot(t, ctx, p.name)
	}

	// The audit entry, seen by an admin.
	actx := tab(t, bin)
	login(t, actx, base, "admin1")
	if err := chromedp.Do(actx, chromedp.Navigate(base+"/admin/audit"), chromedp.WaitVisible(chromedp.ID("audit"))); err != nil {
		t.Fatal(err)
	}
	audit, _ := chromedp.Run(actx, chromedp.Text(chromedp.ID("audit")))
	if !regexp.MustCompile(`user:analyst1\s.*finding\.state\s+finding:t3/` + id + `\s+ok`).MatchString(audit) {
		t.Errorf("the audit log lacks the acknowledgement:\n%.3000s", audit)
	}
	shot(t, actx, "audit")
	if err := chromedp.Do(actx, chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	shot(t, actx, "admin")

	// A viewer: no write controls; a forged POST with its own token: 403.
	vctx := tab(t, bin)
	login(t, vctx, base, "viewer1")
	if err := chromedp.Do(vctx, chromedp.Navigate(base+href), chromedp.WaitVisible(chromedp.ID("timeline"))); err != nil {
		t.Fatal(err)
	}
	controls, _ := chromedp.Run(vctx, chromedp.Evaluate[int](`document.querySelectorAll("#state-form, #bulk-apply, input[name=f], form[action$='/authorize']").length`))
	if controls != 0 {
		t.Errorf("a viewer's finding page has %d write controls", controls)
	}
	csrf, _ := chromedp.Run(vctx, chromedp.Evaluate[string](`document.querySelector("input[name=csrf]").value`))
	if st := post(t, vctx, "/findings/t3/"+id+"/state", map[string]string{"csrf": csrf, "state": "resolved", "reason": "forged"}); st != 403 {
		t.Errorf("a viewer's forged POST: %d, want 403", st)
	}

	// Logout ends the session.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("logout"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/findings"), chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
		t.Fatalf("after logout /findings does not ask to log in: %v", err)
	}
	if f, _ := e.st.Finding(context.Background(), "t3", id); f.State != "acknowledged" {
		t.Errorf("the finding is %s after the forged and token-less POSTs", f.State)
	}
}
