package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"harborwatch/analysis"
	"harborwatch/auth"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/integrity"
	"harborwatch/recovery"
	"harborwatch/signing"
	"harborwatch/site"
	"harborwatch/store"
)

func baselineCommand() *command {
	return &command{
		name:  "baseline",
		short: "signed integrity baselines of PLC programs, firmware, images and settings",
		usage: `harborwatch baseline add    --asset ID [--kind KIND] --key PRIVATE.key [--out FILE] [--site-id ID] [--data DIR | --db URL] FILE|DIR...
       harborwatch baseline verify --asset ID --key PUBLIC.pub [--format text|json] [--data DIR | --db URL] FILE|DIR...
       harborwatch baseline learn  --asset ID --key PRIVATE.key [--plc IP] [--until TIME] [--site FILE] [--data DIR | --db URL] CAPTURE...
       harborwatch baseline check  --key PUBLIC.pub [--site FILE] [--format text|json] [--data DIR | --db URL] CAPTURE...
       harborwatch baseline path   --asset ID [--data DIR | --db URL] [PATH]
       harborwatch baseline list   [--data DIR | --db URL]`,
		long: `
Keeps a signed baseline of what an asset runs — a PLC program, firmware, an
operating-system image, drive (VFD) parameters, a switch configuration — and
checks it against what is there now: the advisory's periodic integrity check
of PLC programs, with evidence.

'baseline add' hashes every file given (directories are walked; links are
not followed): SHA-256 and size of each, and, for --kind plc-program, of
each block of files that are S7 block dumps (blocks in load-memory format,
the form an S7 upload moves: the SHA-256 of a block in a file is the one the
wire shows for it). It records who and when, signs the manifest with an
ed25519 key of 'harborwatch keygen' and keeps it in the store as the asset's
current baseline (earlier ones are kept). --out also writes the signed
manifest to a file, to keep offline.

'baseline verify' checks the stored baseline's signature with the public
key — a manifest changed after signing, or signed by another key, is named
and fails — then hashes the files given and reports what matches, what
changed (which files, which blocks, both hashes), what is missing and what
is new. The result is kept in the store and becomes a finding
(integrity.baseline-mismatch, integrity.baseline-invalid); exit 3 when
anything differs.

'baseline learn' reads captures of a known-good program upload and makes the
baseline from the blocks the S7 analyzer hashed (one entry a block; --plc
chooses the device when the captures upload from several; --until ends the
known-good state: a block uploaded again with another hash before it is an
error, not a baseline).

'baseline check' reads captures and holds every program transfer against
the baselines: a block downloaded (or uploaded) with another hash than the
baseline's is integrity.program-changed (critical outside every change
window of --site, high inside one); an identical download is nothing; an
upload that matches confirms the block, with its date; a program download or
firmware update from a remote-access zone or gateway is
integrity.remote-update. Results are kept per asset; exit 3 on any finding.

'baseline path' sets where 'serve --reverify D --reverify-key FILE' re-verifies
the asset's current baseline from, every D: the advisory's periodic check
(no PATH: not any more). Each add, learn, verify, check and path is recorded
in the audit log.

Examples:
  harborwatch keygen --out officer
  harborwatch baseline add --asset sts01-plc1 --kind plc-program --key officer.key /backups/sts01/plc1/
  harborwatch baseline verify --asset sts01-plc1 --key officer.pub /mnt/plc1-export/
  harborwatch baseline learn --asset sts01-plc1 --key officer.key --plc 10.10.1.5 upload.pcap
  harborwatch baseline check --key officer.pub --site site.yaml monday.pcap`,
		run: runBaseline,
	}
}

type baselineOptions struct {
	asset, kind, key, out, plc, siteFile, siteID, format, until string
}

