package incident

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"harborwatch/signing"
)

// The names of the manifest and its signature in a bundle.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
)

// Limits of Verify.
const (
	MaxBundleFiles = 10_000
	MaxBundleFile  = 1 << 30 // bytes of one file, uncompressed
	maxManifest    = 16 << 20
)

// Item is one file of a bundle: its name in the zip and its content,
// from memory (Data) or from a file (Path).
type Item struct {
	Name string
	Data []byte
	Path string
}

// ManifestFile is one file the manifest lists.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Manifest lists a bundle's files with their SHA-256s; its signature
// (manifest.sig, hex of the ed25519 signature of the manifest's bytes)
// makes every file verifiable.
type Manifest struct {
	Version  int            `json:"version"`
	Incident string         `json:"incident"`
	Site     string         `json:"site"`
	Created  time.Time      `json:"created"`
	KeyID    string         `json:"key_id"`
	Files    []ManifestFile `json:"files"`
}

// validName tells whether a name is a plain relative path of a bundle.
func validName(n string) bool {
	return n != "" && n != ManifestName && n != SignatureName && !strings.HasPrefix(n, "/") && !strings.Contains(n, "\\") &&
		path.Clean(n) == n && !strings.HasPrefix(n, "../") && n != ".." && len(n) <= 255
}

// WriteBundle writes a zip of items, then the manifest of their SHA-256s
// and its signature by priv. Every entry carries the time created, so the
// same input gives the same bytes.
func WriteBundle(w io.Writer, incident, site string, created time.Time, items []Item, priv ed25519.PrivateKey) (*Manifest, error) {
	pub, ok := priv.Public().(ed25519.PublicKey)
	if !ok || len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("bundle: not an ed25519 private key")
	}
	m := &Manifest{Version: 1, Incident: incident, Site: site, Created: created.UTC().Truncate(time.Second), KeyID: signing.KeyID(pub)}
	zw := zip.NewWriter(w)
	seen := map[string]bool{}
	for _, it := range items {
		if !validName(it.Name) || seen[it.Name] {
			return nil, fmt.Errorf("bundle: bad or repeated file name %q", it.Name)
		}
		seen[it.Name] = true
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: it.Name, Method: zip.Deflate, Modified: m.Created})
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		var n int64
		if it.Path != "" {
			f, err := os.Open(it.Path)
			if err != nil {
				return nil, fmt.Errorf("bundle: %w", err)
			}
			n, err = io.Copy(io.MultiWriter(fw, h), f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("bundle: copy %s: %w", it.Path, err)
			}
		} else {
			h.Write(it.Data)
			if _, err := fw.Write(it.Data); err != nil {
				return nil, err
			}
			n = int64(len(it.Data))
		}
		m.Files = append(m.Files, ManifestFile{Name: it.Name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n})
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	mb = append(mb, '\n')
	for _, f := range []struct {
		name string
		data []byte
	}{{ManifestName, mb}, {SignatureName, []byte(hex.EncodeToString(signing.Sign(priv, mb)) + "\n")}} {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: m.Created})
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(f.data); err != nil {
			return nil, err
		}
	}
	return m, zw.Close()
}

// VerifyError says why a bundle does not verify.
type VerifyError struct{ Msg string }

func (e *VerifyError) Error() string { return "bundle does not verify: " + e.Msg }

func bad(format string, args ...any) error { return &VerifyError{Msg: fmt.Sprintf(format, args...)} }

// Verify checks a bundle (a zip of size bytes read from r) against the
// public key: the manifest's signature, then every file's size and
// SHA-256, and that the zip holds exactly the files the manifest lists.
// A bundle that is not one is a *VerifyError; it never reads more than
// MaxBundleFile bytes of a file.
func Verify(r io.ReaderAt, size int64, pub ed25519.PublicKey) (*Manifest, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, bad("not a zip file: %v", err)
	}
	if len(zr.File) > MaxBundleFiles+2 {
		return nil, bad("%d files, more than %d", len(zr.File), MaxBundleFiles)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if files[f.Name] != nil {
			return nil, bad("file %q appears twice", f.Name)
		}
		files[f.Name] = f
	}
	read := func(name string, limit int64) ([]byte, error) {
		f := files[name]
		if f == nil {
			return nil, bad("no %s", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, bad("%s: %v", name, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, limit+1))
		if err != nil {
			return nil, bad("%s: %v", name, err)
		}
		if int64(len(b)) > limit {
			return nil, bad("%s is larger than %d bytes", name, limit)
		}
		return b, nil
	}
	mb, err := read(ManifestName, maxManifest)
	if err != nil {
		return nil, err
	}
	sigHex, err := read(SignatureName, 1024)
	if err != nil {
		return nil, err
	}
	sig, err := hex.DecodeString(strings.TrimSpace(string(sigHex)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, bad("%s is not a hex ed25519 signature", SignatureName)
	}
	if !signing.Verify(pub, mb, sig) {
		return nil, bad("the manifest's signature does not match key %s: the manifest was changed or signed with another key", signing.KeyID(pub))
	}
	var m Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, bad("manifest: %v", err)
	}
	if m.KeyID != signing.KeyID(pub) {
		return nil, bad("the manifest names key %s, verified with %s", m.KeyID, signing.KeyID(pub))
	}
	listed := map[string]bool{}
	for _, mf := range m.Files {
		if !validName(mf.Name) || listed[mf.Name] {
			return nil, bad("manifest: bad or repeated name %q", mf.Name)
		}
		listed[mf.Name] = true
		f := files[mf.Name]
		if f == nil {
			return nil, bad("%s is listed but missing", mf.Name)
		}
		if mf.Size < 0 || mf.Size > MaxBundleFile {
			return nil, bad("%s: size %d out of bounds", mf.Name, mf.Size)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, bad("%s: %v", mf.Name, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(rc, mf.Size+1))
		rc.Close()
		if err != nil {
			return nil, bad("%s: %v", mf.Name, err)
		}
		if n != mf.Size {
			return nil, bad("%s: %d bytes, the manifest says %d", mf.Name, n, mf.Size)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != mf.SHA256 {
			return nil, bad("%s: SHA-256 %s, the manifest says %s: the file was changed", mf.Name, got, mf.SHA256)
		}
	}
	var extra []string
	for name := range files {
		if !listed[name] && name != ManifestName && name != SignatureName {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, bad("files not in the manifest: %s", strings.Join(extra, ", "))
	}
	return &m, nil
}

// VerifyBytes is Verify on a bundle in memory.
func VerifyBytes(b []byte, pub ed25519.PublicKey) (*Manifest, error) {
	return Verify(bytes.NewReader(b), int64(len(b)), pub)
}
