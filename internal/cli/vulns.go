package cli

import (
	"cmp"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"harborwatch/analysis"
	"harborwatch/declared"
	"harborwatch/finding"
	"harborwatch/internal/textsafe"
	"harborwatch/inventory"
	"harborwatch/site"
	"harborwatch/vuln"
)

type vulnsOptions struct {
	inventoryOptions
	csaf listFlag
}

func vulnsCommand() *command {
	return &command{
		name:  "vulns",
		short: "match the inventory against known vulnerabilities (CSAF 2.0 advisories)",
		usage: "harborwatch vulns import [--data DIR | --db URL] FILE|DIR...   (see 'harborwatch vulns import --help')\n       harborwatch vulns --csaf FILE|DIR... [--site FILE] [--bom FILE]... [--csv FILE]... [--json FILE]... [--format text|json|csv] [--out FILE] [--workers N] [--log-level LEVEL] [--log-format text|json] [CAPTURE...]",
		long: `
Matches the asset inventory (built as 'harborwatch inventory' builds it:
site.yaml, --csv, --json, --bom and the captures given) against security
advisories in CSAF 2.0 JSON, as CISA publishes its ICS advisories (--csaf:
files, or folders read recursively for *.json; no network is used).

An asset matches an advisory's product by vendor and then by order number
(Siemens MLFB such as 6ES7 515-2AM02-0AB0 against the product's model
numbers), by model token (1756-EN2T, EDS-G516E, DS-2CD2xx2FWD as a pattern),
by product line (S7-1500 from the order number) or by the product's name;
then by firmware against the product's version rule: vers: ranges, CISA's
vers:all/<V3.1.4, <V3.2_HF1, <= 5.008, "All versions < V3.X.16", per-train
bounds, exact versions, and firmware installed on a model (relationships).
What the device said on the wire (S7 order number and firmware, CIP
revision, Modbus device identification) counts as much as what is declared.
A version rule that cannot be parsed, or a firmware that is unknown, makes
the asset "possibly affected", with the rule as written. Products the
advisory lists as fixed or not affected never match.

Output per crane and per asset: advisory id, title, CVEs, CVSS v3 and the
severity of the vulnerability.known finding (critical from 9.0, high from
7.0, medium from 4.0, else low; one step higher in a crane-control zone),
the product status, the rule that matched, the remediations and the
advisory's citation. Formats: text, json (results, findings and per-crane
summary) or csv (one row per asset and advisory).

A file given to --csaf that is not a CSAF 2.0 document is an error (exit 2)
naming the file and the field.

'vulns import' stores advisories in the store of 'harborwatch serve', which
then matches every capture it analyzes against them (see 'harborwatch vulns
import --help').

Examples:
  harborwatch vulns --csaf advisories/ --site site.yaml --csv cmms-export.csv
  harborwatch vulns --csaf icsa-24-284-01.json --site site.yaml --format json capture.pcap
  harborwatch vulns import --data /var/lib/harborwatch csaf-mirror/`,
		run: runVulns,
	}
}