func runBaseline(ctx context.Context, e *env, args []string) error {
	c := baselineCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var o baselineOptions
	fs.StringVar(&o.asset, "asset", "", "the asset `ID` (as site.yaml or the inventory names it)")
	fs.StringVar(&o.kind, "kind", string(integrity.KindPLCProgram), "what the baseline holds: `KIND` plc-program, firmware, os-image, vfd-params, switch-config or other")
	fs.StringVar(&o.key, "key", "", "ed25519 key `FILE` of 'harborwatch keygen': the private key (.key) to sign with (add, learn), the public key (.pub) to check with (verify, check)")
	fs.StringVar(&o.out, "out", "", "add, learn: also write the signed manifest to `FILE`")
	fs.StringVar(&o.plc, "plc", "", "learn: the device `IP` whose uploads make the baseline")
	fs.StringVar(&o.until, "until", "", "learn: take only uploads before `TIME` (RFC 3339), the end of the known-good state")
	fs.StringVar(&o.siteFile, "site", "", "learn, check: the site model `FILE` (zones, change windows, remote-access gateways, asset addresses)")
	fs.StringVar(&o.siteID, "site-id", "", "the site `ID` findings are kept under in the store (default: the facility id of --site)")
	fs.StringVar(&o.format, "format", "text", "verify, check: output `FORMAT`, text or json")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("baseline: want add, verify, learn, check, path or list (see 'harborwatch baseline --help')")
	}
	if o.format != "text" && o.format != "json" {
		return usagef("baseline: --format %q: want text or json", o.format)
	}
	verb, rest := pos[0], pos[1:]
	switch verb {
	case "add", "verify", "learn":
		if o.asset == "" {
			return usagef("baseline %s: --asset is required", verb)
		}
		fallthrough
	case "check":
		if o.key == "" {
			return usagef("baseline %s: --key is required", verb)
		}
		if len(rest) == 0 {
			what := "files or directories"
			if verb == "learn" || verb == "check" {
				what = "captures"
			}
			return usagef("baseline %s: no %s given", verb, what)
		}
	case "list":
		if len(rest) > 0 {
			return usagef("baseline list takes no arguments")
		}
	case "path":
		if o.asset == "" || len(rest) > 1 {
			return usagef("baseline path: want --asset ID and at most one PATH")
		}
	default:
		return usagef("baseline: unknown subcommand %q: want add, verify, learn, check, path or list", verb)
	}
	kind, err := integrity.ParseKind(o.kind)
	if err != nil {
		return usagef("baseline: --kind: %v", err)
	}
	var st *site.Site
	if o.siteFile != "" {
		if st, err = site.Load(o.siteFile); err != nil {
			return siteProblems(e, err)
		}
		if o.siteID == "" {
			o.siteID = st.Facility.ID
		}
	}
	switch verb {
	case "add":
		return baselineAdd(ctx, e, d, o, kind, rest)
	case "verify":
		return baselineVerify(ctx, e, d, o, rest)
	case "learn":
		return baselineLearn(ctx, e, d, o, kind, st, rest)
	case "check":
		return baselineCheck(ctx, e, d, o, st, rest)
	case "path":
		return baselinePath(ctx, e, d, o, rest)
	}
	return baselineList(ctx, e, d)
}

// storeBaseline signs m, writes it to --out when given, stores it and
// audits the addition.
func storeBaseline(ctx context.Context, e *env, d *dataFlags, o baselineOptions, m integrity.Manifest, action string) error {
	priv, err := signing.ReadPrivate(o.key)
	if err != nil {
		return usageError{fmt.Errorf("baseline %s: --key: %w", action, err)}
	}
	m.Sign(priv)
	text := m.Marshal()
	if o.out != "" {
		outs := newOutputs(e, "baseline "+action)
		defer outs.abort()
		f, err := outs.create("out", o.out)
		if err != nil {
			return err
		}
		if _, err := f.Write(text); err != nil {
			return err
		}
		if err := f.commit(); err != nil {
			return err
		}
	}
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	b, err := s.AddBaseline(ctx, store.Baseline{Site: o.siteID, Asset: m.Asset, Kind: string(m.Kind), Source: m.Source,
		KeyID: m.KeyID, Manifest: text, Created: m.Created, By: m.By})
	if err != nil {
		return err
	}
	blocks := 0
	for _, en := range m.Entries {
		blocks += len(en.Blocks)
	}
	detail, _ := json.Marshal(map[string]any{"baseline": b.ID, "kind": m.Kind, "source": m.Source, "entries": len(m.Entries),
		"blocks": blocks, "key_id": m.KeyID})
	if err := auditLocal(ctx, s, "baseline."+action, "asset:"+m.Asset, "ok", string(detail)); err != nil {
		return err
	}
	what := nouns(len(m.Entries), "file", "files")
	if m.Source == integrity.SourceWire {
		what = nouns(len(m.Entries), "block", "blocks")
	} else if blocks > 0 {
		what += ", " + nouns(blocks, "block", "blocks")
	}
	fmt.Fprintf(e.stdout, "baseline %s of %s (%s): %s, signed with key %s\n", b.ID, m.Asset, m.Kind, what, m.KeyID)
	for _, en := range m.Entries {
		if en.Note != "" {
			fmt.Fprintf(e.stderr, "harborwatch: %s: %s\n", en.Path, en.Note)
		}
	}
	return nil
}

