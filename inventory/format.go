package inventory

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"harborwatch/declared"
	"harborwatch/internal/textsafe"
)

// Text writes the inventory as a table, then the findings of the
// reconciliation and the import problems.
func Text(w io.Writer, inv *Inventory) error {
	ew := &errWriter{w: w}
	printf(ew, "Inventory: %s (%d declared, %d observed), %d of concern; OUI table %s\n\n",
		nouns(inv.Summary.Assets, "asset", "assets"), inv.Summary.Declared, inv.Summary.Observed, inv.Summary.OfConcern, inv.OUITable)
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESSES\tVENDOR\tKIND / ROLES\tZONE\tCRANE\tSTATE\tCONCERN")
	for _, a := range inv.Assets {
		var addrs []string
		for _, ip := range a.IPs {
			addrs = append(addrs, ip.String())
		}
		addrs = append(addrs, a.MACs...)
		vendor := a.Vendor
		if a.VendorSource != "" {
			vendor += " (" + a.VendorSource + ")"
		}
		var rs []string
		for _, r := range a.Roles {
			if r.Role != a.Kind {
				rs = append(rs, r.Role)
			}
		}
		kind := a.Kind
		if len(rs) > 0 {
			kind = strings.TrimPrefix(kind+" / "+strings.Join(rs, ","), " / ")
		}
		var cs []string
		for _, c := range a.Concern {
			cs = append(cs, c.Supplier)
		}
		concern := strings.Join(cs, ",")
		if a.Isolation == "not-isolated" {
			concern += " NOT ISOLATED"
		}
		printf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, dash(strings.Join(addrs, " ")), dash(vendor),
			dash(kind), dash(strings.Join(a.Zones, ",")), dash(a.Crane), state(a), dash(concern))
	}
	tw.Flush()
	if len(inv.Findings) > 0 {
		printf(ew, "\nReconciliation findings (%d):\n", len(inv.Findings))
		for _, f := range inv.Findings {
			printf(ew, "  [%s] %s: %s\n", f.Severity, f.Rule, f.Title)
		}
	}
	if len(inv.Problems) > 0 {
		printf(ew, "\nImport problems (%d; those rows were skipped):\n", len(inv.Problems))
		for _, p := range inv.Problems {
			printf(ew, "  %s\n", p.Error())
		}
	}
	return ew.err
}

func state(a Asset) string {
	switch {
	case a.Declared && a.Observed:
		return "declared+seen"
	case a.Declared:
		return "declared"
	}
	return "seen only"
}

