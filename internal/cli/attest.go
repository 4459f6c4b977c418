package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"harborwatch/auth"
	"harborwatch/compliance/catalog"
	"harborwatch/internal/textsafe"
	"harborwatch/store"
)

func attestCommand() *command {
	return &command{
		name:  "attest",
		short: "record, list and withdraw attestations of controls",
		usage: "harborwatch attest add --site ID --control ID --by NAME --statement TEXT [--document FILE] [--date YYYY-MM-DD] [--expires D] [--data DIR | --db URL]\n       harborwatch attest list [--site ID] [--data DIR | --db URL]\n       harborwatch attest withdraw [--data DIR | --db URL] ATTESTATION-ID",
		long: `
An attestation is a person's statement that a control is met, for what the
wire cannot show: MFA on the remote-access system, physical security,
training, backups, and the MARSEC Directives (which only an attestation can
cover). 'attest add' records who attests (--by), what (--statement), when
(--date, default today) and until when (--expires, a duration from --date
such as 365d; default never); --document hashes the file the attestation
rests on (a policy, a test record) and keeps its SHA-256 and name, never the
file. 'attest list' lists them; 'attest withdraw ID' withdraws one. Each is
recorded in the audit log. 'harborwatch compliance' counts the attestations
in force.

Examples:
  harborwatch attest add --data /var/lib/harborwatch --site t3 --control MARSEC-105-4 \
    --by "J. Officer (CySO)" --statement "Measures of MARSEC Directive 105-4 in place, see the FSP annex" \
    --document fsp-annex-c.pdf --expires 365d
  harborwatch attest list --data /var/lib/harborwatch --site t3`,
		run: runAttest,
	}
}

func runAttest(ctx context.Context, e *env, args []string) error {
	c := attestCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var siteID, control, by, statement, document, date, expires string
	fs.StringVar(&siteID, "site", "", "the site `ID`")
	fs.StringVar(&control, "control", "", "the control `ID` of the catalog (e.g. MSCI-RA-1, MARSEC-105-4)")
	fs.StringVar(&by, "by", "", "the `NAME` of the person who attests")
	fs.StringVar(&statement, "statement", "", "what is attested (`TEXT`)")
	fs.StringVar(&document, "document", "", "the `FILE` the attestation rests on: its SHA-256 and name are kept")
	fs.StringVar(&date, "date", "", "when it was attested, `YYYY-MM-DD` (default today)")
	fs.StringVar(&expires, "expires", "", "expire `D` after --date (e.g. 365d; default never)")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("attest: want add, list or withdraw (see 'harborwatch attest --help')")
	}
	switch pos[0] {
	case "add":
		if len(pos) != 1 {
			return usagef("attest add takes no arguments")
		}
		cat, err := catalog.Load()
		if err != nil {
			return err
		}
		if _, ok := cat.Control(control); !ok {
			return usagef("attest add: --control %q is not a control of the catalog (see the console's Controls page)", control)
		}
		a := store.Attestation{Site: siteID, Control: control, By: by, Statement: statement, Author: localActor(), At: time.Now().UTC().Truncate(24 * time.Hour)}
		if date != "" {
			t, err := time.Parse(time.DateOnly, date)
			if err != nil {
				return usagef("attest add: --date %q: want YYYY-MM-DD", date)
			}
			a.At = t
		}
		if expires != "" {
			dur, err := auth.ParseDuration(expires)
			if err != nil || dur <= 0 {
				return usagef("attest add: --expires %q: want a positive duration such as 365d", expires)
			}
			a.Expires = a.At.Add(dur)
		}
		if document != "" {
			sum, _, err := hashFile(document)
			if err != nil {
				return usageError{fmt.Errorf("attest add: --document: %w", err)}
			}
			a.Document, a.DocSHA256 = filepath.Base(document), sum
		}
		if err := a.Check(); err != nil {
			return usagef("attest add: %v", err)
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if _, err := st.Site(ctx, siteID); errors.Is(err, store.ErrNotFound) {
			return usagef("attest add: no site %q in the store", siteID)
		}
		a, err = st.AddAttestation(ctx, a)
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"site": a.Site, "control": a.Control, "by": a.By, "doc_sha256": a.DocSHA256})
		if err := auditLocal(ctx, st, "attestation.add", "attestation:"+a.ID, "ok", string(detail)); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, a.ID)
		return nil
	case "list":
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		as, err := st.Attestations(ctx, siteID)
		if err != nil {
			return err
		}
		now := time.Now()
		fmt.Fprintf(e.stdout, "%-18s %-8s %-14s %-10s %-10s %-24s %s\n", "ID", "SITE", "CONTROL", "DATE", "STATE", "BY", "STATEMENT")
		for _, a := range as {
			state := "in force"
			switch {
			case !a.Withdrawn.IsZero():
				state = "withdrawn"
			case !a.Valid(now):
				state = "expired"
			}
			fmt.Fprintf(e.stdout, "%-18s %-8s %-14s %-10s %-10s %-24s %s\n", a.ID, textsafe.String(a.Site), a.Control, a.At.Format(time.DateOnly), state,
				textsafe.String(a.By), textsafe.String(strings.ReplaceAll(a.Statement, "\n", " ")))
		}
		return nil
	case "withdraw":
		if len(pos) != 2 {
			return usagef("attest withdraw: want exactly one attestation ID (see 'harborwatch attest list')")
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.WithdrawAttestation(ctx, pos[1], time.Now().UTC()); err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
				return usageError{fmt.Errorf("attest withdraw: %w", err)}
			}
			return err
		}
		if err := auditLocal(ctx, st, "attestation.withdraw", "attestation:"+pos[1], "ok", ""); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "harborwatch: attestation %s withdrawn\n", pos[1])
		return nil
	}
	return usagef("attest: unknown subcommand %q: want add, list or withdraw", pos[0])
}

// hashFile returns the SHA-256 (lower-case hex) and size of a regular file.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", path)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
