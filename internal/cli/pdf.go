package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// errNoChromium is printPDF's error when no browser is installed.
var errNoChromium = errors.New("no Chromium or Chrome found (chromium, chromium-browser, google-chrome on PATH; Debian: apt-get install chromium): write --format html and print it from a browser instead")

// chromiumPath finds a Chromium or Chrome binary.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errNoChromium
}

// printPDF prints a self-contained HTML page (no external resources) to
// PDF with a headless Chromium, on A4 with its backgrounds, in a fresh
// profile with no network use beyond the local file.
func printPDF(ctx context.Context, html []byte) ([]byte, error) {
	bin, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "harborwatch-pdf")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	page1 := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page1, html, 0o600); err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.NoSandbox, chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	bctx, cancel3 := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel3()
	if err := chromedp.Do(bctx, chromedp.Navigate((&url.URL{Scheme: "file", Path: page1}).String())); err != nil {
		return nil, fmt.Errorf("open the report in %s: %w", bin, err)
	}
	pdf, err := chromedp.Run(bctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFMargin(0.5), chromedp.PDFPrintBackground()))
	if err != nil {
		return nil, fmt.Errorf("print the report with %s: %w", bin, err)
	}
	return pdf, nil
}
