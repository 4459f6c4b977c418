package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"harborwatch/analysis"
	"harborwatch/declared"
	"harborwatch/inventory"
	"harborwatch/pipeline"
	"harborwatch/report"
	"harborwatch/site"
)

type inventoryOptions struct {
	site    string
	boms    listFlag
	csvs    listFlag
	jsons   listFlag
	format  string
	out     string
	workers int
}

// listFlag collects a repeatable flag (--scenario, --bom…); each value
// may also hold a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*l = append(*l, n)
		}
	}
	return nil
}

func inventoryCommand() *command {
	return &command{
		name:  "inventory",
		short: "reconcile declared and observed devices; suppliers of concern; cranes as units",
		usage: "harborwatch inventory [cranes] [--site FILE] [--bom FILE]... [--csv FILE]... [--json FILE]... [--format text|json|csv|cyclonedx|cyclonedx-xml] [--out FILE] [--workers N] [--log-level LEVEL] [--log-format text|json] [CAPTURE...]",
		long: `
Builds the facility's asset inventory: every device declared in site.yaml
(assets:, cranes:), in maintenance-system exports (--csv), JSON lists (--json)
and CycloneDX BOMs of cranes (--bom, JSON or XML), and every device observed
in the captures given — one asset per device, declared and observed records
joined by MAC, else by address. For each asset it gives the vendor (declared,
from a BOM, from what the device said of itself over S7/CIP/Modbus/LLDP/
CDP/PROFINET DCP/DHCP, or from the IEEE registrant of its MAC block), the
roles inferred from behaviour (plc, hmi, engineering-workstation, camera,
switch, …) with their evidence, the crane it belongs to, and every supplier
of concern behind it (ZPMC, Nuctech, Huawei, Hikvision, Quectel, …) with the
reason and the lists naming the supplier, with their legal citations.

Reconciliation findings: inventory.missing-device (declared, never seen in a
zone the captures cover), inventory.mismatch (another MAC, or a MAC block of
another maker than declared), supplier.not-isolated (a device made by a
supplier of concern in a crane-control zone or on a VLAN of core-control
devices). Captures are optional: a BOM or a CSV alone is an inventory.

'harborwatch inventory cranes' prints each crane as a unit instead: its
zones and assets, its suppliers of concern with the path tying each one to
the crane (STS-01 ← ZPMC; camera ← Hikvision by OUI; modem ← Quectel by
BOM), its remote-management paths, and the exposure counts per crane and
for the facility.

Bad rows or components of an imported file are reported with file:line and
skipped; the rest is imported (exit 0; the problems are listed in the
output and on stderr). A file of which nothing can be imported — not a
BOM, not a CSV asset list, a syntax error before the first record — is an
error (exit 2) naming the file and why.

Formats: text (a table), json, csv (re-importable with --csv), cyclonedx
(CycloneDX 1.6 JSON, re-importable with --bom) or cyclonedx-xml. With
'cranes': text, json or csv (one row per crane, a report, not for import).

Environment: HARBORWATCH_SITE, HARBORWATCH_FORMAT, HARBORWATCH_WORKERS,
HARBORWATCH_LOG_LEVEL and HARBORWATCH_LOG_FORMAT set the flags' defaults;
flags win. A bad value in one of them is an error (exit 2).

Examples:
  harborwatch inventory --site examples/terminal/site.yaml examples/terminal/terminal.pcap
  harborwatch inventory --bom examples/cranes/sts-03.cdx.json
  harborwatch inventory cranes --site site.yaml --bom sts-03.cdx.json --csv cmms-export.csv day1.pcap
  harborwatch inventory --site site.yaml --format cyclonedx --out facility.cdx.json capture.pcap
  harborwatch inventory cranes --site site.yaml --format csv capture.pcap`,
		run: runInventory,
	}
}

