package cli

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"harborwatch/auth"
	"harborwatch/internal/synth"
	"harborwatch/recovery"
	"harborwatch/site"
	"harborwatch/store"
)

func backupCommand() *command {
	return &command{
		name:  "backup",
		short: "the backup register: what is backed up, where, offline, restore-tested",
		usage: `harborwatch backup add --crane ID --item ITEM [--system SYSTEM] [--asset ID] [--location WHERE] [--offline] [--file FILE | --sha256 HEX] [--taken DATE] [--restore-tested DATE --restore-result pass|fail [--restore-by NAME]] [--note NOTE] [--id ID] [--data DIR | --db URL]
       harborwatch backup list [--crane ID] [--format text|json|csv] [--data DIR | --db URL]
       harborwatch backup verify [--file FILE] [--data DIR | --db URL] [ID...]
       harborwatch backup import [--data DIR | --db URL] FILE.csv
       harborwatch backup delete [--data DIR | --db URL] ID`,
		long: `
Keeps the register of a port's crane backups, as the advisory asks: for each
crane, operating-system images of the crane management, cabin view and ground
view systems (item os-image, --system crane-management|cabin-view|ground-view),
PLC programs (plc-program), drive settings (vfd-settings) and switch
configurations (switch-config); where each is kept, whether offline, its
SHA-256, when it was taken and the last restore test (date, result, who).

'backup add' records one (--id replaces an entry; --file hashes the backup
file and takes its path as the location when none is given). 'backup list'
shows the register, as CSV with --format csv (the form 'backup import'
reads: id, crane, asset, item, system, location, offline, sha256, size,
taken_at, restore_tested, restore_result, restore_by, note). 'backup verify'
re-hashes backup files — each entry's location when it is a file here, or
--file for one ID (entries kept offline elsewhere are skipped) — and
compares with the recorded SHA-256: a mismatch is kept in the register,
shows in the readiness report (recovery.backup-mismatch) and exits 3.
'backup import' reads a maintenance system's CSV export: rows with a problem
are reported as file:line:col and skipped (exit 2 when any), the others
added. Every change is recorded in the audit log.

Examples:
  harborwatch backup add --crane STS-01 --asset sts01-plc1 --item plc-program --file /mnt/offline/sts01-plc1.zip --offline --location "safe B"
  harborwatch backup verify --data /var/lib/harborwatch
  harborwatch backup import --data /var/lib/harborwatch cmms-backups.csv
  harborwatch backup list --format csv > backups.csv`,
		run: runBackup,
	}
}

func sparesCommand() *command {
	return &command{
		name:  "spares",
		short: "the spares register: spare PLCs, computers, network devices, drives",
		usage: `harborwatch spares add --crane ID --component KIND --required N --on-hand N [--model M] [--location WHERE] [--firmware yes|no|unknown] [--rebuild-tested DATE] [--note NOTE] [--id ID] [--data DIR | --db URL]
       harborwatch spares list [--crane ID] [--format text|json|csv] [--data DIR | --db URL]
       harborwatch spares import [--data DIR | --db URL] FILE.csv
       harborwatch spares delete [--data DIR | --db URL] ID`,
		long: `
Keeps the register of spares per crane and component kind (plc,
embedded-computer, network-device, drive): model, how many are on hand and
how many the crane requires, where, whether their firmware is compatible
with the installed unit, and the last rebuild test. The readiness report
holds it against the advisory (spare PLCs, embedded computers and network
devices, with rebuild procedures that were tried).

'spares list --format csv' writes the form 'spares import' reads: id, crane,
component, model, on_hand, required, location, firmware_compatible,
rebuild_tested, note. Every change is recorded in the audit log.

Examples:
  harborwatch spares add --crane STS-01 --component plc --model "S7-1500 CPU 1516-3" --on-hand 1 --required 1 --rebuild-tested 2026-09-01
  harborwatch spares import --data /var/lib/harborwatch cmms-spares.csv`,
		run: runSpares,
	}
}

