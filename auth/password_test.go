package auth

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=2\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

func TestHashAndCheckPassword(t *testing.T) {
	const pw = "tide-gantry-spreader-42"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	m := phcRE.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("hash %q does not have the PHC form", h)
	}
	// The hash is argon2id of the password with the salt and parameters
	// shown, computed independently here.
	salt, _ := base64.RawStdEncoding.DecodeString(m[1])
	want := base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(pw), salt, 3, 65536, 2, 32))
	if m[2] != want {
		t.Fatalf("hash part %s, want %s", m[2], want)
	}
	ok, err := CheckPassword(h, pw)
	if err != nil || !ok {
		t.Fatalf("CheckPassword(right) = %v, %v", ok, err)
	}
	for _, wrong := range []string{"tide-gantry-spreader-43", "", pw + " ", strings.ToUpper(pw)} {
		ok, err := CheckPassword(h, wrong)
		if err != nil || ok {
			t.Errorf("CheckPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

// cheapPHC returns a valid PHC string with small parameters, so that the
// tests of parsing do not each spend 64 MiB.
func cheapPHC(pw string, m, tt uint32, p uint8) string {
	salt := []byte("0123456789abcdef")
	return formatPHC(phc{m: m, t: tt, p: p, salt: salt, key: argon2.IDKey([]byte(pw), salt, tt, m, p, 32)})
}

func TestCheckPasswordOtherParams(t *testing.T) {
	h := cheapPHC("another long password", 1024, 1, 1)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("cheapPHC = %q", h)
	}
	if ok, err := CheckPassword(h, "another long password"); err != nil || !ok {
		t.Fatalf("CheckPassword = %v, %v; want true", ok, err)
	}
	if ok, err := CheckPassword(h, "another long passworD"); err != nil || ok {
		t.Fatalf("CheckPassword(wrong) = %v, %v; want false", ok, err)
	}
}

func TestCheckPasswordTampered(t *testing.T) {
	good := cheapPHC("pw", 1024, 1, 1)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	short := base64.RawStdEncoding.EncodeToString([]byte("1234567"))
	tampered := map[string]string{
		"empty":             "",
		"bcrypt":            "$2a$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"argon2i":           "$argon2i$v=19$m=1024,t=1,p=1$" + salt + "$" + key,
		"version 16":        "$argon2id$v=16$m=1024,t=1,p=1$" + salt + "$" + key,
		"no version":        "$argon2id$m=1024,t=1,p=1$" + salt + "$" + key,
		"params order":      "$argon2id$v=19$t=1,m=1024,p=1$" + salt + "$" + key,
		"memory huge":       "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"memory over bound": "$argon2id$v=19$m=262145,t=1,p=1$" + salt + "$" + key,
		"memory overflow":   "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key,
		"memory below 8p":   "$argon2id$v=19$m=16,t=1,p=4$" + salt + "$" + key,
		"time huge":         "$argon2id$v=19$m=1024,t=1000,p=1$" + salt + "$" + key,
		"time zero":         "$argon2id$v=19$m=1024,t=0,p=1$" + salt + "$" + key,
		"threads huge":      "$argon2id$v=19$m=1024,t=1,p=255$" + salt + "$" + key,
		"threads zero":      "$argon2id$v=19$m=1024,t=1,p=0$" + salt + "$" + key,
		"negative":          "$argon2id$v=19$m=-1024,t=1,p=1$" + salt + "$" + key,
		"plus sign":         "$argon2id$v=19$m=+1024,t=1,p=1$" + salt + "$" + key,
		"leading zero":      "$argon2id$v=19$m=01024,t=1,p=1$" + salt + "$" + key,
		"extra param":       "$argon2id$v=19$m=1024,t=1,p=1,k=3$" + salt + "$" + key,
		"salt not base64":   "$argon2id$v=19$m=1024,t=1,p=1$!!!!$" + key,
		"salt short":        "$argon2id$v=19$m=1024,t=1,p=1$" + short + "$" + key,
		"salt padded":       "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "==$" + key,
		"hash short":        "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + short,
		"hash missing":      "$argon2id$v=19$m=1024,t=1,p=1$" + salt,
		"extra field":       good + "$x",
		"no leading dollar": strings.TrimPrefix(good, "$"),
	}
	for name, s := range tampered {
		ok, err := CheckPassword(s, "pw")
		if ok || !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: CheckPassword(%q) = %v, %v; want false and ErrBadHash", name, s, ok, err)
		}
	}
	// A flipped hash byte is a well-formed string that does not match.
	k, _ := base64.RawStdEncoding.DecodeString(key)
	k[0] ^= 1
	flipped := strings.Join(append(parts[:5:5], base64.RawStdEncoding.EncodeToString(k)), "$")
	if ok, err := CheckPassword(flipped, "pw"); ok || err != nil {
		t.Errorf("flipped hash: CheckPassword = %v, %v; want false, nil", ok, err)
	}
	if ok, err := CheckPassword(good, "pw"); !ok || err != nil {
		t.Errorf("untampered: CheckPassword = %v, %v; want true, nil", ok, err)
	}
}

func TestCheckPasswordErrorHidesHash(t *testing.T) {
	s := "$argon2id$v=19$m=1024,t=1,p=1$c2VjcmV0c2FsdHNlY3JldA$" + strings.Repeat("A", 200)
	_, err := CheckPassword(s, "pw")
	if err == nil || strings.Contains(err.Error(), "AAAA") || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Fatalf("error %v: want an error that does not quote the stored string", err)
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	ok := []string{
		"twelve chars",
		strings.Repeat("é", 12), // 12 characters, 24 bytes
		strings.Repeat("x", 1024),
	}
	for _, pw := range ok {
		if err := CheckPasswordPolicy(pw); err != nil {
			t.Errorf("CheckPasswordPolicy(%d bytes) = %v, want nil", len(pw), err)
		}
	}
	bad := map[string]string{
		"":                        "at least 12",
		"eleven char":             "has 11 characters",
		strings.Repeat("x", 1025): "1025 bytes",
		"twelve chars\xff":        "UTF-8",
		strings.Repeat("é", 11):   "has 11 characters",
		strings.Repeat("é", 513):  "1026 bytes",
	}
	for pw, want := range bad {
		err := CheckPasswordPolicy(pw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckPasswordPolicy(%d bytes) = %v, want an error with %q", len(pw), err, want)
		}
	}
}
