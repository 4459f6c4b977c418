package vuln

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"harborwatch/inventory"
)

// Device is what the matcher knows of one asset: identities declared and
// seen on the wire count alike.
type Device struct {
	Asset string // inventory asset id
	Name  string
	Crane string
	Zones []string
	// Vendors are the names the vendor goes by: declared, from a BOM,
	// said by the device (S7, CIP, Modbus identity) or the MAC block's
	// registrant.
	Vendors []string
	// Models are model and product strings (declared model, the
	// identity's product, model, product name, module type).
	Models []string
	// OrderNumbers are order numbers (Siemens MLFB, catalog numbers):
	// the S7 SZL order number, and declared models that look like one.
	OrderNumbers []string
	Firmware     []Firmware
	// Hardware are hardware versions (the S7 SZL's, "4.0").
	Hardware []string
}

// Firmware is one firmware version of a device and where it comes from:
// "declared" (site, CSV, JSON, BOM) or "wire" (what the device said).
type Firmware struct {
	Version string
	Source  string
}

var mlfbLike = func(s string) bool {
	o := normOrder(s)
	return len(o) >= 10 && (strings.HasPrefix(o, "6ES") || strings.HasPrefix(o, "6AG") || strings.HasPrefix(o, "6GK") || strings.HasPrefix(o, "6AV"))
}

// DeviceOf reads a device from an inventory asset.
func DeviceOf(a *inventory.Asset) Device {
	d := Device{Asset: a.ID, Name: a.Name, Crane: a.Crane, Zones: a.Zones}
	add := func(list []string, s string) []string {
		s = strings.TrimSpace(s)
		if s == "" || slices.Contains(list, s) {
			return list
		}
		return append(list, s)
	}
	id := func(k string) string {
		v, _ := a.Identity[k].(string)
		return v
	}
	d.Vendors = add(d.Vendors, a.Vendor)
	d.Vendors = add(d.Vendors, id("vendor"))
	d.Vendors = add(d.Vendors, id("vendor_name"))
	d.Vendors = add(d.Vendors, a.OUIOrg)
	d.Models = add(d.Models, a.Model)
	for _, k := range []string{"product", "model", "product_name", "model_name", "module_type"} {
		d.Models = add(d.Models, id(k))
	}
	d.OrderNumbers = add(d.OrderNumbers, id("order_number"))
	d.Hardware = add(d.Hardware, id("hardware_version"))
	for _, m := range d.Models {
		if mlfbLike(m) {
			d.OrderNumbers = add(d.OrderNumbers, m)
		}
	}
	if a.Firmware != "" {
		d.Firmware = append(d.Firmware, Firmware{Version: a.Firmware, Source: "declared"})
	}
	fw := id("firmware")
	if fw == "" {
		fw = id("revision")
	}
	if fw != "" && !slices.ContainsFunc(d.Firmware, func(f Firmware) bool { return f.Version == fw }) {
		d.Firmware = append(d.Firmware, Firmware{Version: fw, Source: "wire"})
	}
	return d
}

// Match statuses of a device against an advisory's product.
const (
	Affected         = "affected"          // product matched, version in the range
	PossiblyAffected = "possibly-affected" // product matched, but the range or the firmware could not be read
	Investigating    = "investigating"     // the advisory lists the product under investigation
)

// ProductMatch is one advisory product a device matched.
type ProductMatch struct {
	ProductID string `json:"product_id"`
	Product   string `json:"product"` // the full product name
	// Basis is what tied the device to the product: "order number …",
	// "model …", "family …" or "name".
	Basis string `json:"basis"`
	// Rule is the version rule that matched, with the firmware compared.
	Rule   string `json:"rule"`
	Status string `json:"status"`
}

// Result is one device matched by one advisory.
type Result struct {
	Asset        string         `json:"asset"`
	Name         string         `json:"name,omitempty"`
	Crane        string         `json:"crane,omitempty"`
	Zones        []string       `json:"zones"`
	Advisory     string         `json:"advisory"`
	Title        string         `json:"title"`
	URL          string         `json:"url,omitempty"`
	Status       string         `json:"status"` // the strongest of the products'
	CVEs         []string       `json:"cves"`
	CVSS         float64        `json:"cvss"`
	Vector       string         `json:"cvss_vector,omitempty"`
	Products     []ProductMatch `json:"products"`
	Remediations []string       `json:"remediations"`
	// Rule is the first product's basis and rule, for one-line views.
	Rule string `json:"rule"`
}

