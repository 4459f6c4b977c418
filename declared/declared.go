package declared

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"harborwatch/site"
)

// Asset is one device or piece of software a facility declares: a row of
// a maintenance export, an object of a JSON list or a component of a BOM.
// Text fields are trimmed of surrounding space; an empty field was not
// given.
type Asset struct {
	ID, Name string
	IPs      []netip.Addr // host addresses, unmapped, without zone
	MACs     []site.MAC   // device hardware addresses
	Kind     string       // free text: plc, drive, camera, switch, …
	Vendor   string
	Model    string
	Supplier string
	Origin   string // ISO 3166-1 alpha-2 country code, upper case
	Crane    string // id of the crane the asset belongs to
	Zone     string // id of a zone of the site, as the file names it
	Serial   string
	Firmware string
	Notes    string

	Criticality site.Criticality // core-control, non-critical, support, or empty

	// Source is where the asset was declared: "file.csv:12" for a CSV row,
	// "file.json:12:5" for the opening brace of a JSON object or a BOM
	// component, "file.xml:12:5" for the start tag of an XML component.
	Source string

	// From a BOM: how the component was described there. Empty for CSV
	// and JSON lists.
	BOMRef       string
	Type         string // component type: device, firmware, operating-system, application, …
	Version      string
	Manufacturer string // the component's manufacturer (CycloneDX 1.6) only
	Publisher    string
	Group        string
	PURL         string
	CPE          string
	Description  string
	Parent       string // ID of the containing component, or of the crane for top-level components
	Hostname     string // a hostname property
	VLAN         string // a vlan property: an 802.1Q id, 1 to 4094, in decimal
}

// Crane is a crane (or other equipment group) declared in a JSON list or
// as the subject of a BOM.
type Crane struct {
	ID, Name     string
	Manufacturer string
	Model        string
	Supplier     string
	Origin       string // ISO 3166-1 alpha-2 country code, upper case
	Source       string // "file:line:col" of its object or component
}

// Problem is one thing wrong with an input file, at a 1-based line and
// column (in characters). Col is 0 when only the line is known; Line is 0
// only when the file could not be read at all.
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

// Error formats p as "file:line:col: msg", leaving out the parts not known.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Col))
		}
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// Result is what a reader got from one file. Assets and Cranes are in file
// order; Problems and Notices are sorted by position.
type Result struct {
	Assets []Asset
	Cranes []Crane
	// Problems are errors in the input: each names a row, record,
	// component or value that was skipped (the messages say which).
	Problems []Problem
	// Notices are things read past without loss of a declared fact
	// (columns, keys and properties harborwatch does not know), so that
	// nothing is ignored silently.
	Notices []Problem
}

// Limits on hostile or mistaken input.
const (
	// maxFileSize bounds what a reader accepts. Asset lists and BOMs of a
	// facility are kilobytes to a few megabytes.
	maxFileSize = 16 << 20
	// maxRecords bounds the rows, objects or components read from a file.
	maxRecords = 100_000
	// maxValues bounds the addresses (or MACs) of one asset.
	maxValues = 64
	// maxDepth bounds the nesting of JSON values, XML elements and BOM
	// components.
	maxDepth = 64
	// maxComponentDepth bounds the nesting of BOM components.
	maxComponentDepth = 16
	// maxText bounds one text field; longer values are an error.
	maxText = 4096
	// maxProblems bounds the problems (and the notices) reported for one
	// file; reading goes on past it.
	maxProblems = 1000
)

