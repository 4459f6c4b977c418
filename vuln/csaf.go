package vuln

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// MaxDocument is the largest CSAF document Load reads (the largest CISA
// ICS advisory is a few hundred KiB).
const MaxDocument = 32 << 20

// Advisory is one CSAF 2.0 security advisory, flattened for matching:
// its products (from branches, full_product_names and relationships)
// and its vulnerabilities.
type Advisory struct {
	ID        string    // document.tracking.id, e.g. ICSA-24-284-01
	Title     string    // document.title
	Publisher string    // document.publisher.name
	Version   string    // document.tracking.version
	Initial   time.Time // document.tracking.initial_release_date
	Current   time.Time // document.tracking.current_release_date
	// URL is the citation: the publisher's web version (a "self"
	// reference on cisa.gov if there is one, else the first "self"
	// reference, else the first reference).
	URL  string
	File string // where it was read from
	// Products are the advisory's products, by product id, and in
	// document order in ProductList.
	Products    map[string]*Product
	ProductList []*Product
	Vulns       []Vulnerability
}

// Product is one product of an advisory: the path of branches to a leaf
// (vendor, family, name, version), a full product name, or a relationship
// (a firmware installed on a model).
type Product struct {
	ID       string
	FullName string // the full_product_name's name
	Vendor   string // the vendor branch, as written
	Family   string // product_family branch, if any
	Name     string // product_name branch (or the full name)
	// VersionText is the product_version or product_version_range as
	// written; Exact tells which.
	VersionText  string
	Exact        bool
	Range        Range
	ModelNumbers []string // product_identification_helper.model_numbers
	// Component and Platform are set for a relationship product: the
	// component (firmware) Relation (installed_on, …) the platform
	// (hardware model).
	Component, Platform *Product
	Relation            string
}

// Vulnerability is one entry of vulnerabilities[].
type Vulnerability struct {
	CVE          string
	Title        string
	CVSS         float64 // highest CVSS v3 base score given
	Vector       string  // its vector
	scores       []score
	Status       map[string]string // product id → status (affected, fixed, …)
	Remediations []Remediation
}

type score struct {
	base     float64
	vector   string
	products []string
}

// Remediation is one remediations[] entry.
type Remediation struct {
	Category   string
	Details    string
	URL        string
	ProductIDs []string
}

// Statuses a product may have in a vulnerability (product_status
// buckets, folded).
const (
	StatusAffected      = "affected"      // known_affected, first_affected, last_affected
	StatusInvestigating = "investigating" // under_investigation
	StatusFixed         = "fixed"         // fixed, first_fixed
	StatusNotAffected   = "not-affected"  // known_not_affected
	StatusRecommended   = "recommended"   // recommended
)

var statusBuckets = map[string]string{
	"known_affected": StatusAffected, "first_affected": StatusAffected, "last_affected": StatusAffected,
	"under_investigation": StatusInvestigating,
	"fixed":               StatusFixed, "first_fixed": StatusFixed,
	"known_not_affected": StatusNotAffected,
	"recommended":        StatusRecommended,
}

// ScoreFor returns the CVSS v3 score and vector that apply to a product
// (the highest among the scores listing it; the vulnerability's highest
// when none lists it).
func (v *Vulnerability) ScoreFor(productID string) (float64, string) {
	best, vec, found := 0.0, "", false
	for _, s := range v.scores {
		if slices.Contains(s.products, productID) && (!found || s.base > best) {
			best, vec, found = s.base, s.vector, true
		}
	}
	if !found {
		return v.CVSS, v.Vector
	}
	return best, vec
}

// RemediationsFor returns the remediations that name a product.
func (v *Vulnerability) RemediationsFor(productID string) []Remediation {
	var out []Remediation
	for _, r := range v.Remediations {
		if slices.Contains(r.ProductIDs, productID) {
			out = append(out, r)
		}
	}
	return out
}

// Error is a problem in an advisory: the file and the JSON field.
type Error struct {
	File  string
	Field string // e.g. vulnerabilities[2].product_status.known_affected[0]
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Field + ": " + e.Msg
}