// Match matches devices against advisories: one Result per device and
// advisory that affects it (or may: a range that could not be parsed, a
// firmware unknown or unreadable). Products the advisory lists as fixed,
// not affected or recommended never match. Results are ordered by asset,
// then advisory.
func Match(devices []Device, advs []*Advisory) []Result {
	var out []Result
	for i := range devices {
		for _, a := range advs {
			if r, ok := matchOne(&devices[i], a); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

func matchOne(d *Device, a *Advisory) (Result, bool) {
	vkeys := map[string]bool{}
	for _, v := range d.Vendors {
		vkeys[vendorKey(v)] = true
	}
	dt := deviceTokens(d.Models)
	for _, o := range d.OrderNumbers {
		if f := mlfbFamily(o); f != "" {
			dt.family = appendNew(dt.family, f)
		}
	}
	r := Result{Asset: d.Asset, Name: d.Name, Crane: d.Crane, Zones: d.Zones, Advisory: a.ID, Title: a.Title, URL: a.URL,
		CVEs: []string{}, Remediations: []string{}}
	matched := map[string]ProductMatch{} // product id → match
	for _, p := range a.ProductList {
		if !vkeys[vendorKey(p.Vendor)] {
			continue
		}
		basis, ok := productMatches(d, dt, p, a.Title)
		if !ok {
			continue
		}
		status, rule, ok := versionMatches(d, p)
		if !ok {
			continue
		}
		if status, rule, ok = hardwareMatches(d, p, status, rule); !ok {
			continue
		}
		matched[p.ID] = ProductMatch{ProductID: p.ID, Product: p.FullName, Basis: basis, Rule: rule, Status: status}
	}
	if len(matched) == 0 {
		return r, false
	}
	used := map[string]bool{}
	for vi := range a.Vulns {
		v := &a.Vulns[vi]
		hit := false
		for _, p := range a.ProductList {
			m, ok := matched[p.ID]
			st, listed := v.Status[p.ID]
			if !ok || !listed || !affectedish(st) {
				continue
			}
			if st == StatusInvestigating && m.Status == Affected {
				m.Status = Investigating
			}
			used[p.ID] = true
			hit = true
			if s, vec := v.ScoreFor(p.ID); s > r.CVSS {
				r.CVSS, r.Vector = s, vec
			}
			for _, rem := range v.RemediationsFor(p.ID) {
				text := rem.Category + ": " + rem.Details
				if rem.URL != "" {
					text += " " + rem.URL
				}
				if !slices.Contains(r.Remediations, text) {
					r.Remediations = append(r.Remediations, text)
				}
			}
			matched[p.ID] = m
		}
		if hit && v.CVE != "" && !slices.Contains(r.CVEs, v.CVE) {
			r.CVEs = append(r.CVEs, v.CVE)
		}
	}
	for _, p := range a.ProductList {
		if used[p.ID] {
			r.Products = append(r.Products, matched[p.ID])
		}
	}
	if len(r.Products) == 0 {
		return r, false
	}
	r.Status = r.Products[0].Status
	for _, m := range r.Products {
		if statusRank(m.Status) > statusRank(r.Status) {
			r.Status = m.Status
		}
	}
	for _, m := range r.Products {
		if m.Status == r.Status {
			r.Rule = m.Basis + "; " + m.Rule
			break
		}
	}
	slices.Sort(r.CVEs)
	// Fixes first: vendor_fix, then mitigations and workarounds, in the
	// advisory's order within each.
	slices.SortStableFunc(r.Remediations, func(a, b string) int {
		return cmp.Compare(remRank(a), remRank(b))
	})
	return r, true
}

func statusRank(s string) int {
	switch s {
	case Affected:
		return 3
	case Investigating:
		return 2
	}
	return 1
}

// productMatches says whether a device is the advisory's product, and
// on what basis.
func productMatches(d *Device, dt tokens, p *Product, title string) (string, bool) {
	if len(p.ModelNumbers) > 0 && len(d.OrderNumbers) > 0 {
		for _, o := range d.OrderNumbers {
			for _, m := range p.ModelNumbers {
				if glob(normOrder(m), normOrder(o)) {
					return "order number " + normOrder(o), true
				}
			}
		}
		// The device's order number is known and is none of the
		// product's: another model of the line.
		return "", false
	}
	name := p.Name
	if p.Platform != nil {
		name = p.Platform.Name
	}
	pt := productTokens(name)
	if p.Exact && !p.Range.Parsed && looksLikeModel(p.VersionText) {
		// A model name in the version slot (DH-IPC-HDW1XXX,).
		for _, t := range productTokens(p.VersionText).strong {
			pt.strong = appendNew(pt.strong, t)
		}
	}
	for _, q := range qualifierWords {
		if slices.Contains(pt.words, q) && !slices.Contains(dt.words, q) {
			return "", false
		}
	}
	if pt.series != "" && dt.series != "" && pt.series != dt.series {
		return "", false
	}
	if len(pt.strong) > 0 {
		for _, s := range pt.strong {
			for _, t := range dt.strong {
				if tokenMatch(s, t) {
					if s != t {
						return "model " + t + " (" + s + ")", true
					}
					return "model " + t, true
				}
			}
		}
		return "", false
	}
	if len(pt.family) > 0 {
		for _, f := range pt.family {
			if slices.Contains(dt.family, f) {
				return "family " + f, true
			}
		}
		return "", false
	}
	// No model in the name, but the title names the model line after
	// the product's name (product "NPort", title "MOXA NPort IAW5000A-I/O
	// Series"): the device must be of that line.
	if tt := titleModels(title, name); len(tt) > 0 {
		for _, s := range tt {
			for _, t := range dt.strong {
				if tokenMatch(s, t) {
					return "model " + t + " (" + s + ", from the title)", true
				}
			}
		}
		return "", false
	}
	// A list of product lines (Hirschmann's "RSP RSPE RSPS RSPL MSP EES
	// EESX GRS OS RED"): any of them, as a word of the device's model or
	// the start of a model token followed by a digit (RSP35, GRS1040).
	if lines := productLines(name); len(lines) > 0 {
		for _, l := range lines {
			if slices.Contains(dt.words, l) {
				return "product line " + l, true
			}
			for _, t := range dt.strong {
				if rest, ok := strings.CutPrefix(t, l); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
					return "product line " + l + " (" + t + ")", true
				}
			}
		}
		return "", false
	}
	// No model in the name (SINEMA Remote Connect Server): every word of
	// the name must be in the device's model.
	if len(pt.words) == 0 {
		return "", false
	}
	for _, w := range pt.words {
		if !slices.Contains(dt.words, w) {
			return "", false
		}
	}
	return "name " + strings.Join(pt.words, " "), true
}

func looksLikeModel(s string) bool {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "and")), ","))
	return strings.Contains(s, "-") && hasDigit(s) && strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0
}

