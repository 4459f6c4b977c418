package supplier

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// Status tells how a listing binds.
type Status string

// Listing statuses. A listing read without a status is StatusInForce.
const (
	StatusInForce   Status = "in-force"  // the list, law or directive applies now
	StatusAdvisory  Status = "advisory"  // government guidance naming the supplier; it binds no one
	StatusRequested Status = "requested" // a listing was asked for (by lawmakers, say) but not made
	StatusRemoved   Status = "removed"   // the supplier was listed and later taken off
)

var statuses = []string{string(StatusInForce), string(StatusAdvisory), string(StatusRequested), string(StatusRemoved)}

// String returns s as written in a catalog.
func (s Status) String() string { return string(s) }

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s), nil }

// Listing is one list, law, directive or advisory that names a supplier,
// with its legal citation.
type Listing struct {
	Name     string // the list, such as "Commerce Entity List"
	Citation string // where it is written: CFR, Federal Register, public law
	Date     string // YYYY-MM-DD of the cited action (for StatusRemoved: of the removal)
	Status   Status
	Note     string
}

// Supplier is one entry of the catalog: a company or platform, the names
// it goes by and, for a supplier of concern, the listings that make it one.
// Neutral manufacturers (Concern false) have no listings; they are in the
// catalog so that equipment can be attributed to them by name.
type Supplier struct {
	ID       string   // stable key: lower-case letters, digits, '_' and '-'
	Name     string   // legal name
	Aliases  []string // brands, short names, subsidiaries, former names
	Parent   string   // the id of another entry, or free text
	Country  string   // ISO 3166 alpha-2, upper case; empty when not given
	Concern  bool     // a supplier of concern
	Products []string // lower-case words joined by '-': ip-camera, sts-crane, …
	OUIOrgs  []string // phrases of IEEE organisation names (MatchOrg)
	OUIs     []string // explicit assignment prefixes, "C0-9B-F4-B" (MatchOUI)
	PURL     []string // package URL prefixes, "pkg:maven/com.huawei" (MatchPURL)
	Domains  []string // domains of the supplier's services, for reference
	Exclude  []string // names of other companies holding one of this entry's names
	Lists    []Listing
	Note     string // one or two sentences for a report
	File     string // the catalog file the entry was read from
	Line     int    // line of the entry in File
}

// builtinFile names the embedded catalog in problems and Supplier.File.
const builtinFile = "supplier/catalog.yaml"

//go:embed catalog.yaml
var builtinYAML []byte

var builtin = sync.OnceValue(func() *Catalog {
	c, err := Parse(builtinFile, builtinYAML)
	if err != nil {
		panic("supplier: the built-in catalog is broken:\n" + err.Error())
	}
	return c
})

// Builtin returns the catalog shipped with harborwatch (supplier/catalog.yaml),
// parsed on first use. It panics only if that file is broken, which the
// package's tests rule out.
func Builtin() *Catalog { return builtin() }

// entry is a catalog entry with its exclusions reduced to phrases.
type entry struct {
	Supplier
	exclude []phrase
}

// Catalog is a set of suppliers with the indexes that match names,
// organisations, hardware addresses and package URLs to them. A Catalog is
// immutable and safe for concurrent use.
type Catalog struct {
	entries []*entry // sorted by id
	byID    map[string]*entry
	names   phraseIndex // names and aliases
	orgs    phraseIndex // oui_orgs
	ouis    []ouiPrefix // longest first
	purls   []purlPattern
}

// build indexes entries, which must have distinct ids. Values it cannot use
// (an OUI that does not parse, a name of suffixes only) are left out of the
// indexes; Parse and Decode report them before an entry gets here.
func build(entries []*entry) *Catalog {
	slices.SortFunc(entries, func(a, b *entry) int { return strings.Compare(a.ID, b.ID) })
	c := &Catalog{
		entries: entries,
		byID:    make(map[string]*entry, len(entries)),
		names:   phraseIndex{},
		orgs:    phraseIndex{},
	}
	for _, e := range entries {
		c.byID[e.ID] = e
		c.names.add(pattern(e.Name), e)
		for _, a := range e.Aliases {
			c.names.add(pattern(a), e)
		}
		for _, o := range e.OUIOrgs {
			c.orgs.add(pattern(o), e)
		}
		e.exclude = nil
		for _, x := range e.Exclude {
			if p := words(x); len(p) > 0 {
				e.exclude = append(e.exclude, p)
			}
		}
		for _, o := range e.OUIs {
			if val, bits, why := parseOUI(o); why == "" {
				c.ouis = append(c.ouis, ouiPrefix{val, bits, e})
			}
		}
		for _, p := range e.PURL {
			if segs, ok := purlSegments(p, true); ok {
				c.purls = append(c.purls, purlPattern{segs, e})
			}
		}
	}
	slices.SortStableFunc(c.ouis, func(a, b ouiPrefix) int { return int(b.bits) - int(a.bits) })
	return c
}

// With returns a new catalog: c with the entries of extra added, an entry
// of extra replacing the entry of c with the same id (when extra repeats an
// id, its last entry counts). c is not changed. extra is meant to come from
// Decode, which checks it against c; With itself checks nothing.
func (c *Catalog) With(extra []Supplier) *Catalog {
	replaced := make(map[string]*entry, len(extra))
	for i := range extra {
		replaced[extra[i].ID] = &entry{Supplier: extra[i]}
	}
	entries := make([]*entry, 0, len(c.entries)+len(replaced))
	for _, e := range c.entries {
		if _, ok := replaced[e.ID]; !ok {
			entries = append(entries, &entry{Supplier: e.Supplier})
		}
	}
	for _, e := range replaced {
		entries = append(entries, e)
	}
	return build(entries)
}

// ByID returns the entry with the given id, or nil. The entry belongs to
// the catalog and must not be modified.
func (c *Catalog) ByID(id string) *Supplier {
	if e := c.byID[id]; e != nil {
		return &e.Supplier
	}
	return nil
}

// All returns every entry, sorted by id. The entries belong to the catalog
// and must not be modified; the slice is the caller's.
func (c *Catalog) All() []*Supplier {
	all := make([]*Supplier, len(c.entries))
	for i, e := range c.entries {
		all[i] = &e.Supplier
	}
	return all
}

// Parent returns the entry that s.Parent names by its id, or nil when the
// parent is free text (or s is nil).
func (c *Catalog) Parent(s *Supplier) *Supplier {
	if s == nil || s.Parent == s.ID {
		return nil
	}
	return c.ByID(s.Parent)
}