func readinessCommand() *command {
	return &command{
		name:  "readiness",
		short: "is each crane recoverable: backups and spares against the advisory",
		usage: "harborwatch readiness [--site FILE] [--site-id ID] [--format text|json|csv] [--at TIME] [--max-backup-age D] [--max-restore-age D] [--max-rebuild-age D] [--data DIR | --db URL]",
		long: `
Reports per crane (the cranes of --site and every crane the registers name)
what it lacks to be restored, as the advisory asks: a backup missing from its
list (os-image of crane management, cabin view and ground view; plc-program;
vfd-settings; switch-config), the newest backup older than --max-backup-age,
none kept offline, never restore-tested, a failed last test or one older
than --max-restore-age, a backup file that no longer matches its hash, the
asset changed since its last backup (a program change or a baseline mismatch
in the store after the backup date), and spares below the required count,
missing for PLCs, embedded computers or network devices, or never
rebuild-tested (or longer ago than --max-rebuild-age).

Each gap is a recovery.* finding with the controls it bears on, kept in the
store (under --site-id, default the facility id of --site); the run is
audited. --at judges as of another time (the simulated registers of
'simulate' are dated for --at 2026-11-02T12:00:00Z).

Examples:
  harborwatch readiness --data /var/lib/harborwatch --site site.yaml
  harborwatch readiness --format csv --max-backup-age 30d > gaps.csv`,
		run: runReadiness,
	}
}

// registerFlags are the fields of a register entry given as flags.
type registerFlags struct {
	id, crane, asset, item, system, location, file, sha, taken, tested, result, by, note string
	offline                                                                              bool
	component, model, firmware, rebuilt                                                  string
	onHand, required                                                                     int
	format                                                                               string
}

func parseDate(flagName, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, usagef("--%s %q: want YYYY-MM-DD or an RFC 3339 time", flagName, s)
}

func auditJSON(ctx context.Context, s store.Store, action, target, result string, v any) error {
	b, _ := json.Marshal(v)
	return auditLocal(ctx, s, action, target, result, string(b))
}

