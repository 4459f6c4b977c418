package signing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyPairRoundTrip(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "officer")
	privPath, pubPath, pub, err := WriteKeyPair(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(privPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", fi.Mode(), err)
	}
	priv, err := ReadPrivate(privPath)
	if err != nil {
		t.Fatal(err)
	}
	pub2, err := ReadPublic(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if KeyID(pub2) != KeyID(pub) || len(KeyID(pub)) != 16 {
		t.Fatalf("key ids %q %q", KeyID(pub2), KeyID(pub))
	}
	pub3, err := ReadPublic(privPath)
	if err != nil || KeyID(pub3) != KeyID(pub) {
		t.Fatalf("public half of the private key: %v", err)
	}
	msg := []byte("manifest v1\n")
	sig := Sign(priv, msg)
	if !Verify(pub2, msg, sig) {
		t.Fatal("own signature does not verify")
	}
	if Verify(pub2, []byte("manifest v2\n"), sig) {
		t.Fatal("signature verifies a changed message")
	}
	_, _, other, err := WriteKeyPair(filepath.Join(dir, "other"))
	if err != nil {
		t.Fatal(err)
	}
	if Verify(other, msg, sig) {
		t.Fatal("signature verifies under the wrong key")
	}
	if Verify(nil, msg, sig) {
		t.Fatal("nil key verifies")
	}
	if _, _, _, err := WriteKeyPair(prefix); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote a key: %v", err)
	}
}

func TestBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct{ data, want string }{
		"empty":   {"", "not a PEM file"},
		"cert":    {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", `"CERTIFICATE"`},
		"garbage": {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a PKCS#8"},
		"huge":    {strings.Repeat("A", maxKeyFile+10), "larger than"},
	}
	for name, c := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(c.data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPrivate(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: private: %v", name, err)
		}
		_, err = ReadPublic(p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: public: %v", name, err)
		}
	}
}

func FuzzReadPublic(f *testing.F) {
	dir := f.TempDir()
	_, pubPath, _, err := WriteKeyPair(filepath.Join(dir, "k"))
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(pubPath)
	f.Add(seed)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "k.pub")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		pub, err := ReadPublic(p)
		if err == nil && len(pub) != 32 {
			t.Fatalf("accepted a %d-byte key", len(pub))
		}
		_, _ = ReadPrivate(p)
	})
}