func baselineAdd(ctx context.Context, e *env, d *dataFlags, o baselineOptions, kind integrity.Kind, roots []string) error {
	m, err := integrity.Build(integrity.Options{Asset: o.asset, Kind: kind, By: localActor(), At: time.Now()}, roots...)
	if err != nil {
		return usageError{fmt.Errorf("baseline add: %w", err)}
	}
	return storeBaseline(ctx, e, d, o, m, "add")
}

// programOps keeps the events of program and firmware transfers only.
func programOps() func() func(*event.Event) bool {
	return func() func(*event.Event) bool {
		return func(ev *event.Event) bool {
			return ev.Op == event.OpProgramDownload || ev.Op == event.OpProgramUpload || ev.Op == event.OpFirmwareUpdate
		}
	}
}

func captureTransfers(ctx context.Context, e *env, st *site.Site, files []string) ([]integrity.Transfer, *analysis.Result, error) {
	res, err := analyzeFiles(ctx, e, files, analysis.Options{Site: st, Events: true, KeepEvent: programOps()}, nil)
	if err != nil {
		return nil, nil, err
	}
	return integrity.Transfers(res.Pipeline.Events), res, nil
}

func baselineLearn(ctx context.Context, e *env, d *dataFlags, o baselineOptions, kind integrity.Kind, st *site.Site, files []string) error {
	var plc netip.Addr
	if o.plc != "" {
		a, err := netip.ParseAddr(o.plc)
		if err != nil {
			return usagef("baseline learn: --plc %q: not an IP address", o.plc)
		}
		plc = a
	}
	var until time.Time
	if o.until != "" {
		t, err := time.Parse(time.RFC3339Nano, o.until)
		if err != nil {
			return usagef("baseline learn: --until %q: want an RFC 3339 time (2026-11-02T09:00:30Z)", o.until)
		}
		until = t
	}
	trs, _, err := captureTransfers(ctx, e, st, files)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		trs = slices.DeleteFunc(trs, func(t integrity.Transfer) bool { return !t.TS.Before(until) })
	}
	m, err := integrity.Learn(integrity.Options{Asset: o.asset, Kind: kind, By: localActor(), At: time.Now()}, plc, files, trs)
	if err != nil {
		return usageError{fmt.Errorf("baseline learn: %w", err)}
	}
	return storeBaseline(ctx, e, d, o, m, "learn")
}

func baselineVerify(ctx context.Context, e *env, d *dataFlags, o baselineOptions, roots []string) error {
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	b, err := s.Baseline(ctx, o.asset)
	if errors.Is(err, store.ErrNotFound) {
		return usagef("baseline verify: no baseline of %q: make one with 'baseline add' or 'baseline learn'", o.asset)
	}
	if err != nil {
		return err
	}
	pub, err := signing.ReadPublic(o.key)
	if err != nil {
		return usageError{fmt.Errorf("baseline verify: --key: %w", err)}
	}
	res, v, sum, err := recovery.Verify(ctx, s, b, pub, roots, o.siteID, localActor(), time.Now().UTC())
	if err != nil {
		return usageError{fmt.Errorf("baseline verify: %w", err)}
	}
	if err := auditVerification(ctx, s, b.ID, v, sum); err != nil {
		return err
	}
	if err := printResults(e, o.format, []integrity.Result{res}, nil, nil); err != nil {
		return err
	}
	if res.Status != integrity.Matches {
		return exitError{ExitFailOn}
	}
	return nil
}