func runBackup(ctx context.Context, e *env, args []string) error {
	c := backupCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var o registerFlags
	fs.StringVar(&o.id, "id", "", "add: the entry `ID` (replaces an entry with it; default: a new one)")
	fs.StringVar(&o.crane, "crane", "", "the crane `ID` (list: only its entries)")
	fs.StringVar(&o.asset, "asset", "", "the asset `ID` backed up")
	fs.StringVar(&o.item, "item", "", "`ITEM`: os-image, plc-program, vfd-settings or switch-config")
	fs.StringVar(&o.system, "system", "", "of an os-image: `SYSTEM` crane-management, cabin-view or ground-view")
	fs.StringVar(&o.location, "location", "", "where the backup is kept (`WHERE`)")
	fs.BoolVar(&o.offline, "offline", false, "the backup is kept offline")
	fs.StringVar(&o.file, "file", "", "add: hash the backup `FILE`; verify: the file of the one ID given")
	fs.StringVar(&o.sha, "sha256", "", "the backup's SHA-256 (`HEX`), when --file is not given")
	fs.StringVar(&o.taken, "taken", "", "when the backup was taken (`DATE`, default now)")
	fs.StringVar(&o.tested, "restore-tested", "", "the last restore test (`DATE`)")
	fs.StringVar(&o.result, "restore-result", "", "its `RESULT`: pass or fail")
	fs.StringVar(&o.by, "restore-by", "", "who did the restore test (`NAME`)")
	fs.StringVar(&o.note, "note", "", "a `NOTE`")
	fs.StringVar(&o.format, "format", "text", "list: `FORMAT` text, json or csv")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("backup: want add, list, verify, import or delete (see 'harborwatch backup --help')")
	}
	switch pos[0] {
	case "add":
		if len(pos) != 1 {
			return usagef("backup add takes no arguments")
		}
		b := store.Backup{ID: o.id, Crane: o.crane, Asset: o.asset, Item: o.item, System: o.system, Location: o.location,
			Offline: o.offline, SHA256: strings.ToLower(o.sha), RestoreResult: o.result, RestoreBy: o.by, Note: o.note, By: localActor()}
		if o.file != "" {
			if b.SHA256 != "" {
				return usagef("backup add: give --file or --sha256, not both")
			}
			sum, n, err := hashFile(o.file)
			if err != nil {
				return usageError{fmt.Errorf("backup add: --file: %w", err)}
			}
			b.SHA256, b.Size = sum, n
			if b.Location == "" {
				b.Location = o.file
			}
		}
		taken, err := parseDate("taken", o.taken)
		if err != nil {
			return err
		}
		b.TakenAt = time.Now().UTC()
		if taken != nil {
			b.TakenAt = *taken
		}
		if b.RestoreTested, err = parseDate("restore-tested", o.tested); err != nil {
			return err
		}
		if err := checkBackup(b); err != nil {
			return usagef("backup add: %v", err)
		}
		s, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		if old, err := s.Backup(ctx, b.ID); b.ID != "" && err == nil && old.SHA256 == b.SHA256 {
			// A replaced entry of the same file keeps what backup verify found.
			b.Verified, b.VerifyResult = old.Verified, old.VerifyResult
		}
		b, err = s.PutBackup(ctx, b)
		if err != nil {
			return err
		}
		if err := auditJSON(ctx, s, "backup.put", "backup:"+b.ID, "ok", b); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backup %s: %s %s of %s\n", b.ID, b.Crane, itemName(b), cmp.Or(b.Asset, b.Crane))
		return nil
	case "list":
		s, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		bs, err := s.Backups(ctx, o.crane)
		if err != nil {
			return err
		}
		switch o.format {
		case "csv":
			return recovery.WriteBackups(e.stdout, bs)
		case "json":
			return writeJSON(e.stdout, nonNil(bs))
		case "text":
			fmt.Fprintf(e.stdout, "%-20s %-8s %-16s %-30s %-7s %-10s %-22s %s\n", "ID", "CRANE", "ASSET", "ITEM", "OFFLINE", "TAKEN", "RESTORE TEST", "LOCATION")
			for _, b := range bs {
				test := "never"
				if b.RestoreTested != nil {
					test = b.RestoreTested.Format(time.DateOnly) + " " + b.RestoreResult
				}
				fmt.Fprintf(e.stdout, "%-20s %-8s %-16s %-30s %-7s %-10s %-22s %s\n", b.ID, b.Crane, b.Asset, itemName(b),
					yesNo(b.Offline), b.TakenAt.Format(time.DateOnly), test, b.Location)
			}
			return nil
		}
		return usagef("backup list: --format %q: want text, json or csv", o.format)
	case "verify":
		return backupVerify(ctx, e, d, o, pos[1:])
	case "import":
		if len(pos) != 2 {
			return usagef("backup import: want one CSV file")
		}
		return importRegister(ctx, e, d, "backup", pos[1])
	case "delete":
		return deleteEntry(ctx, d, "backup", "backup", pos[1:], store.Store.DeleteBackup)
	}
	return usagef("backup: unknown subcommand %q: want add, list, verify, import or delete", pos[0])
}

// deleteEntry is 'CMD delete ID' of a register: it deletes the entry
// (a usage error when there is none) and audits it as NOUN.delete.
func deleteEntry(ctx context.Context, d *dataFlags, cmd, noun string, args []string, del func(store.Store, context.Context, string) error) error {
	if len(args) != 1 {
		return usagef("%s delete: want one ID", cmd)
	}
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := del(s, ctx, args[0]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return usagef("%s delete: no %s %q", cmd, noun, args[0])
		}
		return err
	}
	return auditLocal(ctx, s, noun+".delete", noun+":"+args[0], "ok", "")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func itemName(b store.Backup) string {
	if b.System != "" {
		return b.Item + "/" + b.System
	}
	return b.Item
}

