package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"harborwatch/server"
	"harborwatch/store"
)

func tokenCommand() *command {
	return &command{
		name:  "token",
		short: "create, list and revoke API tokens of the server",
		usage: "harborwatch token create --name NAME --role viewer|analyst|admin [--expires D] [--data DIR | --db URL]\n       harborwatch token list [--data DIR | --db URL]\n       harborwatch token revoke [--data DIR | --db URL] ID",
		long: `
'token create' makes an API token for harborwatch serve and prints it once on
standard output: only its hash is kept, so copy it now. Give it to clients
as "Authorization: Bearer TOKEN". It works while the server runs.
--expires makes it stop working after a duration (12h, 90d, 2w).
'token list' lists tokens (never their secrets); 'token revoke ID' stops one
at once. Each is recorded in the audit log.

Examples:
  TOKEN=$(harborwatch token create --data /var/lib/harborwatch --name soc --role viewer --expires 90d)
  harborwatch token revoke --data /var/lib/harborwatch T3f9a0c1d2e3b4a59`,
		run: runToken,
	}
}

func runToken(ctx context.Context, e *env, args []string) error {
	c := tokenCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var name, role, expires string
	fs.StringVar(&name, "name", "", "token `NAME` (who or what uses it; letters, digits, '.', '_', '-')")
	fs.StringVar(&role, "role", "", "`ROLE`: viewer (reads), analyst (also uploads and changes findings), admin (also sites, users, tokens)")
	fs.StringVar(&expires, "expires", "", "expire after `D` (e.g. 12h, 90d, 2w; default: never)")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("token: want create, list or revoke (see 'harborwatch token --help')")
	}
	switch pos[0] {
	case "create":
		if len(pos) != 1 {
			return usagef("token create takes no arguments")
		}
		if name == "" || role == "" {
			return usagef("token create: --name and --role are required")
		}
		tok, secret, err := server.NewToken(name, role, expires, localActor(), time.Now())
		if err != nil {
			return usageError{fmt.Errorf("token create: %w", err)}
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.AddToken(ctx, tok); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"name": tok.Name, "role": tok.Role})
		if err := auditLocal(ctx, st, "token.create", "token:"+tok.ID, "ok", string(detail)); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, secret)
		exp := "never expires"
		if tok.Expires != nil {
			exp = "expires " + tok.Expires.Format(time.RFC3339)
		}
		fmt.Fprintf(e.stderr, "harborwatch: token %s (%s, role %s, %s): shown once, keep it safe\n", tok.ID, tok.Name, tok.Role, exp)
		return nil
	case "list":
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		ts, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%-18s %-24s %-8s %-20s %s\n", "ID", "NAME", "ROLE", "CREATED", "STATE")
		now := time.Now()
		for _, t := range ts {
			state := "active"
			switch {
			case t.Revoked != nil:
				state = "revoked " + t.Revoked.Format(time.RFC3339)
			case t.Expires != nil && !now.Before(*t.Expires):
				state = "expired " + t.Expires.Format(time.RFC3339)
			case t.Expires != nil:
				state = "expires " + t.Expires.Format(time.RFC3339)
			}
			fmt.Fprintf(e.stdout, "%-18s %-24s %-8s %-20s %s\n", t.ID, t.Name, t.Role, t.Created.Format(time.RFC3339), state)
		}
		return nil
	case "revoke":
		if len(pos) != 2 {
			return usagef("token revoke: want exactly one token ID (see 'harborwatch token list')")
		}
		st, err := d.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.RevokeToken(ctx, pos[1], time.Now().UTC()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return usagef("token revoke: no token %q", pos[1])
			}
			return err
		}
		if err := auditLocal(ctx, st, "token.revoke", "token:"+pos[1], "ok", ""); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "harborwatch: token %s revoked\n", pos[1])
		return nil
	}
	return usagef("token: unknown subcommand %q: want create, list or revoke", pos[0])
}

func userCommand() *command {
	return &command{
		name:  "user",
		short: "add people who log in to the server",
		usage: "harborwatch user add --role viewer|analyst|admin [--data DIR | --db URL] NAME",
		long: `
'user add' adds a person who logs in to harborwatch serve (POST
/api/v1/login, and the web console). The password is read from standard
input — asked for twice, without echo, on a terminal; the first line
otherwise — must have at least 12 characters, and is kept only as an
argon2id hash. Recorded in the audit log.

Example:
  harborwatch user add --data /var/lib/harborwatch --role analyst alice`,
		run: runUser,
	}
}

func runUser(ctx context.Context, e *env, args []string) error {
	c := userCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	var role string
	fs.StringVar(&role, "role", "", "`ROLE`: viewer, analyst or admin")
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "add" {
		return usagef("user: want 'harborwatch user add --role ROLE NAME'")
	}
	if role == "" {
		return usagef("user add: --role is required")
	}
	pw, err := readPassword(e)
	if err != nil {
		return usageError{fmt.Errorf("user add: %w", err)}
	}
	u, err := server.NewUser(pos[1], role, pw, time.Now())
	if err != nil {
		return usageError{fmt.Errorf("user add: %w", err)}
	}
	st, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.AddUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return usagef("user add: a user %q exists already", u.Name)
		}
		return err
	}
	detail, _ := json.Marshal(map[string]string{"role": u.Role})
	if err := auditLocal(ctx, st, "user.add", "user:"+u.Name, "ok", string(detail)); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "harborwatch: user %s added (role %s)\n", u.Name, u.Role)
	return nil
}

// readPassword reads a password from stdin: twice without echo on a
// terminal, else the first line.
func readPassword(e *env) (string, error) {
	if e.stdin == nil {
		return "", errors.New("no standard input to read the password from")
	}
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(e.stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

func auditCommand() *command {
	return &command{
		name:  "audit",
		short: "verify the server's audit log",
		usage: "harborwatch audit verify [--data DIR | --db URL]",
		long: `
'audit verify' reads the server's audit log from the first entry and checks
its hash chain: each entry carries the hash of the one before, so an entry
edited, removed or reordered in the database breaks the chain there. Prints
how many entries are intact; exits 1 naming the first entry that does not fit.

Example:
  harborwatch audit verify --data /var/lib/harborwatch`,
		run: runAudit,
	}
}

func runAudit(ctx context.Context, e *env, args []string) error {
	c := auditCommand()
	fs := newFlags(c, e)
	d := bindData(fs, e)
	pos, err := parseCommand(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "verify" {
		return usagef("audit: want 'harborwatch audit verify'")
	}
	st, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var prev string
	var seq, n int64
	for {
		es, err := st.AuditLog(ctx, seq, 10000)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			break
		}
		if prev, err = store.VerifyChain(prev, seq, es); err != nil {
			if ce, ok := errors.AsType[*store.ChainError](err); ok {
				n += max(0, ce.Seq-1-seq)
			}
			fmt.Fprintf(e.stdout, "audit log: BROKEN after %d intact entries: %v\n", n, err)
			return exitError{ExitFailure}
		}
		seq = es[len(es)-1].Seq
		n += int64(len(es))
	}
	if n == 0 {
		fmt.Fprintln(e.stdout, "audit log: empty")
		return nil
	}
	fmt.Fprintf(e.stdout, "audit log: %d entries, chain intact (last %s)\n", n, prev)
	return nil
}