func runVulns(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return runVulnsImport(ctx, e, args[1:])
	}
	c := vulnsCommand()
	var o vulnsOptions
	fs := newFlags(c, e)
	fs.Var(&o.csaf, "csaf", "CSAF 2.0 advisory `FILE` or folder of them (repeatable)")
	fs.StringVar(&o.site, "site", e.getenv("HARBORWATCH_SITE"), "site model `FILE` (site.yaml)")
	fs.Var(&o.boms, "bom", "CycloneDX BOM `FILE` (JSON or XML; repeatable)")
	fs.Var(&o.csvs, "csv", "asset list `FILE` in CSV (repeatable)")
	fs.Var(&o.jsons, "json", "asset list `FILE` in JSON (repeatable)")
	fs.StringVar(&o.format, "format", envOr(e, "HARBORWATCH_FORMAT", "text"), "output `FORMAT`: text, json or csv")
	fs.StringVar(&o.out, "out", "", "write to `FILE` instead of standard output")
	fs.IntVar(&o.workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers for the captures (0 = one per CPU)")
	logOpts := logFlags(fs, e)
	if helpRequested(args) {
		printHelp(e.stdout, c, fs)
		return flag.ErrHelp
	}
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkEnvInts(e, fs, "vulns", "workers"); err != nil {
		return err
	}
	if err := logOpts.start(e, fs, "vulns"); err != nil {
		return err
	}
	switch o.format {
	case "text", "json", "csv":
	default:
		return usagef("vulns: %s: want text, json or csv", given(e, fs, "format", o.format))
	}
	if o.workers < 0 {
		return usagef("vulns: %s: must be 0 or more", given(e, fs, "workers", strconv.Itoa(o.workers)))
	}
	o.workers = capWorkers(e, fs, o.workers)
	if len(o.csaf) == 0 {
		return usagef("vulns: no advisories: give --csaf FILE or folder (see 'harborwatch vulns --help')")
	}
	if o.site == "" && len(o.boms)+len(o.csvs)+len(o.jsons)+len(files) == 0 {
		return usagef("vulns: nothing to match: give --site, --bom, --csv, --json or a capture")
	}
	for _, p := range o.csaf {
		if _, err := os.Stat(p); err != nil {
			return usagef("vulns: --csaf %s: cannot read it: %v", p, unwrapPath(err))
		}
	}
	advs, err := vuln.Load(o.csaf...)
	if err != nil {
		return usagef("vulns: --csaf: %v", err)
	}
	var st *site.Site
	if o.site != "" {
		if st, err = site.Load(o.site); err != nil {
			return siteProblems(e, err)
		}
	}
	outs := newOutputs(e, "vulns", files...)
	outs.input(o.site)
	outs.input(o.csvs...)
	outs.input(o.jsons...)
	outs.input(o.boms...)
	outs.input(o.csaf...)
	defer outs.abort()
	out, err := outs.create("out", cmp.Or(o.out, "-"))
	if err != nil {
		return err
	}
	inv, err := buildInventory(ctx, e, "vulns", st, o.inventoryOptions, files)
	if err != nil {
		return err
	}
	results := vuln.Match(vuln.Devices(inv), advs)
	vuln.SortResults(results)
	view := newVulnView(inv, st, advs, results)
	e.logger().Info(fmt.Sprintf("%s on %s", nouns(len(results), "match", "matches"), nouns(view.Summary.Assets, "asset", "assets")),
		"advisories", len(advs), "assets", len(inv.Assets), "matches", len(results))
	return writeOut(out, func(w io.Writer) error {
		switch o.format {
		case "json":
			return writeJSON(w, view)
		case "csv":
			return view.csv(w)
		}
		return view.text(w)
	})
}

// buildInventory builds the inventory as the inventory command does:
// imports, then the captures (or declarations alone).
func buildInventory(ctx context.Context, e *env, command string, st *site.Site, o inventoryOptions, files []string) (*inventory.Inventory, error) {
	var imports []declared.Result
	for _, group := range []struct {
		flag  string
		files listFlag
		read  func(string, io.Reader) declared.Result
	}{{"csv", o.csvs, declared.ReadCSV}, {"json", o.jsons, declared.ReadJSON}, {"bom", o.boms, declared.ReadCycloneDX}} {
		for _, path := range group.files {
			f, err := openInput(command, group.flag, path)
			if err != nil {
				return nil, err
			}
			r := group.read(path, f)
			f.Close()
			if err := imported(group.flag, path, r); err != nil {
				return nil, err
			}
			imports = append(imports, r)
		}
	}
	var inv *inventory.Inventory
	if len(files) > 0 {
		res, err := analyzeFiles(ctx, e, files, analysis.Options{Site: st, Workers: o.workers, Declared: imports}, nil)
		if err != nil {
			return nil, err
		}
		inv = res.Inventory
	} else {
		inv = inventory.Build(inventory.Options{Site: st, Declared: imports})
	}
	for _, p := range inv.Problems {
		e.logger().Warn(p.Error()+" (skipped)", "file", p.File, "line", p.Line, "col", p.Col)
	}
	return inv, nil
}