// checkBackup checks an entry as the CSV reader does.
func checkBackup(b store.Backup) error {
	switch {
	case b.Crane == "":
		return errors.New("--crane is required")
	case !slices.Contains(recovery.Items, b.Item):
		return fmt.Errorf("--item %q: want %s", b.Item, strings.Join(recovery.Items, ", "))
	case b.System != "" && !slices.Contains(recovery.Systems, b.System):
		return fmt.Errorf("--system %q: want %s", b.System, strings.Join(recovery.Systems, ", "))
	case b.Item == "os-image" && b.System == "":
		return fmt.Errorf("an os-image names its --system (%s)", strings.Join(recovery.Systems, ", "))
	case b.SHA256 != "" && (len(b.SHA256) != 64 || strings.Trim(b.SHA256, "0123456789abcdef") != ""):
		return fmt.Errorf("--sha256 %q: not 64 hex digits", b.SHA256)
	case b.RestoreResult != "" && b.RestoreResult != "pass" && b.RestoreResult != "fail":
		return fmt.Errorf("--restore-result %q: want pass or fail", b.RestoreResult)
	case b.RestoreTested != nil && b.RestoreResult == "":
		return errors.New("--restore-tested needs --restore-result pass or fail")
	}
	return nil
}

func backupVerify(ctx context.Context, e *env, d *dataFlags, o registerFlags, ids []string) error {
	if o.file != "" && len(ids) != 1 {
		return usagef("backup verify: --file goes with exactly one backup ID")
	}
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	var bs []store.Backup
	if len(ids) == 0 {
		all, err := s.Backups(ctx, o.crane)
		if err != nil {
			return err
		}
		for _, b := range all {
			if b.SHA256 != "" {
				bs = append(bs, b)
			}
		}
	}
	for _, id := range ids {
		b, err := s.Backup(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return usagef("backup verify: no backup %q", id)
		}
		if err != nil {
			return err
		}
		bs = append(bs, b)
	}
	bad, skipped := 0, 0
	for _, b := range bs {
		path := b.Location
		if o.file != "" {
			path = o.file
		}
		if b.SHA256 == "" {
			fmt.Fprintf(e.stdout, "%s  no SHA-256 recorded: nothing to compare\n", b.ID)
			continue
		}
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			// An offline copy is not here to read: that is no finding.
			fmt.Fprintf(e.stdout, "%s  skipped: %q is not a file here (give --file with the backup mounted)\n", b.ID, path)
			skipped++
			continue
		}
		now := time.Now().UTC()
		sum, _, err := hashFile(path)
		result := "match"
		switch {
		case err != nil:
			result = "unreadable"
			fmt.Fprintf(e.stdout, "%s  UNREADABLE  %s: %v\n", b.ID, path, err)
		case sum != b.SHA256:
			result = "mismatch"
			fmt.Fprintf(e.stdout, "%s  MISMATCH  %s: %s, recorded %s\n", b.ID, path, sum, b.SHA256)
		default:
			fmt.Fprintf(e.stdout, "%s  ok  %s\n", b.ID, path)
		}
		if result != "match" {
			bad++
		}
		b.Verified, b.VerifyResult, b.By, b.Updated = &now, result, localActor(), now
		if _, err := s.PutBackup(ctx, b); err != nil {
			return err
		}
		if err := auditJSON(ctx, s, "backup.verify", "backup:"+b.ID, result, map[string]string{"path": path, "sha256": sum}); err != nil {
			return err
		}
	}
	if skipped > 0 && len(ids) > 0 {
		return usagef("backup verify: %s not found here", nouns(skipped, "backup file", "backup files"))
	}
	if bad > 0 {
		return exitError{ExitFailOn}
	}
	return nil
}