func runInventory(ctx context.Context, e *env, args []string) error {
	c := inventoryCommand()
	var o inventoryOptions
	fs := newFlags(c, e)
	fs.StringVar(&o.site, "site", e.getenv("HARBORWATCH_SITE"), "site model `FILE` (site.yaml)")
	fs.Var(&o.boms, "bom", "CycloneDX BOM `FILE` (JSON or XML; repeatable)")
	fs.Var(&o.csvs, "csv", "asset list `FILE` in CSV (docs/formats/inventory-csv.md; repeatable)")
	fs.Var(&o.jsons, "json", "asset list `FILE` in JSON (repeatable)")
	fs.StringVar(&o.format, "format", envOr(e, "HARBORWATCH_FORMAT", "text"), "output `FORMAT`: text, json, csv, cyclonedx or cyclonedx-xml (cranes: text, json or csv)")
	fs.StringVar(&o.out, "out", "", "write to `FILE` instead of standard output")
	fs.IntVar(&o.workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers for the captures (0 = one per CPU; at most 4 a CPU)")
	logOpts := logFlags(fs, e)
	if helpRequested(args) {
		printHelp(e.stdout, c, fs)
		return flag.ErrHelp
	}
	cranes := false
	if len(args) > 0 && args[0] == "cranes" {
		cranes, args = true, args[1:]
	}
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkEnvInts(e, fs, "inventory", "workers"); err != nil {
		return err
	}
	if err := logOpts.start(e, fs, "inventory"); err != nil {
		return err
	}
	switch o.format {
	case "text", "json", "csv", "cyclonedx", "cyclonedx-xml":
	default:
		return usagef("inventory: %s: want text, json, csv, cyclonedx or cyclonedx-xml", given(e, fs, "format", o.format))
	}
	if cranes && (o.format == "cyclonedx" || o.format == "cyclonedx-xml") {
		return usagef("inventory cranes: %s: want text, json or csv (a BOM lists assets: use 'harborwatch inventory --format %s')", given(e, fs, "format", o.format), o.format)
	}
	if o.workers < 0 {
		return usagef("inventory: %s: must be 0 or more", given(e, fs, "workers", strconv.Itoa(o.workers)))
	}
	o.workers = capWorkers(e, fs, o.workers)
	if o.site == "" && len(o.boms)+len(o.csvs)+len(o.jsons)+len(files) == 0 {
		return usagef("inventory: nothing to inventory: give --site, --bom, --csv, --json or a capture (see 'harborwatch inventory --help')")
	}
	var st *site.Site // nil: site.Default()
	if o.site != "" {
		if st, err = site.Load(o.site); err != nil {
			return siteProblems(e, err)
		}
	}
	outs := newOutputs(e, "inventory", files...)
	outs.input(o.site)
	outs.input(o.csvs...)
	outs.input(o.jsons...)
	outs.input(o.boms...)
	defer outs.abort()
	out, err := outs.create("out", cmp.Or(o.out, "-"))
	if err != nil {
		return err
	}
	imports, err := readDeclared(e, o.csvs, o.jsons, o.boms)
	if err != nil {
		return err
	}
	var inv *inventory.Inventory
	if len(files) > 0 {
		res, err := analyzeFiles(ctx, e, files, analysis.Options{Site: st, Workers: o.workers, Declared: imports}, nil)
		if err != nil {
			return err
		}
		inv = res.Inventory
	} else {
		inv = inventory.Build(inventory.Options{Site: st, Declared: imports})
	}
	for _, p := range inv.Problems {
		e.logger().Warn(p.Error()+" (skipped)", "file", p.File, "line", p.Line, "col", p.Col)
	}
	e.logger().Info(fmt.Sprintf("inventory of %s, %s", nouns(inv.Summary.Assets, "asset", "assets"), nouns(inv.Summary.Cranes, "crane", "cranes")),
		"assets", inv.Summary.Assets, "declared", inv.Summary.Declared, "observed", inv.Summary.Observed,
		"of_concern", inv.Summary.OfConcern, "cranes", inv.Summary.Cranes, "findings", len(inv.Findings), "import_problems", len(inv.Problems))
	return writeOut(out, func(w io.Writer) error {
		switch {
		case cranes && o.format == "json":
			return writeJSON(w, struct {
				Facility string            `json:"facility,omitempty"`
				Summary  inventory.Summary `json:"summary"`
				Cranes   []inventory.Crane `json:"cranes"`
			}{inv.Facility, inv.Summary, inv.Cranes})
		case cranes && o.format == "csv":
			return inventory.CranesCSV(w, inv)
		case cranes:
			return inventory.CranesText(w, inv)
		case o.format == "json":
			return inventory.JSON(w, inv)
		case o.format == "csv":
			return inventory.CSV(w, inv)
		case o.format == "cyclonedx", o.format == "cyclonedx-xml":
			return inventory.CycloneDX(w, inv, inventory.BOMOptions{XML: o.format == "cyclonedx-xml", ToolVersion: Version, Time: time.Now()})
		}
		return inventory.Text(w, inv)
	})
}

// openInput opens the file given to --flag for reading; a file that is
// missing, cannot be read or is a directory is bad input (exit 2), named
// with its flag.
func openInput(command, flag, path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("%s: --%s %s: cannot read it: %v", command, flag, path, unwrapPath(err))
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, usagef("%s: --%s %s: is a directory, not a file", command, flag, path)
	}
	return f, nil
}

