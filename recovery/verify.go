package recovery

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"harborwatch/integrity"
	"harborwatch/store"
)

// Stored reads a stored baseline's manifest and checks its signature with
// pub: the manifest, and why it is invalid (nil when it verifies). A
// manifest that does not even parse, or names another asset, is
// integrity.ErrTampered.
func Stored(b store.Baseline, pub ed25519.PublicKey) (integrity.Manifest, error) {
	m, err := integrity.Read("baseline "+b.ID, bytes.NewReader(b.Manifest))
	if err != nil {
		m.Asset, m.KeyID, m.Kind = b.Asset, b.KeyID, integrity.Kind(b.Kind)
		return m, fmt.Errorf("%w: %v", integrity.ErrTampered, err)
	}
	if m.Asset != b.Asset {
		return m, fmt.Errorf("%w: the manifest names asset %q, the store %q", integrity.ErrTampered, m.Asset, b.Asset)
	}
	return m, m.Verify(pub)
}

// Verify checks the files under roots against the stored baseline b
// (signature first) and keeps the result with its findings in st under
// site ("" → b's site). A baseline learned from the wire is compared
// with the blocks of the files. An error is operational (the store, a
// root that cannot be read); a difference is the result's Status.
func Verify(ctx context.Context, st store.Store, b store.Baseline, pub ed25519.PublicKey, roots []string, site, by string, now time.Time) (integrity.Result, store.Verification, store.RunSummary, error) {
	var res integrity.Result
	base, bad := Stored(b, pub)
	if bad != nil {
		res = integrity.Invalidated(base, by, now, bad)
	} else {
		cur, err := integrity.Build(integrity.Options{Asset: b.Asset, Kind: base.Kind, By: by, At: now}, roots...)
		if err != nil {
			return res, store.Verification{}, store.RunSummary{}, err
		}
		if base.Source == integrity.SourceWire {
			cur = cur.AsBlocks()
		}
		res = integrity.Compare(base, cur)
	}
	if site == "" {
		site = b.Site
	}
	text, err := json.Marshal(&res)
	if err != nil {
		return res, store.Verification{}, store.RunSummary{}, err
	}
	v, sum, err := st.AddVerification(ctx, store.Verification{Site: site, Asset: res.Asset, Baseline: b.ID, Status: res.Status,
		Result: text, At: res.Checked, By: by}, res.Findings())
	return res, v, sum, err
}