// importRegister reads a register CSV and puts its good rows, reporting
// bad ones (exit 2 when any).
func importRegister(ctx context.Context, e *env, d *dataFlags, what, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return usageError{fmt.Errorf("%s import: %w", what, err)}
	}
	defer f.Close()
	var bs []store.Backup
	var ss []store.Spare
	var problems, notices []recovery.Problem
	if what == "backup" {
		bs, problems, notices, err = recovery.ReadBackups(file, f)
	} else {
		ss, problems, notices, err = recovery.ReadSpares(file, f)
	}
	if err != nil {
		return usageError{err}
	}
	for _, n := range notices {
		fmt.Fprintf(e.stderr, "harborwatch: note: %s\n", n.Error())
	}
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "harborwatch: %s\n", p.Error())
	}
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	by := localActor()
	for _, b := range bs {
		b.By = by
		if _, err := s.PutBackup(ctx, b); err != nil {
			return err
		}
	}
	for _, sp := range ss {
		sp.By = by
		if _, err := s.PutSpare(ctx, sp); err != nil {
			return err
		}
	}
	n := len(bs) + len(ss)
	result := "ok"
	if len(problems) > 0 {
		result = "partial"
	}
	if err := auditJSON(ctx, s, what+".import", "file:"+file, result, map[string]int{"rows": n, "problems": len(problems)}); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "harborwatch: %s import: %s added or replaced, %s skipped\n", what, nouns(n, "row", "rows"), nouns(len(problems), "bad row", "bad rows"))
	if len(problems) > 0 {
		return exitError{ExitUsage}
	}
	return nil
}

func runSpares(ctx context.Context, e *env, args []string) error {
	c := sparesCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var o registerFlags
	fs.StringVar(&o.id, "id", "", "add: the entry `ID` (replaces an entry with it; default: a new one)")
	fs.StringVar(&o.crane, "crane", "", "the crane `ID` (list: only its entries)")
	fs.StringVar(&o.component, "component", "", "`KIND`: plc, embedded-computer, network-device or drive")
	fs.StringVar(&o.model, "model", "", "the `MODEL`")
	fs.IntVar(&o.onHand, "on-hand", 0, "how many are on hand (`N`)")
	fs.IntVar(&o.required, "required", 0, "how many the crane requires (`N`)")
	fs.StringVar(&o.location, "location", "", "where they are kept (`WHERE`)")
	fs.StringVar(&o.firmware, "firmware", "unknown", "firmware compatible with the installed unit: `ANSWER` yes, no or unknown")
	fs.StringVar(&o.rebuilt, "rebuild-tested", "", "the last rebuild test (`DATE`)")
	fs.StringVar(&o.note, "note", "", "a `NOTE`")
	fs.StringVar(&o.format, "format", "text", "list: `FORMAT` text, json or csv")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("spares: want add, list, import or delete (see 'harborwatch spares --help')")
	}
	switch pos[0] {
	case "add":
		if len(pos) != 1 {
			return usagef("spares add takes no arguments")
		}
		sp := store.Spare{ID: o.id, Crane: o.crane, Component: o.component, Model: o.model, OnHand: o.onHand, Required: o.required,
			Location: o.location, FirmwareCompatible: o.firmware, Note: o.note, By: localActor()}
		switch {
		case sp.Crane == "":
			return usagef("spares add: --crane is required")
		case !slices.Contains(recovery.Components, sp.Component):
			return usagef("spares add: --component %q: want %s", sp.Component, strings.Join(recovery.Components, ", "))
		case sp.OnHand < 0 || sp.Required < 0:
			return usagef("spares add: --on-hand and --required are counts (≥ 0)")
		case !slices.Contains([]string{"yes", "no", "unknown"}, sp.FirmwareCompatible):
			return usagef("spares add: --firmware %q: want yes, no or unknown", sp.FirmwareCompatible)
		}
		if sp.RebuildTested, err = parseDate("rebuild-tested", o.rebuilt); err != nil {
			return err
		}
		s, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		sp, err = s.PutSpare(ctx, sp)
		if err != nil {
			return err
		}
		if err := auditJSON(ctx, s, "spare.put", "spare:"+sp.ID, "ok", sp); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "spare %s: %s %s %s, %d on hand of %d required\n", sp.ID, sp.Crane, sp.Component, sp.Model, sp.OnHand, sp.Required)
		return nil
	case "list":
		s, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		ss, err := s.Spares(ctx, o.crane)
		if err != nil {
			return err
		}
		switch o.format {
		case "csv":
			return recovery.WriteSpares(e.stdout, ss)
		case "json":
			return writeJSON(e.stdout, nonNil(ss))
		case "text":
			fmt.Fprintf(e.stdout, "%-20s %-8s %-18s %-24s %7s %8s %-8s %s\n", "ID", "CRANE", "COMPONENT", "MODEL", "ON HAND", "REQUIRED", "FIRMWARE", "REBUILD TEST")
			for _, sp := range ss {
				test := "never"
				if sp.RebuildTested != nil {
					test = sp.RebuildTested.Format(time.DateOnly)
				}
				fmt.Fprintf(e.stdout, "%-20s %-8s %-18s %-24s %7d %8d %-8s %s\n", sp.ID, sp.Crane, sp.Component, sp.Model, sp.OnHand, sp.Required, sp.FirmwareCompatible, test)
			}
			return nil
		}
		return usagef("spares list: --format %q: want text, json or csv", o.format)
	case "import":
		if len(pos) != 2 {
			return usagef("spares import: want one CSV file")
		}
		return importRegister(ctx, e, d, "spares", pos[1])
	case "delete":
		return deleteEntry(ctx, d, "spares", "spare", pos[1:], store.Store.DeleteSpare)
	}
	return usagef("spares: unknown subcommand %q: want add, list, import or delete", pos[0])
}