// versionMatches tests the device's firmware against the product's
// version rule.
func versionMatches(d *Device, p *Product) (status, rule string, ok bool) {
	rg := p.Range
	raw := strings.TrimSpace(p.VersionText)
	kind := "range"
	if p.Exact {
		kind = "version"
	}
	note := ""
	if rg.Note != "" {
		note = " (" + rg.Note + ")"
	}
	switch {
	case raw == "":
		return PossiblyAffected, "possibly affected (no version given)", true
	case !rg.Parsed:
		return PossiblyAffected, fmt.Sprintf("possibly affected (unparsed: %s)", raw), true
	case rg.All:
		return Affected, fmt.Sprintf("all versions (%s %q)", kind, raw), true
	case len(d.Firmware) == 0:
		return PossiblyAffected, fmt.Sprintf("possibly affected (firmware unknown; affected: %q)", raw), true
	}
	var unread []string
	for _, f := range d.Firmware {
		v, ok := ParseVersion(f.Version)
		if !ok {
			unread = append(unread, f.Version)
			continue
		}
		if rg.Contains(v) {
			return Affected, fmt.Sprintf("firmware %s (%s) in %s %q%s", f.Version, f.Source, kind, raw, note), true
		}
	}
	if len(unread) == len(d.Firmware) {
		return PossiblyAffected, fmt.Sprintf("possibly affected (firmware %q not comparable; affected: %q)", strings.Join(unread, ", "), raw), true
	}
	return "", "", false
}

// vendorAliases map names a vendor goes by to one key.
var vendorAliases = []struct{ sub, key string }{
	{"siemens", "siemens"}, {"rockwell", "rockwell"}, {"allen-bradley", "rockwell"}, {"allen bradley", "rockwell"},
	{"schneider", "schneider"}, {"telemecanique", "schneider"}, {"moxa", "moxa"}, {"hikvision", "hikvision"},
	{"dahua", "dahua"}, {"hirschmann", "hirschmann"}, {"belden", "hirschmann"}, {"red lion", "redlion"},
	{"n-tron", "redlion"}, {"sierra wireless", "sierrawireless"}, {"mobotix", "mobotix"},
}