// ReadFile reads the file at path by its name: .csv is a CSV list, .xml a
// CycloneDX XML BOM, .json a CycloneDX BOM when its top-level object has
// "bomFormat", else a JSON list (.cdx.json and .bom.json always a BOM).
// Any other name is judged by content: '<' first is XML, '{' or '[' is
// JSON, anything else CSV. Problem.File is path.
func ReadFile(path string) Result {
	f, err := os.Open(path)
	if err != nil {
		return Result{Problems: []Problem{{File: path, Msg: err.Error()}}}
	}
	defer f.Close()
	data, p := readAll(path, f)
	if p != nil {
		return Result{Problems: []Problem{*p}}
	}
	name := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(name, ".csv"):
		return readCSV(path, data)
	case strings.HasSuffix(name, ".xml"), strings.HasSuffix(name, ".cdx.json"), strings.HasSuffix(name, ".bom.json"):
		return readCycloneDX(path, data)
	case strings.HasSuffix(name, ".json"):
		return readJSONOrBOM(path, data)
	}
	switch firstByte(data) {
	case '<':
		return readCycloneDX(path, data)
	case '{', '[':
		return readJSONOrBOM(path, data)
	}
	return readCSV(path, data)
}

// readAll reads r whole, up to maxFileSize.
func readAll(name string, r io.Reader) ([]byte, *Problem) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, &Problem{File: name, Msg: "read: " + err.Error()}
	}
	if len(data) > maxFileSize {
		return nil, &Problem{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("file is larger than %d MiB", maxFileSize>>20)}
	}
	return data, nil
}