func runReadiness(ctx context.Context, e *env, args []string) error {
	c := readinessCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var siteFile, siteID, format, at, backupAge, restoreAge, rebuildAge string
	fs.StringVar(&siteFile, "site", "", "the site model `FILE`: its cranes are judged even when the registers do not name them")
	fs.StringVar(&siteID, "site-id", "", "the site `ID` the findings are kept under (default: the facility id of --site)")
	fs.StringVar(&format, "format", "text", "`FORMAT`: text, json or csv (one gap a row)")
	fs.StringVar(&at, "at", "", "judge as of `TIME` (RFC 3339; default now)")
	fs.StringVar(&backupAge, "max-backup-age", "90d", "a newest backup older than `D` is stale")
	fs.StringVar(&restoreAge, "max-restore-age", "365d", "a restore test older than `D` is too old")
	fs.StringVar(&rebuildAge, "max-rebuild-age", "365d", "a rebuild test older than `D` is too old")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("readiness takes no arguments")
	}
	if format != "text" && format != "json" && format != "csv" {
		return usagef("readiness: --format %q: want text, json or csv", format)
	}
	var p recovery.Policy
	for _, x := range []struct {
		name, v string
		d       *time.Duration
	}{{"max-backup-age", backupAge, &p.MaxBackupAge}, {"max-restore-age", restoreAge, &p.MaxRestoreAge}, {"max-rebuild-age", rebuildAge, &p.MaxRebuildAge}} {
		v, err := auth.ParseDuration(x.v)
		if err != nil || v <= 0 {
			return usagef("readiness: --%s %q: want a duration such as 30d, 12w or 8760h", x.name, x.v)
		}
		*x.d = v
	}
	now := time.Now().UTC()
	if at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return usagef("readiness: --at %q: want an RFC 3339 time", at)
		}
		now = t.UTC()
	}
	var cranes []string
	if siteFile != "" {
		st, err := site.Load(siteFile)
		if err != nil {
			return siteProblems(e, err)
		}
		for _, c := range st.Cranes {
			cranes = append(cranes, c.ID)
		}
		if siteID == "" {
			siteID = st.Facility.ID
		}
	}
	s, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	bs, err := s.Backups(ctx, "")
	if err != nil {
		return err
	}
	ss, err := s.Spares(ctx, "")
	if err != nil {
		return err
	}
	changes, err := recovery.StoreChanges(ctx, s)
	if err != nil {
		return err
	}
	rep := recovery.Readiness(cranes, bs, ss, changes, p, now)
	fsx := rep.Findings()
	sum, err := s.MergeFindings(ctx, siteID, "readiness", now, fsx)
	if err != nil {
		return err
	}
	if err := auditJSON(ctx, s, "readiness.run", "site:"+siteID, "ok", map[string]int{"cranes": len(rep.Cranes), "gaps": rep.Gaps,
		"findings_new": sum.New}); err != nil {
		return err
	}
	switch format {
	case "json":
		return writeJSON(e.stdout, rep)
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"crane", "rule", "item", "asset", "backup", "detail"})
		for _, c := range rep.Cranes {
			for _, g := range c.Gaps {
				w.Write([]string{g.Crane, g.Rule, g.Item, g.Asset, g.Backup, g.Detail})
			}
		}
		w.Flush()
		return w.Error()
	}
	fmt.Fprintf(e.stdout, "readiness at %s (backups ≤ %d days, restore and rebuild tests ≤ %d/%d days): %s, %s\n",
		rep.At.Format(time.RFC3339), rep.Policy.MaxBackupDays, rep.Policy.MaxRestoreDays, rep.Policy.MaxRebuildDays,
		nouns(len(rep.Cranes), "crane", "cranes"), nouns(rep.Gaps, "gap", "gaps"))
	for _, c := range rep.Cranes {
		state := "READY"
		if !c.Ready {
			state = "NOT READY: " + nouns(len(c.Gaps), "gap", "gaps")
		}
		fmt.Fprintf(e.stdout, "\n%s  %s  (%s, %s)\n", c.Crane, state, nouns(len(c.Backups), "backup", "backups"), nouns(len(c.Spares), "spares entry", "spares entries"))
		for _, g := range c.Gaps {
			fmt.Fprintf(e.stdout, "  %-26s %-22s %s\n", g.Rule, g.Item, g.Detail)
		}
	}
	return nil
}