// vulnView is what vulns writes: the advisories read, the matches with
// their severities, the findings and a summary per crane.
type vulnView struct {
	Facility   string            `json:"facility,omitempty"`
	Advisories vulnAdvisories    `json:"advisories"`
	Summary    vulnSummary       `json:"summary"`
	Cranes     []vulnCrane       `json:"cranes"`
	Matches    []vulnMatch       `json:"matches"`
	Findings   []finding.Finding `json:"findings"`
	assets     map[string]*inventory.Asset
}

type vulnAdvisories struct {
	Loaded   int `json:"loaded"`
	Products int `json:"products"`
	Unparsed int `json:"unparsed_versions"` // version strings reported "possibly affected (unparsed)"
}

type vulnSummary struct {
	Assets     int `json:"assets"` // assets with a match
	Affected   int `json:"affected"`
	Possibly   int `json:"possibly_affected"`
	Advisories int `json:"advisories"` // advisories with a match
}

type vulnCrane struct {
	Crane      string   `json:"crane"` // "" for assets on no crane
	Assets     []string `json:"assets"`
	Advisories []string `json:"advisories"`
	MaxCVSS    float64  `json:"max_cvss"`
	Severity   string   `json:"severity"` // the highest of its matches
}

type vulnMatch struct {
	vuln.Result
	Severity finding.Severity `json:"severity"`
}

func newVulnView(inv *inventory.Inventory, st *site.Site, advs []*vuln.Advisory, rs []vuln.Result) *vulnView {
	v := &vulnView{Facility: inv.Facility, Cranes: []vulnCrane{}, Matches: []vulnMatch{}, assets: map[string]*inventory.Asset{}}
	v.Advisories.Loaded = len(advs)
	for _, a := range advs {
		for _, p := range a.ProductList {
			v.Advisories.Products++
			if p.Component == nil && p.VersionText != "" && !p.Range.Parsed {
				v.Advisories.Unparsed++
			}
		}
	}
	for i := range inv.Assets {
		v.assets[inv.Assets[i].ID] = &inv.Assets[i]
	}
	if st == nil {
		st = site.Default()
	}
	sev := map[string]finding.Severity{}
	v.Findings = vuln.Findings(inv, advs, st)
	for _, f := range v.Findings {
		sev[f.Src.Asset+"|"+f.Detail["advisory"].(string)] = f.Severity
	}
	assets, advisories := map[string]bool{}, map[string]bool{}
	byCrane := map[string]*vulnCrane{}
	for _, r := range rs {
		m := vulnMatch{Result: r, Severity: sev[r.Asset+"|"+r.Advisory]}
		v.Matches = append(v.Matches, m)
		if !assets[r.Asset] {
			if r.Status == vuln.PossiblyAffected {
				v.Summary.Possibly++
			} else {
				v.Summary.Affected++
			}
		}
		assets[r.Asset], advisories[r.Advisory] = true, true
		c := byCrane[r.Crane]
		if c == nil {
			c = &vulnCrane{Crane: r.Crane, Assets: []string{}, Advisories: []string{}}
			byCrane[r.Crane] = c
		}
		c.Assets = appendUniq(c.Assets, r.Asset)
		c.Advisories = appendUniq(c.Advisories, r.Advisory)
		c.MaxCVSS = max(c.MaxCVSS, r.CVSS)
		if s, _ := finding.ParseSeverity(c.Severity); m.Severity > s {
			c.Severity = m.Severity.String()
		}
	}
	v.Summary.Assets, v.Summary.Advisories = len(assets), len(advisories)
	seen := map[string]bool{}
	for _, r := range rs { // results are sorted by crane
		if !seen[r.Crane] {
			seen[r.Crane] = true
			v.Cranes = append(v.Cranes, *byCrane[r.Crane])
		}
	}
	return v
}

