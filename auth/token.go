package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// TokenPrefix starts every API token secret, so that a secret pasted in
// the wrong place (a log, a chat) is recognisable and scanners can find it.
const TokenPrefix = "hw_"

// tokenBytes is how many random bytes a token secret carries.
const tokenBytes = 32

// tokenLen is the length of a secret: the prefix and 32 bytes in unpadded
// base64 (43 characters).
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(tokenBytes)

// NewToken returns a new API token secret — "hw_" and 32 bytes from
// crypto/rand in unpadded URL-safe base64 — and its hash (HashToken), the
// only form that is stored. The secret is shown once, to its creator.
func NewToken() (secret string, hash []byte, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("new token: reading random bytes: %w", err)
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret), nil
}

// HashToken returns the SHA-256 of a token secret (of the whole string,
// prefix included): what store.Token.Hash holds and TokenByHash looks up.
// A plain hash suffices — unlike a password, the secret has 256 bits of
// entropy — and lets the store find a token by an index lookup.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// LooksLikeToken reports whether s has the form of a token secret: the
// prefix, the length, and 32 bytes of canonical unpadded URL-safe base64.
// It lets a server tell a token from a password or garbage before any
// lookup; it says nothing about whether the token exists.
func LooksLikeToken(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s[len(TokenPrefix):])
	return err == nil && len(b) == tokenBytes
}