// The JSON shapes read (CSAF 2.0; unknown fields are ignored).
type (
	csafDoc struct {
		Document *struct {
			Category    string `json:"category"`
			CSAFVersion string `json:"csaf_version"`
			Title       string `json:"title"`
			Publisher   *struct {
				Name string `json:"name"`
			} `json:"publisher"`
			Tracking *struct {
				ID                 string `json:"id"`
				Version            string `json:"version"`
				InitialReleaseDate string `json:"initial_release_date"`
				CurrentReleaseDate string `json:"current_release_date"`
			} `json:"tracking"`
			References []csafRef `json:"references"`
		} `json:"document"`
		ProductTree *struct {
			Branches         []csafBranch      `json:"branches"`
			FullProductNames []csafProductName `json:"full_product_names"`
			Relationships    []struct {
				Category                  string           `json:"category"`
				FullProductName           *csafProductName `json:"full_product_name"`
				ProductReference          string           `json:"product_reference"`
				RelatesToProductReference string           `json:"relates_to_product_reference"`
			} `json:"relationships"`
		} `json:"product_tree"`
		Vulnerabilities []struct {
			CVE           string              `json:"cve"`
			Title         string              `json:"title"`
			ProductStatus map[string][]string `json:"product_status"`
			Scores        []struct {
				CVSSv3 *struct {
					BaseScore    *float64 `json:"baseScore"`
					VectorString string   `json:"vectorString"`
				} `json:"cvss_v3"`
				Products []string `json:"products"`
			} `json:"scores"`
			Remediations []struct {
				Category   string   `json:"category"`
				Details    string   `json:"details"`
				URL        string   `json:"url"`
				ProductIDs []string `json:"product_ids"`
			} `json:"remediations"`
		} `json:"vulnerabilities"`
	}
	csafRef struct {
		Category string `json:"category"`
		Summary  string `json:"summary"`
		URL      string `json:"url"`
	}
	csafBranch struct {
		Category string           `json:"category"`
		Name     string           `json:"name"`
		Branches []csafBranch     `json:"branches"`
		Product  *csafProductName `json:"product"`
	}
	csafProductName struct {
		Name   string `json:"name"`
		ID     string `json:"product_id"`
		Helper *struct {
			ModelNumbers []string `json:"model_numbers"`
		} `json:"product_identification_helper"`
	}
)

// maxDepth bounds the branch recursion (the schema sets no bound; real
// trees are 3 to 5 deep).
const maxDepth = 30

