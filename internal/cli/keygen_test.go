package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"harborwatch/signing"
)

func TestKeygen(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "officer")
	r := runCLI(t, nil, "keygen", "--out", prefix)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	pub, err := signing.ReadPublic(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.stdout, "key "+signing.KeyID(pub)+"\n") {
		t.Fatalf("stdout %q does not name key %s", r.stdout, signing.KeyID(pub))
	}
	if r := runCLI(t, nil, "keygen", "--out", prefix); r.code == ExitOK || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("second keygen: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "keygen"); r.code != ExitUsage || !strings.Contains(r.stderr, "--out PREFIX") {
		t.Fatalf("keygen without --out: exit %d, %q", r.code, r.stderr)
	}
}