// printf writes a line of a text view. Every argument that is not a
// number is shown through textsafe.String, so that names from imports,
// site.yaml and the wire cannot move the cursor, recolour or reorder the
// terminal, nor break a line or a table column (a tab is shown as \t). The
// format itself is ours and is written as it is; errors are the writer's
// (errWriter keeps the first).
func printf(w io.Writer, format string, args ...any) {
	textsafe.Args(args)
	fmt.Fprintf(w, format, args...)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// CranesText writes each crane's exposure: its suppliers of concern with
// the path tying them to it, its remote-management paths and the counts.
func CranesText(w io.Writer, inv *Inventory) error {
	ew := &errWriter{w: w}
	s := inv.Summary
	printf(ew, "Facility %s: %s (%d with suppliers of concern), %s, %d of concern\n",
		dash(inv.Facility), nouns(s.Cranes, "crane", "cranes"), s.CranesOfConcern, nouns(s.Assets, "asset", "assets"), s.OfConcern)
	printf(ew, "  by supplier of concern: %s\n  by criticality: %s\n  isolation of assets of concern: %s\n",
		Counts(s.BySupplier), Counts(s.ByCriticality), Counts(s.ByIsolation))
	for _, c := range inv.Cranes {
		printf(ew, "\nCrane %s", c.ID)
		if c.Manufacturer != "" || c.Model != "" {
			printf(ew, " — %s", strings.TrimSpace(c.Manufacturer+" "+c.Model))
		}
		printf(ew, "\n  zones: %s\n  assets: %d (%d declared, %d seen), %d of concern\n",
			dash(strings.Join(c.Zones, ", ")), c.Exposure.Assets, c.Exposure.Declared, c.Exposure.Observed, c.Exposure.OfConcern)
		rm := "no"
		if c.RemoteManagement {
			rm = "yes (declared)"
		}
		printf(ew, "  remote management by its supplier: %s\n", rm)
		for _, p := range c.RemotePaths {
			printf(ew, "  remote path: %s\n", p)
		}
		if len(c.Concerns) > 0 {
			printf(ew, "  suppliers of concern:\n")
		}
		for _, cc := range c.Concerns {
			var ls []string
			for _, l := range cc.Lists {
				ls = append(ls, fmt.Sprintf("%s (%s, %s)", l.Name, l.Citation, l.Date))
			}
			printf(ew, "    %s\n      %s\n", cc.Path, strings.Join(ls, "; "))
		}
		printf(ew, "  by criticality: %s; isolation: %s\n", Counts(c.Exposure.ByCriticality), Counts(c.Exposure.ByIsolation))
	}
	return ew.err
}

// nouns formats a count of things: "1 crane", "4 cranes".
func nouns(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Counts formats counts by name as "a 2, b 1", names sorted; "-" for none.
func Counts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(out, ", ")
}

// JSON writes the inventory as one indented JSON document.
func JSON(w io.Writer, inv *Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// csvHeader extends the import header (docs/formats/inventory-csv.md) with
// the reconciliation's columns; the file can be imported back.
var csvHeader = slices.Concat(declared.Columns, []string{"vendor_source", "roles", "concern", "isolation", "declared",
	"observed", "first_seen", "last_seen", "shared"})

// CSV writes one row per asset. Every cell goes through textsafe.Cell:
// controls and bidi characters are escaped, and a cell a spreadsheet would
// read as a formula (it starts with =, +, -, @, tab or CR) gets a leading
// single quote (docs/formats/inventory-csv.md, "Safe cells"). An asset list gives an address or a MAC
// to one asset only, and its reader skips a row that repeats one; so when
// two assets hold the same address or MAC (two declarations disagree: a
// site.yaml asset and a BOM component with one address and two MACs), the
// later row writes it in "shared" instead of ip or mac, and the file
// imports back with every asset.
func CSV(w io.Writer, inv *Inventory) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	held := map[string]bool{} // addresses and MACs of earlier rows
	for _, a := range inv.Assets {
		var ips, macs, shared, roles, concern []string
		for _, ip := range a.IPs {
			if v := ip.String(); held[v] {
				shared = append(shared, v)
			} else {
				held[v] = true
				ips = append(ips, v)
			}
		}
		for _, m := range a.MACs {
			if held[m] {
				shared = append(shared, m)
			} else {
				held[m] = true
				macs = append(macs, m)
			}
		}
		for _, r := range a.Roles {
			roles = append(roles, r.Role)
		}
		for _, c := range a.Concern {
			concern = append(concern, c.Supplier)
		}
		zone := ""
		if len(a.Zones) > 0 {
			zone = a.Zones[0]
		}
		first, last := "", ""
		if a.FirstSeen != nil {
			first, last = a.FirstSeen.Format("2006-01-02T15:04:05.000000Z"), a.LastSeen.Format("2006-01-02T15:04:05.000000Z")
		}
		row := []string{a.ID, a.Name, strings.Join(ips, ";"), strings.Join(macs, ";"), a.Kind, a.Vendor, a.Model,
			a.Supplier, a.Origin, a.Crane, zone, a.Criticality, a.Serial, a.Firmware, "", a.VendorSource,
			strings.Join(roles, ";"), strings.Join(concern, ";"), a.Isolation, strconv.FormatBool(a.Declared),
			strconv.FormatBool(a.Observed), first, last, strings.Join(shared, ";")}
		if err := cw.Write(textsafe.Row(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cranesCSVHeader are the columns of CranesCSV.
var cranesCSVHeader = []string{"id", "name", "manufacturer", "model", "supplier", "origin", "zones", "assets", "declared",
	"observed", "of_concern", "concern", "concern_paths", "remote_management", "remote_paths", "by_criticality", "by_isolation"}

// CranesCSV writes one row per crane: what it is, its zones, its exposure
// counts, its suppliers of concern with the path tying each to it, and its
// remote-management paths. Lists are joined by ";", counts by name as
// "core-control 5;support 2". It is a report, not an import format. Cells
// are made safe as CSV's are (textsafe.Cell).
func CranesCSV(w io.Writer, inv *Inventory) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(cranesCSVHeader); err != nil {
		return err
	}
	counts := func(m map[string]int) string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, k+" "+strconv.Itoa(m[k]))
		}
		return strings.Join(out, ";")
	}
	for _, c := range inv.Cranes {
		var sups, paths []string
		for _, cc := range c.Concerns {
			if !slices.Contains(sups, cc.Supplier) {
				sups = append(sups, cc.Supplier)
			}
			paths = append(paths, cc.Path)
		}
		x := c.Exposure
		row := []string{c.ID, c.Name, c.Manufacturer, c.Model, c.Supplier, c.Origin, strings.Join(c.Zones, ";"),
			strconv.Itoa(x.Assets), strconv.Itoa(x.Declared), strconv.Itoa(x.Observed), strconv.Itoa(x.OfConcern),
			strings.Join(sups, ";"), strings.Join(paths, ";"), strconv.FormatBool(c.RemoteManagement),
			strings.Join(c.RemotePaths, ";"), counts(x.ByCriticality), counts(x.ByIsolation)}
		if err := cw.Write(textsafe.Row(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// BOMOptions say how CycloneDX writes a BOM. The zero value writes JSON
// with a random serial number and no timestamp.
type BOMOptions struct {
	XML         bool      // XML instead of JSON
	ToolVersion string    // harborwatch's version, in metadata.tools
	Time        time.Time // metadata.timestamp; zero: none
	// Serial is the BOM's serialNumber, "urn:uuid:…"; "" gives a random
	// one (a version 4 UUID): each BOM written is a new BOM, even when its
	// content has not changed (CycloneDX 1.6, serialNumber).
	Serial string
}

// CycloneDX writes the inventory as a CycloneDX 1.6 BOM (JSON, or XML when
// o.XML is set) with its serial number, timestamp and tool (harborwatch and
// its version): the facility as a metadata property, one device component
// per asset (BOM components keep their type), nested under their parent
// where the parent is an asset. Addresses, zone, crane, criticality and
// roles travel as harborwatch:* properties, so that the BOM can be
// imported back.
func CycloneDX(w io.Writer, inv *Inventory, o BOMOptions) error {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.SerialNumber = o.Serial
	if bom.SerialNumber == "" {
		var u [16]byte
		if _, err := rand.Read(u[:]); err != nil {
			return err
		}
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
		bom.SerialNumber = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	}
	// No metadata component: a BOM's subject is read back as an asset (or
	// a crane), and the facility is neither.
	bom.Metadata = &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "harborwatch", Version: o.ToolVersion}}},
	}
	if !o.Time.IsZero() {
		bom.Metadata.Timestamp = o.Time.UTC().Format(time.RFC3339)
	}
	if inv.Facility != "" {
		bom.Metadata.Properties = &[]cdx.Property{{Name: "harborwatch:facility", Value: inv.Facility}}
	}
	byID := map[string]*cdx.Component{}
	comps := make([]cdx.Component, 0, len(inv.Assets))
	children := map[string][]cdx.Component{}
	var roots []string
	for _, a := range inv.Assets {
		c := component(a)
		byID[a.ID] = &c
		if a.Parent != "" && hasAsset(inv, a.Parent) {
			children[a.Parent] = append(children[a.Parent], c)
			continue
		}
		roots = append(roots, a.ID)
	}
	var nest func(c *cdx.Component, depth int)
	nest = func(c *cdx.Component, depth int) {
		kids := children[c.BOMRef]
		if len(kids) == 0 || depth > 16 {
			return
		}
		for i := range kids {
			nest(&kids[i], depth+1)
		}
		c.Components = &kids
	}
	for _, id := range roots {
		c := *byID[id]
		nest(&c, 0)
		comps = append(comps, c)
	}
	bom.Components = &comps
	format := cdx.BOMFileFormatJSON
	if o.XML {
		format = cdx.BOMFileFormatXML
	}
	enc := cdx.NewBOMEncoder(w, format)
	enc.SetPretty(true)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

func hasAsset(inv *Inventory, id string) bool {
	for _, a := range inv.Assets {
		if a.ID == id {
			return true
		}
	}
	return false
}

func dashEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func component(a Asset) cdx.Component {
	typ := cdx.ComponentTypeDevice
	if a.Type != "" {
		typ = cdx.ComponentType(a.Type)
	}
	c := cdx.Component{BOMRef: a.ID, Type: typ, Name: dashEmpty(a.Name, a.ID), Version: a.Firmware, PackageURL: a.PURL}
	if a.Vendor != "" {
		c.Manufacturer = &cdx.OrganizationalEntity{Name: a.Vendor}
	}
	if a.Supplier != "" {
		c.Supplier = &cdx.OrganizationalEntity{Name: a.Supplier}
	}
	var props []cdx.Property
	prop := func(k, v string) {
		if v != "" {
			props = append(props, cdx.Property{Name: "harborwatch:" + k, Value: v})
		}
	}
	for _, ip := range a.IPs {
		prop("ip", ip.String())
	}
	for _, m := range a.MACs {
		prop("mac", m)
	}
	prop("kind", a.Kind)
	if len(a.Zones) > 0 {
		prop("zone", a.Zones[0])
	}
	prop("crane", a.Crane)
	prop("criticality", a.Criticality)
	prop("origin", a.Origin)
	prop("model", a.Model)
	prop("serial", a.Serial)
	for _, r := range a.Roles {
		prop("role", r.Role)
	}
	for _, cn := range a.Concern {
		prop("concern", cn.Supplier)
	}
	prop("isolation", a.Isolation)
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