// Parse reads one CSAF 2.0 document. name is the file name errors
// carry. It checks by hand the fields the schema requires of what it
// reads (document.category, csaf_version 2.0, title, publisher,
// tracking id and dates; product ids; every product id referenced is
// defined) and refuses a document that lacks them, with the field.
func Parse(name string, data []byte) (*Advisory, error) {
	var d csafDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		return nil, &Error{File: name, Msg: jsonError(data, err)}
	}
	if dec.More() {
		return nil, &Error{File: name, Msg: "data after the JSON document"}
	}
	doc := d.Document
	switch {
	case doc == nil:
		return nil, &Error{File: name, Field: "document", Msg: "missing (not a CSAF document)"}
	case doc.CSAFVersion != "2.0":
		return nil, &Error{File: name, Field: "document.csaf_version", Msg: fmt.Sprintf("%q, want \"2.0\"", doc.CSAFVersion)}
	case doc.Category == "":
		return nil, &Error{File: name, Field: "document.category", Msg: "missing"}
	case strings.TrimSpace(doc.Title) == "":
		return nil, &Error{File: name, Field: "document.title", Msg: "missing"}
	case doc.Publisher == nil || doc.Publisher.Name == "":
		return nil, &Error{File: name, Field: "document.publisher.name", Msg: "missing"}
	case doc.Tracking == nil || strings.TrimSpace(doc.Tracking.ID) == "":
		return nil, &Error{File: name, Field: "document.tracking.id", Msg: "missing"}
	}
	a := &Advisory{
		ID: strings.TrimSpace(doc.Tracking.ID), Title: strings.TrimSpace(doc.Title), Publisher: doc.Publisher.Name,
		Version: doc.Tracking.Version, File: name, Products: map[string]*Product{},
	}
	var err error
	if a.Initial, err = parseTime(doc.Tracking.InitialReleaseDate); err != nil {
		return nil, &Error{File: name, Field: "document.tracking.initial_release_date", Msg: err.Error()}
	}
	if a.Current, err = parseTime(doc.Tracking.CurrentReleaseDate); err != nil {
		return nil, &Error{File: name, Field: "document.tracking.current_release_date", Msg: err.Error()}
	}
	a.URL = citation(doc.References)
	if pt := d.ProductTree; pt != nil {
		for i, b := range pt.Branches {
			if err := a.walk(b, fmt.Sprintf("product_tree.branches[%d]", i), Product{}, 0); err != nil {
				return nil, err
			}
		}
		for i, fp := range pt.FullProductNames {
			field := fmt.Sprintf("product_tree.full_product_names[%d]", i)
			if err := a.add(&Product{Name: fp.Name}, &fp, field); err != nil {
				return nil, err
			}
		}
		for i, r := range pt.Relationships {
			field := fmt.Sprintf("product_tree.relationships[%d]", i)
			if r.FullProductName == nil {
				return nil, &Error{File: name, Field: field + ".full_product_name", Msg: "missing"}
			}
			comp, plat := a.Products[r.ProductReference], a.Products[r.RelatesToProductReference]
			if comp == nil {
				return nil, &Error{File: name, Field: field + ".product_reference", Msg: fmt.Sprintf("%q is no product of the tree", r.ProductReference)}
			}
			if plat == nil {
				return nil, &Error{File: name, Field: field + ".relates_to_product_reference", Msg: fmt.Sprintf("%q is no product of the tree", r.RelatesToProductReference)}
			}
			p := &Product{Vendor: plat.Vendor, Family: plat.Family, Name: plat.Name, Component: comp, Platform: plat, Relation: r.Category,
				VersionText: comp.VersionText, Exact: comp.Exact, Range: comp.Range, ModelNumbers: plat.ModelNumbers}
			if err := a.add(p, r.FullProductName, field+".full_product_name"); err != nil {
				return nil, err
			}
		}
	}
	for i, v := range d.Vulnerabilities {
		field := fmt.Sprintf("vulnerabilities[%d]", i)
		vu := Vulnerability{CVE: v.CVE, Title: v.Title, Status: map[string]string{}}
		buckets := make([]string, 0, len(v.ProductStatus))
		for k := range v.ProductStatus {
			buckets = append(buckets, k)
		}
		sort.Strings(buckets)
		for _, bucket := range buckets {
			st, ok := statusBuckets[bucket]
			if !ok {
				return nil, &Error{File: name, Field: field + ".product_status." + bucket, Msg: "not a CSAF 2.0 status"}
			}
			for j, id := range v.ProductStatus[bucket] {
				if a.Products[id] == nil {
					return nil, &Error{File: name, Field: fmt.Sprintf("%s.product_status.%s[%d]", field, bucket, j), Msg: fmt.Sprintf("%q is no product of the tree", id)}
				}
				if prev, ok := vu.Status[id]; ok && affectedish(prev) != affectedish(st) {
					return nil, &Error{File: name, Field: fmt.Sprintf("%s.product_status.%s[%d]", field, bucket, j), Msg: fmt.Sprintf("%q is both %s and %s (CSAF test 6.1.6)", id, prev, st)}
				}
				if _, ok := vu.Status[id]; !ok || st == StatusAffected {
					vu.Status[id] = st
				}
			}
		}
		for j, s := range v.Scores {
			if s.CVSSv3 == nil {
				continue
			}
			if s.CVSSv3.BaseScore == nil || *s.CVSSv3.BaseScore < 0 || *s.CVSSv3.BaseScore > 10 {
				return nil, &Error{File: name, Field: fmt.Sprintf("%s.scores[%d].cvss_v3.baseScore", field, j), Msg: "missing or not in 0–10"}
			}
			b := *s.CVSSv3.BaseScore
			vu.scores = append(vu.scores, score{base: b, vector: s.CVSSv3.VectorString, products: s.Products})
			if b > vu.CVSS {
				vu.CVSS, vu.Vector = b, s.CVSSv3.VectorString
			}
		}
		for _, r := range v.Remediations {
			vu.Remediations = append(vu.Remediations, Remediation{Category: r.Category, Details: strings.TrimSpace(r.Details), URL: r.URL, ProductIDs: r.ProductIDs})
		}
		a.Vulns = append(a.Vulns, vu)
	}
	return a, nil
}