// utf8BOM is the byte-order mark some tools write at the start of UTF-8 text.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// firstByte returns the first byte of data that is not white space or part
// of a UTF-8 byte-order mark, or 0.
func firstByte(data []byte) byte {
	data = bytes.TrimPrefix(data, utf8BOM)
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// text turns byte offsets of one input into lines and columns.
type text struct {
	data []byte
	nl   []int // offsets of every '\n'
}

func newText(data []byte) *text {
	t := &text{data: data}
	for i, c := range data {
		if c == '\n' {
			t.nl = append(t.nl, i)
		}
	}
	return t
}

// pos returns the 1-based line and column (in characters) of offset off,
// clamped to the data.
func (t *text) pos(off int) (line, col int) {
	off = max(0, min(off, len(t.data)))
	i := sort.SearchInts(t.nl, off) // newlines before off
	start := 0
	if i > 0 {
		start = t.nl[i-1] + 1
	}
	return i + 1, utf8.RuneCount(t.data[start:off]) + 1
}

// lineStart returns the offset of the first byte of 1-based line n.
func (t *text) lineStart(n int) int {
	if n <= 1 || len(t.nl) == 0 {
		return 0
	}
	if n-2 >= len(t.nl) {
		return len(t.data)
	}
	return t.nl[n-2] + 1
}

// collector gathers what a reader finds in one file.
type collector struct {
	file string
	t    *text
	res  Result

	ids   map[string]string // asset id → where first declared
	crane map[string]string // crane id → where first declared
	ips   map[netip.Addr]string
	macs  map[site.MAC]string
}

func newCollector(file string, data []byte) *collector {
	return &collector{
		file: file, t: newText(data),
		ids: map[string]string{}, crane: map[string]string{},
		ips: map[netip.Addr]string{}, macs: map[site.MAC]string{},
	}
}

// at returns a problem at byte offset off.
func (c *collector) at(off int, format string, args ...any) Problem {
	line, col := c.t.pos(off)
	return Problem{File: c.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (c *collector) problem(p Problem) { c.res.Problems = addProblem(c.res.Problems, p) }
func (c *collector) notice(p Problem)  { c.res.Notices = addProblem(c.res.Notices, p) }

// addProblem appends p to ps, up to maxProblems; the one past the bound
// says that more are not reported.
func addProblem(ps []Problem, p Problem) []Problem {
	switch {
	case len(ps) < maxProblems:
		return append(ps, p)
	case len(ps) == maxProblems:
		p.Msg = fmt.Sprintf("more than %d problems: the rest are not reported", maxProblems)
		return append(ps, p)
	}
	return ps
}

// where formats a position for Source and "first at" references.
func (c *collector) where(off int, withCol bool) string {
	line, col := c.t.pos(off)
	if withCol {
		return fmt.Sprintf("%s:%d:%d", c.file, line, col)
	}
	return fmt.Sprintf("%s:%d", c.file, line)
}

// result sorts the problems and notices and returns what was collected.
func (c *collector) result() Result {
	sortProblems(c.res.Problems)
	sortProblems(c.res.Notices)
	return c.res
}

func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
}

// firstAt turns a "file:line[:col]" source of the same file into "line:col"
// or "line N" for messages.
func (c *collector) firstAt(src string) string {
	pos := strings.TrimPrefix(src, c.file+":")
	if !strings.Contains(pos, ":") {
		return "line " + pos
	}
	return pos
}

// claimID records that the asset declared at src uses id. It returns why
// it may not (another asset has it), or "".
func (c *collector) claimID(id, src string) string {
	if first, dup := c.ids[id]; dup {
		return fmt.Sprintf("duplicate id %q (first at %s)", clip(id), c.firstAt(first))
	}
	c.ids[id] = src
	return ""
}

// conflicts checks the addresses and MACs of an asset against those already
// claimed by other assets; it returns a message for each conflict.
func (c *collector) conflicts(a *Asset) []string {
	var why []string
	for _, ip := range a.IPs {
		if first, dup := c.ips[ip]; dup {
			why = append(why, fmt.Sprintf("address %s is already used by %s", ip, first))
		}
	}
	for _, m := range a.MACs {
		if first, dup := c.macs[m]; dup {
			why = append(why, fmt.Sprintf("mac %s is already used by %s", m, first))
		}
	}
	return why
}

// own records the addresses and MACs of a kept asset.
func (c *collector) own(a *Asset, src string) {
	who := fmt.Sprintf("%q (%s)", clip(a.ID), c.firstAt(src))
	for _, ip := range a.IPs {
		c.ips[ip] = who
	}
	for _, m := range a.MACs {
		c.macs[m] = who
	}
}

// splitValues splits a field holding several addresses separated by ';',
// ',' or white space.
func splitValues(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

var criticalities = []site.Criticality{site.CriticalityCoreControl, site.CriticalityNonCritical, site.CriticalitySupport}

// parseCriticality accepts the site.yaml values in any case.
func parseCriticality(s string) (site.Criticality, string) {
	for _, c := range criticalities {
		if strings.EqualFold(s, string(c)) {
			return c, ""
		}
	}
	return "", fmt.Sprintf("unknown value %q (valid: core-control, non-critical, support)", clip(s))
}

// parseOrigin checks an ISO 3166-1 alpha-2 code, in any case, and returns
// it in upper case.
func parseOrigin(s string) (string, string) {
	u := strings.ToUpper(s)
	if len(u) == 2 && 'A' <= u[0] && u[0] <= 'Z' && 'A' <= u[1] && u[1] <= 'Z' && strings.Contains(countries, u+" ") {
		return u, ""
	}
	if u == "UK" {
		return "", `"UK" is not an ISO 3166 country code (the United Kingdom is GB)`
	}
	return "", fmt.Sprintf("%q is not a two-letter ISO 3166 country code such as CN", clip(s))
}

// countries are the assigned ISO 3166-1 alpha-2 codes, and XK (Kosovo,
// user-assigned but in common use), each followed by a space.
const countries = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW "

// checkText rejects text no inventory field should hold: over maxText
// bytes, not UTF-8, or with control characters other than tab and newline.
func checkText(s string) string {
	switch {
	case len(s) > maxText:
		return fmt.Sprintf("longer than %d bytes", maxText)
	case !utf8.ValidString(s):
		return "not valid UTF-8 text"
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return fmt.Sprintf("control character %U", r)
		}
	}
	return ""
}

// checkID rejects ids that are empty or hold line breaks, besides what
// checkText rejects.
func checkID(s string) string {
	if s == "" {
		return "empty id"
	}
	if len(s) > 256 {
		return "id longer than 256 bytes"
	}
	if strings.ContainsAny(s, "\r\n\t") {
		return "id holds a tab or line break"
	}
	return checkText(s)
}

// clip shortens s for quoting in a message.
func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