// registerFiles are the recovery registers simulate writes beside the
// capture.
type registerFiles struct {
	backups, spares, truth string
	files                  [3]*outFile
}

func createRegisters(outs *outputs, base string) (*registerFiles, error) {
	r := &registerFiles{backups: base + ".backups.csv", spares: base + ".spares.csv", truth: base + ".readiness.json"}
	for i, p := range []string{r.backups, r.spares, r.truth} {
		f, err := outs.create("", p)
		if err != nil {
			return nil, err
		}
		r.files[i] = f
	}
	return r, nil
}

// readinessTruth is the FILE.readiness.json document.
type readinessTruth struct {
	Version int                 `json:"version"`
	At      time.Time           `json:"at"`
	Backups string              `json:"backups"`
	Spares  string              `json:"spares"`
	Cranes  int                 `json:"cranes"`
	Gaps    []synth.RegisterGap `json:"gaps"`
}

func (r *registerFiles) write(cranes int) error {
	b, s, gaps, err := synth.Registers(cranes)
	if err != nil {
		return err
	}
	t, err := json.MarshalIndent(readinessTruth{Version: 1, At: synth.RegistersAt, Backups: baseName(r.backups), Spares: baseName(r.spares),
		Cranes: cranes, Gaps: gaps}, "", "  ")
	if err != nil {
		return err
	}
	for i, data := range [][]byte{b, s, append(t, '\n')} {
		if err := writeOut(r.files[i], func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
	}
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
