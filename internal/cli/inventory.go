package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"harborwatch/capture"
	"harborwatch/declared"
	"harborwatch/inventory"
	"harborwatch/pipeline"
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
		usage: "harborwatch inventory [cranes] [--site FILE] [--bom FILE]... [--csv FILE]... [--json FILE]... [--format text|json|csv|cyclonedx|cyclonedx-xml] [--out FILE] [CAPTURE...]",
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
output and on stderr).

Formats: text (a table), json, csv (re-importable with --csv), cyclonedx
(CycloneDX 1.6 JSON, re-importable with --bom) or cyclonedx-xml.

Examples:
  harborwatch inventory --site examples/terminal/site.yaml examples/terminal/terminal.pcap
  harborwatch inventory --bom examples/cranes/sts-03.cdx.json
  harborwatch inventory cranes --site site.yaml --bom sts-03.cdx.json --csv cmms-export.csv day1.pcap
  harborwatch inventory --site site.yaml --format cyclonedx --out facility.cdx.json capture.pcap`,
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
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text, json, csv, cyclonedx or cyclonedx-xml")
	fs.StringVar(&o.out, "out", "", "write to `FILE` instead of standard output")
	fs.IntVar(&o.workers, "workers", envInt(e, "HARBORWATCH_WORKERS"), "`N` parallel workers for the captures (0 = one per CPU)")
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
	switch o.format {
	case "text", "json", "csv", "cyclonedx", "cyclonedx-xml":
	default:
		return usagef("inventory: --format %q: want text, json, csv, cyclonedx or cyclonedx-xml", o.format)
	}
	if cranes && (o.format == "csv" || o.format == "cyclonedx" || o.format == "cyclonedx-xml") {
		return usagef("inventory cranes: --format %q: want text or json", o.format)
	}
	if o.site == "" && len(o.boms)+len(o.csvs)+len(o.jsons)+len(files) == 0 {
		return usagef("inventory: nothing to inventory: give --site, --bom, --csv, --json or a capture (see 'harborwatch inventory --help')")
	}
	st := site.Default()
	if o.site != "" {
		s, err := site.Load(o.site)
		if err != nil {
			return siteProblems(e, err)
		}
		st = s
	}
	var imports []declared.Result
	for _, group := range []struct {
		files listFlag
		read  func(string, io.Reader) declared.Result
	}{{o.csvs, declared.ReadCSV}, {o.jsons, declared.ReadJSON}, {o.boms, declared.ReadCycloneDX}} {
		for _, path := range group.files {
			f, err := os.Open(path)
			if err != nil {
				return usageError{err}
			}
			r := group.read(path, f)
			f.Close()
			imports = append(imports, r)
		}
	}
	opts := inventory.Options{Site: st, Declared: imports}
	if len(files) > 0 {
		res, err := analyzeFiles(ctx, e, files, pipeline.Options{Site: st, Workers: o.workers}, nil)
		if err != nil {
			return err
		}
		opts.Observed, opts.Captures = res.Detection, files
	}
	inv := inventory.Build(opts)
	for _, p := range inv.Problems {
		fmt.Fprintf(e.stderr, "harborwatch: warning: %s (skipped)\n", p.Error())
	}
	return writeTo(e, o.out, func(w io.Writer) error {
		switch {
		case cranes && o.format == "json":
			return writeJSON(w, struct {
				Facility string            `json:"facility,omitempty"`
				Summary  inventory.Summary `json:"summary"`
				Cranes   []inventory.Crane `json:"cranes"`
			}{inv.Facility, inv.Summary, inv.Cranes})
		case cranes:
			return inventory.CranesText(w, inv)
		case o.format == "json":
			return inventory.JSON(w, inv)
		case o.format == "csv":
			return inventory.CSV(w, inv)
		case o.format == "cyclonedx":
			return inventory.CycloneDX(w, inv, false)
		case o.format == "cyclonedx-xml":
			return inventory.CycloneDX(w, inv, true)
		}
		return inventory.Text(w, inv)
	})
}

// analyzeFiles runs the packet path over capture files, with damage
// warnings on stderr and the progress line on a terminal. With sums
// non-nil (one per file), the captures are hashed as they are read and
// sums[i] is set to file i's SHA-256 in hex ("" if unknown).
func analyzeFiles(ctx context.Context, e *env, files []string, opts pipeline.Options, sums []string) (*pipeline.Result, error) {
	var srcs []capture.Source
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	for _, f := range files {
		s, err := capture.OpenWith(f, capture.Options{Hash: sums != nil})
		if err != nil {
			if errors.Is(err, capture.ErrNotCapture) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
				return nil, usageError{err}
			}
			return nil, err
		}
		srcs = append(srcs, s)
	}
	prog := &pipeline.Progress{}
	opts.Progress = prog
	opts.OnDamage = func(err error) { fmt.Fprintf(e.stderr, "harborwatch: warning: %v\n", err) }
	stop := progressLine(e, prog)
	res, err := pipeline.Run(ctx, srcs, opts)
	stop()
	for i, s := range srcs {
		if sum, ok := capture.SHA256(s); ok && sums != nil {
			sums[i] = hex.EncodeToString(sum[:])
		}
	}
	return res, err
}

// writeJSON writes v as indented JSON with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