// vendorKey normalizes a vendor name: a known alias, else its first
// word in lower case.
func vendorKey(s string) string {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, a := range vendorAliases {
		if strings.Contains(l, a.sub) {
			return a.key
		}
	}
	f := strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == ',' || r == '.' })
	if len(f) == 0 {
		return "\x00" // no vendor matches no vendor
	}
	return f[0]
}

// SortResults orders results by crane (assets on no crane last), asset,
// then advisory.
func SortResults(rs []Result) {
	slices.SortFunc(rs, func(a, b Result) int {
		return cmp.Or(cmp.Compare(noCrane(a.Crane), noCrane(b.Crane)), cmp.Compare(a.Crane, b.Crane), cmp.Compare(a.Asset, b.Asset), cmp.Compare(a.Advisory, b.Advisory))
	})
}

func remRank(text string) int {
	for i, c := range []string{"vendor_fix:", "mitigation:", "workaround:"} {
		if strings.HasPrefix(text, c) {
			return i
		}
	}
	return 3
}

func noCrane(c string) int {
	if c == "" {
		return 1
	}
	return 0
}

// seriesZeros is a model line written with zeros for the model digits
// (IAW5000A: IAW5150A, IAW5250A).
var seriesZeros = regexp.MustCompile(`([1-9])(000+)`)

// titleModels returns the model patterns an advisory's title gives after
// the product's name ("MOXA NPort IAW5000A-I/O Series" for "NPort":
// IAW5???A-I), none when the title does not name the product or gives no
// model after it.
func titleModels(title, name string) []string {
	name = strings.TrimSpace(name)
	if name == "" || hasDigit(name) {
		return nil
	}
	f := strings.Fields(title)
	for i := range f {
		if !strings.EqualFold(f[i], name) {
			continue
		}
		var out []string
		for _, w := range f[i+1:] {
			if !hasDigit(w) {
				break
			}
			w = seriesZeros.ReplaceAllStringFunc(w, func(m string) string {
				return m[:1] + strings.Repeat("?", len(m)-1)
			})
			for _, t := range productTokens(w).strong {
				out = appendNew(out, t)
			}
		}
		return out
	}
	return nil
}

// productLine is a product line's name in a list of them: an upper-case
// acronym.
var productLine = regexp.MustCompile(`^[A-Z]{2,6}$`)

// productLines reads a product name that is a list of product lines
// (three or more upper-case acronyms and nothing else); nil otherwise.
func productLines(name string) []string {
	f := strings.Fields(name)
	if len(f) < 3 {
		return nil
	}
	var out []string
	for _, w := range f {
		if !productLine.MatchString(w) {
			return nil
		}
		out = appendNew(out, w)
	}
	return out
}

// hardwareRule reads "hardware version 4.0 and below" (or "… 5.0") in a
// product's name: the version and whether lower ones are meant.
var hardwareRule = regexp.MustCompile(`(?i)hardware version\s+(\d+(?:\.\d+)?)(\s+and\s+(?:below|lower|earlier))?`)

// hardwareMatches applies a product's hardware version rule, when its
// name has one: a device whose hardware version is known must satisfy it;
// one whose hardware version is unknown is possibly affected.
func hardwareMatches(d *Device, p *Product, status, rule string) (string, string, bool) {
	name := p.FullName + " " + p.Name
	m := hardwareRule.FindStringSubmatch(name)
	if m == nil {
		return status, rule, true
	}
	want, ok := ParseVersion(m[1])
	if !ok {
		return status, rule, true
	}
	cond := "hardware version " + m[1]
	if m[2] != "" {
		cond += " and below"
	}
	if len(d.Hardware) == 0 {
		return PossiblyAffected, rule + "; possibly affected (hardware version unknown; affected: " + cond + ")", true
	}
	for _, h := range d.Hardware {
		v, ok := ParseVersion(h)
		if !ok {
			continue
		}
		c := v.Compare(want)
		if c == 0 || (m[2] != "" && c < 0) {
			return status, rule + "; hardware " + h + " in " + cond, true
		}
	}
	return "", "", false
}