// keepVerification stores a result with its findings and audits it.
func keepVerification(ctx context.Context, s store.Store, siteID, baseline string, res *integrity.Result, fs []finding.Finding) error {
	text, _ := json.Marshal(res)
	v, sum, err := s.AddVerification(ctx, store.Verification{Site: siteID, Asset: res.Asset, Baseline: baseline, Status: res.Status,
		Result: text, At: res.Checked, By: res.By}, fs)
	if err != nil {
		return err
	}
	return auditVerification(ctx, s, baseline, v, sum)
}

func auditVerification(ctx context.Context, s store.Store, baseline string, v store.Verification, sum store.RunSummary) error {
	detail, _ := json.Marshal(map[string]any{"verification": v.ID, "baseline": baseline, "status": v.Status,
		"findings_new": sum.New, "findings_seen": sum.Seen})
	return auditLocal(ctx, s, "baseline.verify", "asset:"+v.Asset, v.Status, string(detail))
}

func baselineCheck(ctx context.Context, e *env, d *dataFlags, o baselineOptions, st *site.Site, files []string) error {
	trs, _, err := captureTransfers(ctx, e, st, files)
	if err != nil {
		return err
	}
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	stored, err := s.Baselines(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	valid := map[string]*integrity.Manifest{}
	ids := map[string]string{}
	var results []integrity.Result
	var fs []finding.Finding
	pub, err := signing.ReadPublic(o.key)
	if err != nil {
		return usageError{fmt.Errorf("baseline check: --key: %w", err)}
	}
	for _, b := range stored {
		m, bad := recovery.Stored(b, pub)
		ids[b.Asset] = b.ID
		if bad != nil {
			r := integrity.Invalidated(m, localActor(), now, bad)
			results = append(results, r)
			continue
		}
		valid[b.Asset] = &m
	}
	j := integrity.Judge(st, valid, trs)
	byAsset := map[string][]finding.Finding{}
	for _, f := range j.Findings {
		a := f.Dst.Asset
		if a == "" {
			a = f.Dst.IP.String()
		}
		byAsset[a] = append(byAsset[a], f)
	}
	assets := make([]string, 0, len(j.Assets))
	for a := range j.Assets {
		assets = append(assets, a)
	}
	for a := range byAsset {
		if _, ok := j.Assets[a]; !ok {
			assets = append(assets, a)
		}
	}
	slices.Sort(assets)
	for _, a := range assets {
		r := integrity.Result{Asset: a, Status: integrity.Matches, Checked: now, By: localActor(), Origin: files,
			Wire: true, Transfers: j.PerAsset[a], NFindings: len(byAsset[a])}
		if m := valid[a]; m != nil {
			r.Kind, r.KeyID, r.Created = m.Kind, m.KeyID, m.Created
		}
		if len(byAsset[a]) > 0 {
			r.Status = integrity.Differs
		}
		for _, c := range j.Confirmed {
			if c.Asset == a {
				r.Matched++
				r.Confirmed = append(r.Confirmed, c)
			}
		}
		results = append(results, r)
	}
	for i := range results {
		r := &results[i]
		rf := byAsset[r.Asset]
		if r.Status == integrity.Invalid {
			rf = r.Findings()
		}
		fs = append(fs, rf...)
		if err := keepVerification(ctx, s, o.siteID, ids[r.Asset], r, rf); err != nil {
			return err
		}
	}
	finding.Sort(fs)
	if err := printResults(e, o.format, results, fs, j.Confirmed); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "harborwatch: %s judged against %s, %s to or from devices without one\n",
		nouns(j.Judged, "transfer", "transfers"), nouns(len(valid), "baseline", "baselines"), nouns(j.Unbaselined, "transfer", "transfers"))
	if len(fs) > 0 {
		return exitError{ExitFailOn}
	}
	return nil
}

