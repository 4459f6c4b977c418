package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters of new password hashes. They are above OWASP's
// Password Storage Cheat Sheet minimum for argon2id (19 MiB, t=2, p=1, or
// an equivalent trade of memory for passes) and follow RFC 9106's second
// recommended option (64 MiB, t=3) with two lanes instead of four, for
// small servers: a hash costs 64 MiB of memory and on the order of 150 ms
// on an idle core, so a server bounds how many it computes at once.
// Hashes made with other parameters still verify: the parameters are read
// from each stored string.
const (
	PasswordMemory  = 64 * 1024 // KiB
	PasswordTime    = 3         // passes
	PasswordThreads = 2         // lanes
	passwordSaltLen = 16        // bytes
	passwordKeyLen  = 32        // bytes
)

// Bounds on the parameters CheckPassword accepts from a stored string: a
// tampered row must not make one login cost gigabytes or minutes.
const (
	maxPasswordMemory  = 256 * 1024 // KiB
	maxPasswordTime    = 10
	maxPasswordThreads = 16
	minSaltLen         = 8
	maxSaltLen         = 64
	minKeyLen          = 16
	maxKeyLen          = 64
)

// The password policy.
const (
	MinPasswordChars = 12   // characters (runes)
	MaxPasswordBytes = 1024 // bytes
)

// ErrBadHash is returned (wrapped) by CheckPassword when the stored string
// is not an argon2id hash it accepts.
var ErrBadHash = errors.New("bad password hash")

// HashPassword returns the argon2id hash of pw, with a new random salt and
// the parameters above, in PHC string form:
//
//	$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>
//
// salt and hash in unpadded standard base64. It does not apply the policy
// (CheckPasswordPolicy).
func HashPassword(pw string) (string, error) {
	salt := make([]byte, passwordSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, PasswordTime, PasswordMemory, PasswordThreads, passwordKeyLen)
	return formatPHC(phc{m: PasswordMemory, t: PasswordTime, p: PasswordThreads, salt: salt, key: key}), nil
}

// CheckPassword reports whether pw matches the PHC string phc made by
// HashPassword; the hashes are compared in constant time. A wrong password
// is (false, nil); a string that is not an argon2id hash of version 19, or
// whose parameters are out of bounds (m at most 256 MiB, t at most 10, p at
// most 16), is an error wrapping ErrBadHash, and nothing is computed.
func CheckPassword(phcString, pw string) (bool, error) {
	h, err := parsePHC(phcString)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pw), h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// CheckPasswordPolicy returns an error saying what is wrong when pw may not
// be set as a password: fewer than 12 characters, more than 1024 bytes, or
// not valid UTF-8.
func CheckPasswordPolicy(pw string) error {
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("password is %d bytes long; at most %d are allowed", len(pw), MaxPasswordBytes)
	}
	if !utf8.ValidString(pw) {
		return errors.New("password is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordChars {
		return fmt.Errorf("password has %d characters; at least %d are required", n, MinPasswordChars)
	}
	return nil
}

// phc is a parsed argon2id PHC string.
type phc struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

var b64 = base64.RawStdEncoding

func formatPHC(h phc) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.m, h.t, h.p, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC parses and bounds an argon2id PHC string. Its errors wrap
// ErrBadHash and never quote the string (it holds the hash).
func parsePHC(s string) (phc, error) {
	bad := func(format string, a ...any) (phc, error) {
		return phc{}, fmt.Errorf("%w: %s", ErrBadHash, fmt.Sprintf(format, a...))
	}
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=19$m=…,t=…,p=…$salt$hash, got %d fields", len(parts)-1)
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is %q, want argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("version field is %q, want v=%d", parts[2], argon2.Version)
	}
	var h phc
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return bad("parameters %q: want m=…,t=…,p=…", parts[3])
	}
	m, err := phcParam(params[0], "m", maxPasswordMemory)
	if err != nil {
		return bad("%v", err)
	}
	t, err := phcParam(params[1], "t", maxPasswordTime)
	if err != nil {
		return bad("%v", err)
	}
	p, err := phcParam(params[2], "p", maxPasswordThreads)
	if err != nil {
		return bad("%v", err)
	}
	if m < 8*p {
		return bad("memory m=%d KiB is below the minimum 8×p=%d", m, 8*p)
	}
	h.m, h.t, h.p = m, t, uint8(p)
	if h.salt, err = phcBytes(parts[4], "salt", minSaltLen, maxSaltLen); err != nil {
		return bad("%v", err)
	}
	if h.key, err = phcBytes(parts[5], "hash", minKeyLen, maxKeyLen); err != nil {
		return bad("%v", err)
	}
	return h, nil
}

// phcParam parses "name=value" with 1 ≤ value ≤ max.
func phcParam(s, name string, max uint32) (uint32, error) {
	v, ok := strings.CutPrefix(s, name+"=")
	if !ok {
		return 0, fmt.Errorf("parameter %q: want %s=…", s, name)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n < 1 || n > uint64(max) || v != strconv.FormatUint(n, 10) {
		return 0, fmt.Errorf("parameter %s=%q: want an integer from 1 to %d", name, v, max)
	}
	return uint32(n), nil
}

// phcBytes decodes unpadded standard base64 of min to max bytes.
func phcBytes(s, what string, min, max int) ([]byte, error) {
	b, err := b64.Strict().DecodeString(s)
	if err != nil || strings.ContainsAny(s, "\r\n") { // the decoder skips line breaks
		return nil, fmt.Errorf("%s is not unpadded base64", what)
	}
	if len(b) < min || len(b) > max {
		return nil, fmt.Errorf("%s is %d bytes, want %d to %d", what, len(b), min, max)
	}
	return b, nil
}