// imported checks what a reader got from the file given to --flag: a file
// of which nothing could be read (no asset, no crane, and a problem saying
// why: not a BOM, no id column, a syntax error before the first record) is
// bad input, not an empty inventory.
func imported(flag, path string, r declared.Result) error {
	if len(r.Assets)+len(r.Cranes) > 0 || len(r.Problems) == 0 {
		return nil
	}
	more := ""
	if n := len(r.Problems) - 1; n > 0 {
		more = fmt.Sprintf(" (and %s)", nouns(n, "other problem", "other problems"))
	}
	return usagef("inventory: --%s %s: nothing imported: %s%s", flag, path, r.Problems[0].Error(), more)
}

// analyzeFiles runs the analysis of capture files (package analysis)
// with the command's log, and the progress line on a terminal. Captures
// that are missing, unreadable or not captures are bad input (exit 2).
// With sums non-nil (one per file), the captures are hashed as they are
// read and sums[i] is set to file i's SHA-256 in hex ("" if unknown).
func analyzeFiles(ctx context.Context, e *env, files []string, opts analysis.Options, sums []string) (*analysis.Result, error) {
	log := e.logger()
	log.Info(fmt.Sprintf("analysis of %s started", nouns(len(files), "capture", "captures")),
		"captures", len(files), "workers", opts.Workers, "flow_memory", opts.FlowMemory, "version", Version)
	prog := &pipeline.Progress{}
	opts.Hash, opts.Progress, opts.Logger = sums != nil, prog, log
	if opts.Sources == nil {
		opts.Files = files // else the caller opened them (--bpf)
	}
	stop := progressLine(e, prog)
	res, err := analysis.Run(ctx, opts)
	stop()
	if ie, ok := errors.AsType[*analysis.InputError](err); ok {
		return nil, usageError{ie}
	}
	if err == nil && sums != nil {
		copy(sums, res.SHA256)
	}
	if err == nil && res.Document.Stats.Partial {
		// The run was stopped (a signal): the result covers what was
		// read. analyze writes it as a partial report; other commands
		// give up with the error.
		return res, &stoppedError{cause: context.Cause(ctx), packets: res.Document.Stats.Packets}
	}
	return res, err
}

// logReport logs what a report holds, at the end of a run.
func logReport(e *env, doc *report.Document) {
	e.logger().Info(fmt.Sprintf("report: %s, %s", nouns(len(doc.Findings), "finding", "findings"), nouns(len(doc.Assets), "asset", "assets")),
		"findings", len(doc.Findings), "assets", len(doc.Assets), "cranes", len(doc.Cranes))
}

// writeJSON writes v as indented JSON with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readDeclared reads the asset lists given as --csv, --json and --bom:
// problems in them are reported as warnings (file:line:col) and skipped,
// a file that cannot be read at all is an error.
func readDeclared(e *env, csvs, jsons, boms listFlag) ([]declared.Result, error) {
	var imports []declared.Result
	for _, group := range []struct {
		flag  string
		files listFlag
		read  func(string, io.Reader) declared.Result
	}{{"csv", csvs, declared.ReadCSV}, {"json", jsons, declared.ReadJSON}, {"bom", boms, declared.ReadCycloneDX}} {
		for _, path := range group.files {
			f, err := openInput("inventory", group.flag, path)
			if err != nil {
				return nil, err
			}
			r := group.read(path, f)
			f.Close()
			if err := imported(group.flag, path, r); err != nil {
				return nil, err
			}
			e.logger().Info(fmt.Sprintf("imported %s from %s", nouns(len(r.Assets), "asset", "assets"), path),
				"file", path, "as", group.flag, "assets", len(r.Assets), "cranes", len(r.Cranes), "problems", len(r.Problems))
			imports = append(imports, r)
		}
	}
	return imports, nil
}