func affectedish(s string) bool { return s == StatusAffected || s == StatusInvestigating }

// walk collects the leaves of a branch.
func (a *Advisory) walk(b csafBranch, field string, p Product, depth int) error {
	if depth > maxDepth {
		return &Error{File: a.File, Field: field, Msg: fmt.Sprintf("branches nested deeper than %d", maxDepth)}
	}
	if b.Category == "" {
		return &Error{File: a.File, Field: field + ".category", Msg: "missing"}
	}
	switch b.Category {
	case "vendor":
		p.Vendor = strings.TrimSpace(b.Name)
	case "product_family":
		p.Family = strings.TrimSpace(b.Name)
	case "product_name":
		p.Name = strings.TrimSpace(b.Name)
	case "product_version":
		p.VersionText, p.Exact = b.Name, true
	case "product_version_range":
		p.VersionText, p.Exact = b.Name, false
	}
	if b.Product != nil {
		q := p
		if err := a.add(&q, b.Product, field+".product"); err != nil {
			return err
		}
	}
	for i, c := range b.Branches {
		if err := a.walk(c, fmt.Sprintf("%s.branches[%d]", field, i), p, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// add registers a product with the full product name fp.
func (a *Advisory) add(p *Product, fp *csafProductName, field string) error {
	if strings.TrimSpace(fp.ID) == "" {
		return &Error{File: a.File, Field: field + ".product_id", Msg: "missing"}
	}
	if _, dup := a.Products[fp.ID]; dup {
		return &Error{File: a.File, Field: field + ".product_id", Msg: fmt.Sprintf("%q defined twice", fp.ID)}
	}
	p.ID, p.FullName = fp.ID, fp.Name
	if p.Name == "" {
		p.Name = fp.Name
	}
	if fp.Helper != nil && len(p.ModelNumbers) == 0 {
		for _, m := range fp.Helper.ModelNumbers {
			if m = strings.TrimSpace(m); m != "" {
				p.ModelNumbers = append(p.ModelNumbers, m)
			}
		}
	}
	if p.Component == nil && p.VersionText != "" {
		if p.Exact {
			p.Range = ParseExact(p.VersionText)
		} else {
			p.Range = ParseRange(p.VersionText)
		}
	}
	a.Products[p.ID] = p
	a.ProductList = append(a.ProductList, p)
	return nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time", s)
	}
	return t, nil
}

// citation picks the advisory's web version.
func citation(refs []csafRef) string {
	for _, r := range refs {
		if r.Category == "self" && strings.Contains(r.URL, "cisa.gov/") {
			return r.URL
		}
	}
	for _, r := range refs {
		if r.Category == "self" {
			return r.URL
		}
	}
	if len(refs) > 0 {
		return refs[0].URL
	}
	return ""
}

// jsonError says where a JSON syntax or type error is: line and column.
func jsonError(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			return fmt.Sprintf("%s: %s, want %s (line %d)", te.Field, te.Value, te.Type, lineOf(data, off))
		}
	}
	if off < 0 {
		return "not JSON: " + err.Error()
	}
	return fmt.Sprintf("not JSON at line %d: %v", lineOf(data, off), err)
}

func lineOf(data []byte, off int64) int {
	off = min(off, int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// Load reads advisories from files and folders (every *.json under a
// folder, recursively, in name order). A file that is not a CSAF 2.0
// document is an error naming it and the field.
func Load(paths ...string) ([]*Advisory, error) {
	files, err := Files(paths...)
	if err != nil {
		return nil, err
	}
	out := make([]*Advisory, 0, len(files))
	for _, f := range files {
		a, _, err := ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Files lists the files paths name: a file as given, a folder's *.json
// files, recursively, in name order.
func Files(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".json") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

// ReadFile reads and parses one advisory file; it returns the advisory
// and the document's bytes. A document larger than MaxDocument is
// refused.
func ReadFile(path string) (*Advisory, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxDocument+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxDocument {
		return nil, nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d MiB", MaxDocument>>20)}
	}
	a, err := Parse(path, data)
	if err != nil {
		return nil, nil, err
	}
	return a, data, nil
}
