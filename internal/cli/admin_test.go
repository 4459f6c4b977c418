package cli

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

func runCLIStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// TestAdminCommands: token create prints one token and keeps only its
// hash; user add reads the password from stdin and checks the policy;
// token revoke and list; audit verify passes, then catches an edited row
// and a deleted one.
func TestAdminCommands(t *testing.T) {
	data := t.TempDir()
	r := runCLI(t, nil, "token", "create", "--data", data, "--name", "soc", "--role", "viewer", "--expires", "90d")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "hw_") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("token create: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	secret := strings.TrimSpace(r.stdout)
	if r := runCLI(t, nil, "token", "create", "--data", data, "--name", "x", "--role", "root"); r.code != ExitUsage || !strings.Contains(r.stderr, `role "root"`) {
		t.Errorf("bad role: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, nil, "token", "list", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "soc") || !strings.Contains(r.stdout, "expires") || strings.Contains(r.stdout, secret) {
		t.Fatalf("token list: %d %q", r.code, r.stdout)
	}
	id := strings.Fields(strings.Split(r.stdout, "\n")[1])[0]
	if r := runCLI(t, nil, "token", "revoke", "--data", data, id); r.code != 0 {
		t.Fatalf("token revoke: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "token", "list", "--data", data); !strings.Contains(r.stdout, "revoked") {
		t.Errorf("revoked token lists as %q", r.stdout)
	}
	if r := runCLIStdin(t, "short\n", "user", "add", "--data", data, "--role", "analyst", "bob"); r.code != ExitUsage || !strings.Contains(r.stderr, "12") {
		t.Errorf("short password: exit %d %q", r.code, r.stderr)
	}
	if r := runCLIStdin(t, "a long enough passphrase\n", "user", "add", "--data", data, "--role", "analyst", "bob"); r.code != 0 {
		t.Fatalf("user add: exit %d %q", r.code, r.stderr)
	}
	if r := runCLIStdin(t, "a long enough passphrase\n", "user", "add", "--data", data, "--role", "analyst", "bob"); r.code != ExitUsage || !strings.Contains(r.stderr, "exists") {
		t.Errorf("user add twice: exit %d %q", r.code, r.stderr)
	}
	r = runCLI(t, nil, "audit", "verify", "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "3 entries, chain intact") {
		t.Fatalf("audit verify: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	db, err := sql.Open("sqlite", filepath.Join(data, "harborwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET actor = 'local:mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "audit", "verify", "--data", data)
	if r.code != ExitFailure || !strings.Contains(r.stdout, "BROKEN after 1 intact entries") || !strings.Contains(r.stdout, "entry 2: its content does not match its hash") {
		t.Errorf("audit verify of an edited row: exit %d %q", r.code, r.stdout)
	}
	if _, err := db.Exec(`UPDATE audit SET actor = (SELECT actor FROM audit WHERE seq = 1) WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM audit WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "audit", "verify", "--data", data)
	if r.code != ExitFailure || !strings.Contains(r.stdout, "entry 3") {
		t.Errorf("audit verify with a row deleted: exit %d %q", r.code, r.stdout)
	}
}