func appendUniq(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// maxTextRemediations is the most remediations the text view shows per
// match (vendor fixes first); json and csv carry them all.
const maxTextRemediations = 3

func (v *vulnView) text(w io.Writer) error {
	ew := &errWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(ew, format, args...) }
	s := textsafe.String
	p("VULNERABILITIES: %d advisories read (%d products, %d version strings unparsed)\n",
		v.Advisories.Loaded, v.Advisories.Products, v.Advisories.Unparsed)
	p("%s, %d affected and %d possibly affected, by %s\n",
		nouns(v.Summary.Assets, "asset matched", "assets matched"), v.Summary.Affected, v.Summary.Possibly, nouns(v.Summary.Advisories, "advisory", "advisories"))
	for _, c := range v.Cranes {
		p("\n")
		name := "NOT ON A CRANE"
		if c.Crane != "" {
			name = "CRANE " + s(c.Crane)
		}
		p("%s: %s, %s, max CVSS %.1f (%s)\n", name, nouns(len(c.Assets), "asset", "assets"), nouns(len(c.Advisories), "advisory", "advisories"), c.MaxCVSS, c.Severity)
		last := ""
		for _, m := range v.Matches {
			if m.Crane != c.Crane {
				continue
			}
			if m.Asset != last {
				last = m.Asset
				p("  %s%s\n", s(m.Asset), v.describe(m.Asset))
			}
			p("    %s %s  CVSS %.1f  %s  %s\n", s(m.Advisory), strings.ToUpper(m.Status), m.CVSS, m.Severity, strings.Join(m.CVEs, " "))
			p("      %s\n", s(m.Title))
			for _, pm := range m.Products {
				p("      rule  %s: %s; %s\n", s(pm.Product), s(pm.Basis), s(pm.Rule))
			}
			for i, r := range m.Remediations {
				if i == maxTextRemediations {
					p("      fix   (%s more: --format json)\n", nouns(len(m.Remediations)-i, "remediation", "remediations"))
					break
				}
				p("      fix   %s\n", s(oneLine(r, 200)))
			}
			if m.URL != "" {
				p("      see   %s\n", s(m.URL))
			}
		}
	}
	return ew.err
}

// describe is an asset's vendor, model and firmware, for the text view.
func (v *vulnView) describe(id string) string {
	a := v.assets[id]
	if a == nil {
		return ""
	}
	d := vuln.DeviceOf(a)
	var parts []string
	if len(d.Vendors) > 0 {
		parts = append(parts, d.Vendors[0])
	}
	if len(d.Models) > 0 {
		parts = append(parts, d.Models[0])
	}
	if len(d.OrderNumbers) > 0 && (len(d.Models) == 0 || d.OrderNumbers[0] != d.Models[0]) {
		parts = append(parts, d.OrderNumbers[0])
	}
	for _, f := range d.Firmware {
		parts = append(parts, "fw "+f.Version+" ("+f.Source+")")
	}
	if len(parts) == 0 {
		return ""
	}
	return "  " + textsafe.String(strings.Join(parts, ", "))
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func (v *vulnView) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"crane", "asset", "advisory", "title", "status", "severity", "cvss", "cvss_vector", "cves", "products", "rule", "remediations", "url"})
	for _, m := range v.Matches {
		var prods []string
		for _, p := range m.Products {
			prods = append(prods, p.Product)
		}
		cw.Write([]string{m.Crane, m.Asset, m.Advisory, m.Title, m.Status, m.Severity.String(), strconv.FormatFloat(m.CVSS, 'f', 1, 64), m.Vector,
			strings.Join(m.CVEs, ";"), strings.Join(prods, ";"), m.Rule, strings.Join(m.Remediations, " | "), m.URL})
	}
	cw.Flush()
	return cw.Error()
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return len(b), nil
	}
	_, e.err = e.w.Write(b)
	return len(b), nil
}
