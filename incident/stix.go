package incident

import (
	"cmp"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"harborwatch/store"
)

// STIX 2.1 (OASIS, 2021) objects, written by hand: only what the
// incident's indicators need.

// scoNamespace is the namespace STIX 2.1 §2.9 gives for the deterministic
// (version 5) ids of cyber-observable objects.
var scoNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// sdoNamespace is harborwatch's namespace for the ids of the domain
// objects it writes: the same incident and indicator give the same id.
var sdoNamespace = [16]byte{0x8b, 0x3e, 0x1d, 0x52, 0x6a, 0x07, 0x4f, 0x11, 0xa4, 0x9c, 0x2d, 0x70, 0x5e, 0x18, 0xc3, 0x66}

// TLPAmber is the STIX 2.1 marking definition of TLP:AMBER.
const TLPAmber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"

func uuid5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Object is a STIX object as written: its common properties and the
// type's own.
type Object struct {
	Type        string `json:"type"`
	SpecVersion string `json:"spec_version"`
	ID          string `json:"id"`
	// SDO common properties.
	Created      string   `json:"created,omitempty"`
	Modified     string   `json:"modified,omitempty"`
	CreatedByRef string   `json:"created_by_ref,omitempty"`
	MarkingRefs  []string `json:"object_marking_refs,omitempty"`
	// identity
	Name          string `json:"name,omitempty"`
	IdentityClass string `json:"identity_class,omitempty"`
	// indicator
	Description    string   `json:"description,omitempty"`
	IndicatorTypes []string `json:"indicator_types,omitempty"`
	Pattern        string   `json:"pattern,omitempty"`
	PatternType    string   `json:"pattern_type,omitempty"`
	ValidFrom      string   `json:"valid_from,omitempty"`
	// observed-data
	FirstObserved  string   `json:"first_observed,omitempty"`
	LastObserved   string   `json:"last_observed,omitempty"`
	NumberObserved int      `json:"number_observed,omitempty"`
	ObjectRefs     []string `json:"object_refs,omitempty"`
	// cyber-observable objects
	Value  string            `json:"value,omitempty"`
	Hashes map[string]string `json:"hashes,omitempty"`
}

// Bundle is a STIX 2.1 bundle.
type Bundle struct {
	Type    string   `json:"type"`
	ID      string   `json:"id"`
	Objects []Object `json:"objects"`
}

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// quote escapes a value for a STIX pattern's string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// sco returns a cyber-observable object with its deterministic id: the
// name is the JSON of its id-contributing properties (value; name for a
// file).
func sco(typ, key, value string) Object {
	contrib, _ := json.Marshal(map[string]string{key: value})
	o := Object{Type: typ, SpecVersion: "2.1", ID: typ + "--" + uuid5(scoNamespace, string(contrib))}
	if key == "value" {
		o.Value = value
	} else {
		o.Name = value
	}
	return o
}

// STIX returns the incident's indicators as a STIX 2.1 bundle, marked
// TLP:AMBER: an identity for the facility; per external address contacted,
// prohibited domain and transferred file, a cyber-observable object and an
// indicator whose pattern matches it; and one observed-data spanning the
// incident's findings that refers to every observable. Addresses inside
// the facility are not shared.
func STIX(in store.Incident, facility string, fs []store.Finding, files []FileHash, created time.Time) Bundle {
	ts := stixTime(created)
	idn := Object{Type: "identity", SpecVersion: "2.1", ID: "identity--" + uuid5(sdoNamespace, "identity\x00"+in.Site),
		Created: ts, Modified: ts, Name: facility, IdentityClass: "organization"}
	if idn.Name == "" {
		idn.Name = "site " + in.Site
	}
	b := Bundle{Type: "bundle", ID: "bundle--" + uuid5(sdoNamespace, "bundle\x00"+in.ID+"\x00"+ts), Objects: []Object{idn}}
	var first, last time.Time
	n := 0
	for _, f := range fs {
		if first.IsZero() || (!f.FirstSeen.IsZero() && f.FirstSeen.Before(first)) {
			first = f.FirstSeen
		}
		if f.LastSeen.After(last) {
			last = f.LastSeen
		}
		n += int(min(f.Count, 1<<30))
	}
	if first.IsZero() {
		first, last = created, created
	}
	var refs []string
	indicator := func(o Object, pattern, desc string) {
		refs = append(refs, o.ID)
		b.Objects = append(b.Objects, o, Object{
			Type: "indicator", SpecVersion: "2.1", ID: "indicator--" + uuid5(sdoNamespace, "indicator\x00"+in.ID+"\x00"+pattern),
			Created: ts, Modified: ts, CreatedByRef: idn.ID, MarkingRefs: []string{TLPAmber},
			Name: pattern, Description: desc, IndicatorTypes: []string{"anomalous-activity"},
			Pattern: pattern, PatternType: "stix", ValidFrom: stixTime(first),
		})
	}
	for _, a := range External(fs) {
		typ := "ipv4-addr"
		if a.Is6() && !a.Is4In6() {
			typ = "ipv6-addr"
		}
		v := a.Unmap().String()
		indicator(sco(typ, "value", v), "["+typ+":value = "+quote(v)+"]", "external address contacted in incident "+in.ID+": "+in.Title)
	}
	for _, d := range Domains(fs) {
		indicator(sco("domain-name", "value", d), "[domain-name:value = "+quote(d)+"]", "prohibited domain contacted in incident "+in.ID)
	}
	for _, name := range Files(fs) {
		indicator(sco("file", "name", name), "[file:name = "+quote(name)+"]", "file transferred in cleartext in incident "+in.ID)
	}
	for _, f := range files {
		contrib, _ := json.Marshal(map[string]any{"hashes": map[string]string{"SHA-256": f.SHA256}, "name": f.Name})
		o := Object{Type: "file", SpecVersion: "2.1", ID: "file--" + uuid5(scoNamespace, string(contrib)), Name: f.Name,
			Hashes: map[string]string{"SHA-256": f.SHA256}}
		indicator(o, "[file:hashes.'SHA-256' = "+quote(f.SHA256)+"]", fmt.Sprintf("%s moved in incident %s (%s)", cmp.Or(f.Name, "a program or firmware"), in.ID, f.Op))
	}
	if len(refs) > 0 {
		b.Objects = append(b.Objects, Object{
			Type: "observed-data", SpecVersion: "2.1", ID: "observed-data--" + uuid5(sdoNamespace, "observed\x00"+in.ID),
			Created: ts, Modified: ts, CreatedByRef: idn.ID, MarkingRefs: []string{TLPAmber},
			FirstObserved: stixTime(first), LastObserved: stixTime(last), NumberObserved: max(n, 1), ObjectRefs: refs,
		})
	}
	return b
}
