package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	secret, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "hw_") || len(secret) != 46 {
		t.Fatalf("secret %q: want hw_ and 43 characters", secret)
	}
	raw, err := base64.RawURLEncoding.DecodeString(secret[3:])
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret body decodes to %d bytes, %v; want 32", len(raw), err)
	}
	want := sha256.Sum256([]byte(secret))
	if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashToken(secret), want[:]) {
		t.Fatalf("hash %x, HashToken %x; want %x", hash, HashToken(secret), want)
	}
	if !LooksLikeToken(secret) {
		t.Fatalf("LooksLikeToken(%q) = false", secret)
	}
	other, _, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if other == secret {
		t.Fatal("two tokens are equal")
	}
}

func TestHashTokenKnown(t *testing.T) {
	// SHA-256("abc")
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashToken("abc"); hex.EncodeToString(got) != want {
		t.Fatalf("HashToken(abc) = %x, want %s", got, want)
	}
}

func TestLooksLikeToken(t *testing.T) {
	good := "hw_" + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))
	if !LooksLikeToken(good) {
		t.Fatalf("LooksLikeToken(%q) = false", good)
	}
	bad := []string{
		"",
		"hw_",
		"xx_" + good[3:],                 // prefix
		good[:45],                        // short
		good + "A",                       // long
		good[:10] + "+" + good[11:],      // standard, not URL alphabet
		good[:10] + "=" + good[11:],      // padding
		good[:45] + "B",                  // non-canonical last character (low bits set)
		"correct horse battery staple!!", // a password
	}
	for _, s := range bad {
		if LooksLikeToken(s) {
			t.Errorf("LooksLikeToken(%q) = true", s)
		}
	}
}