func printResults(e *env, format string, rs []integrity.Result, fs []finding.Finding, conf []integrity.Confirmation) error {
	if format == "json" {
		out := map[string]any{"results": rs}
		if fs != nil || conf != nil {
			out["findings"] = nonNil(fs)
			out["confirmed"] = nonNil(conf)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	w := e.stdout
	for _, r := range rs {
		fmt.Fprintf(w, "%s (%s): %s\n", r.Asset, r.Kind, r.Summary())
		for _, c := range r.Changed {
			fmt.Fprintf(w, "  changed  %s  %s → %s\n", c.Path, c.Was, c.Now)
			for _, b := range c.Blocks {
				switch {
				case b.Was == "":
					fmt.Fprintf(w, "    new block      %s  %s\n", b.Name, b.Now)
				case b.Now == "":
					fmt.Fprintf(w, "    missing block  %s  %s\n", b.Name, b.Was)
				default:
					fmt.Fprintf(w, "    changed block  %s  %s → %s\n", b.Name, b.Was, b.Now)
				}
			}
		}
		for _, p := range r.Missing {
			fmt.Fprintf(w, "  missing  %s\n", p)
		}
		for _, p := range r.New {
			fmt.Fprintf(w, "  new      %s\n", p)
		}
	}
	for _, c := range conf {
		fmt.Fprintf(w, "confirmed %s %s %s at %s\n", c.Asset, c.Block, c.SHA256, c.At.Format(time.RFC3339))
	}
	for _, f := range fs {
		fmt.Fprintf(w, "%-8s %s  %s\n", strings.ToUpper(f.Severity.String()), f.Rule, f.Title)
		if d := f.Detail; d != nil && d["baseline_sha256"] != nil {
			fmt.Fprintf(w, "         block %v: baseline %v, seen %v\n", d["block"], d["baseline_sha256"], d["sha256"])
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func baselineList(ctx context.Context, e *env, d *dataFlags) error {
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	bs, err := s.Baselines(ctx)
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "%-18s %-20s %-14s %-6s %-16s %-20s %-10s %s\n", "ID", "ASSET", "KIND", "SOURCE", "KEY", "CREATED", "LAST", "CHECKED")
	for _, b := range bs {
		last, at := "never", ""
		if vs, err := s.Verifications(ctx, b.Asset, 1); err == nil && len(vs) > 0 {
			last, at = vs[0].Status, vs[0].At.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%-18s %-20s %-14s %-6s %-16s %-20s %-10s %s\n", b.ID, b.Asset, b.Kind, b.Source, b.KeyID,
			b.Created.Format(time.RFC3339), last, at)
	}
	return nil
}

// reverifyOptions reads serve's --reverify and --reverify-key: both or
// neither.
func reverifyOptions(every, keyFile string) (time.Duration, ed25519.PublicKey, error) {
	if every == "" && keyFile == "" {
		return 0, nil, nil
	}
	if every == "" || keyFile == "" {
		return 0, nil, usagef("serve: --reverify and --reverify-key go together")
	}
	d, err := auth.ParseDuration(every)
	if err != nil || d < time.Minute {
		return 0, nil, usagef("serve: --reverify %q: want a duration of at least 1m such as 24h or 7d", every)
	}
	pub, err := signing.ReadPublic(keyFile)
	if err != nil {
		return 0, nil, usageError{fmt.Errorf("serve: --reverify-key: %w", err)}
	}
	return d, pub, nil
}

func baselinePath(ctx context.Context, e *env, d *dataFlags, o baselineOptions, rest []string) error {
	path := ""
	if len(rest) == 1 {
		abs, err := filepath.Abs(rest[0])
		if err != nil {
			return usagef("baseline path: %v", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return usageError{fmt.Errorf("baseline path: %w", err)}
		}
		path = abs
	}
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetBaselinePath(ctx, o.asset, path); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return usagef("baseline path: no baseline of %q", o.asset)
		}
		return err
	}
	detail, _ := json.Marshal(map[string]string{"path": path})
	if err := auditLocal(ctx, s, "baseline.path", "asset:"+o.asset, "ok", string(detail)); err != nil {
		return err
	}
	if path == "" {
		fmt.Fprintf(e.stdout, "%s: not re-verified by serve any more\n", o.asset)
	} else {
		fmt.Fprintf(e.stdout, "%s: serve --reverify checks %s\n", o.asset, path)
	}
	return nil
}
