// Package signing makes, keeps and reads the ed25519 keys harborwatch signs
// with (integrity baseline manifests, incident evidence bundles), and signs
// and verifies bytes with them.
//
// A key pair is two PEM files: the private key as PKCS#8 ("PRIVATE KEY",
// mode 0600) and the public key as PKIX ("PUBLIC KEY"), the forms openssl
// reads (`openssl pkey -in K.key -pubout`). A key is named by its KeyID: the
// first 16 hex digits of the SHA-256 of the public key's raw 32 bytes.
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxKeyFile bounds what a key reader reads: a PEM ed25519 key is about
// 120 bytes, so anything larger is not one.
const maxKeyFile = 64 << 10

// Generate makes a new key pair from crypto/rand.
func Generate() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	return ed25519.GenerateKey(rand.Reader)
}

// KeyID names a public key: the first 16 hex digits of the SHA-256 of its
// 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// WriteKeyPair makes a key pair and writes it to prefix+".key" (private,
// mode 0600) and prefix+".pub". It refuses to overwrite either file.
func WriteKeyPair(prefix string) (privPath, pubPath string, pub ed25519.PublicKey, err error) {
	pub, priv, err := Generate()
	if err != nil {
		return "", "", nil, err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", nil, err
	}
	privPath, pubPath = prefix+".key", prefix+".pub"
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", nil, fmt.Errorf("%s: already exists; not overwriting a key", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", "", nil, err
		}
	}
	if err := writeNew(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return "", "", nil, err
	}
	if err := writeNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		os.Remove(privPath)
		return "", "", nil, err
	}
	return privPath, pubPath, pub, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// ReadPrivate reads a PKCS#8 PEM ed25519 private key.
func ReadPrivate(path string) (ed25519.PrivateKey, error) {
	block, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(block)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PKCS#8 private key: %v", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an ed25519 private key", path, k)
	}
	return priv, nil
}

// ReadPublic reads a PKIX PEM ed25519 public key; given a private key file
// instead, it returns that key's public half.
func ReadPublic(path string) (ed25519.PublicKey, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: not a PEM file", path)
	}
	switch block.Type {
	case "PRIVATE KEY":
		priv, err := ReadPrivate(path)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	case "PUBLIC KEY":
	default:
		return nil, fmt.Errorf("%s: a PEM %q block, want \"PUBLIC KEY\"", path, block.Type)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an ed25519 public key", path, k)
	}
	return pub, nil
}

func readPEM(path, want string) ([]byte, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: not a PEM file", path)
	}
	if block.Type != want {
		return nil, fmt.Errorf("%s: a PEM %q block, want %q", path, block.Type, want)
	}
	return block.Bytes, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a key", path, maxKeyFile)
	}
	return data, nil
}

// Sign signs msg.
func Sign(priv ed25519.PrivateKey, msg []byte) []byte { return ed25519.Sign(priv, msg) }

// Verify reports whether sig is pub's signature of msg.
func Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, msg, sig)
}
