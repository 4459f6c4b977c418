package declared

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"harborwatch/site"
)

// Columns are the fields of an asset list, in the order WriteCSV writes
// them (docs/formats/inventory-csv.md).
var Columns = []string{
	"id", "name", "ip", "mac", "kind", "vendor", "model", "supplier", "origin",
	"crane", "zone", "criticality", "serial", "firmware", "notes",
}

// aliases maps other names maintenance systems give a column, normalised
// (see normalizeKey), to the column.
var aliases = map[string]string{
	"asset_id": "id", "assetid": "id", "tag": "id", "asset_tag": "id",
	"hostname": "name", "host_name": "name", "asset_name": "name", "device_name": "name",
	"ip_address": "ip", "ip_addresses": "ip", "ip_addr": "ip", "ips": "ip", "ipv4": "ip",
	"mac_address": "mac", "mac_addresses": "mac", "mac_addr": "mac", "macs": "mac",
	"device_type": "kind", "type": "kind", "asset_type": "kind",
	"manufacturer": "vendor", "make": "vendor",
	"model_number":      "model",
	"country_of_origin": "origin", "origin_country": "origin",
	"crane_id":      "crane",
	"network_zone":  "zone",
	"serial_number": "serial", "serial_no": "serial",
	"firmware_version": "firmware", "fw_version": "firmware",
	"comment": "notes", "comments": "notes", "description": "notes",
}

// normalizeKey lower-cases a column name or JSON key and writes spaces
// and hyphens as underscores: "Asset ID" → "asset_id".
func normalizeKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// column returns the column a header name or JSON key stands for, or "".
func column(key string) string {
	k := normalizeKey(key)
	for _, c := range Columns {
		if c == k {
			return c
		}
	}
	return aliases[k]
}

// ReadCSV reads an asset list in CSV (docs/formats/inventory-csv.md). The
// first line that is not blank or a # comment is the header. Each row with
// a problem is reported and skipped; every other row is an Asset.
func ReadCSV(name string, r io.Reader) Result {
	data, p := readAll(name, r)
	if p != nil {
		return Result{Problems: []Problem{*p}}
	}
	return readCSV(name, data)
}

func readCSV(name string, data []byte) Result {
	data = bytes.TrimPrefix(data, utf8BOM)
	c := newCollector(name, data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffComma(data)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1

	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			c.problem(c.at(0, "empty file: no header line"))
		} else {
			c.problem(c.csvError(err))
		}
		return c.result()
	}
	cols := c.header(cr, header)
	if cols == nil {
		return c.result()
	}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.problem(c.csvError(err))
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue // the reader goes on at the next line
			}
			break
		}
		if n >= maxRecords {
			line, _ := cr.FieldPos(0)
			c.problem(c.at(c.t.lineStart(line), "more than %d rows: the rest of the file is not read", maxRecords))
			break
		}
		c.row(cr, cols, rec)
	}
	return c.result()
}

// sniffComma picks the delimiter of the header line: the most frequent of
// ',', ';' and tab outside double quotes; ',' on a tie.
func sniffComma(data []byte) rune {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		var n [3]int
		quoted := false
		for _, b := range line {
			switch {
			case b == '"':
				quoted = !quoted
			case quoted:
			case b == ',':
				n[0]++
			case b == ';':
				n[1]++
			case b == '\t':
				n[2]++
			}
		}
		switch {
		case n[1] > n[0] && n[1] >= n[2]:
			return ';'
		case n[2] > n[0] && n[2] > n[1]:
			return '\t'
		}
		return ','
	}
	return ','
}

// csvError turns an error of the CSV reader into a problem at its line and
// column.
func (c *collector) csvError(err error) Problem {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return c.at(0, "read: %v", err)
	}
	off := c.t.lineStart(pe.Line) + max(pe.Column-1, 0)
	p := c.at(off, "csv syntax error: %v", pe.Err)
	if pe.StartLine != pe.Line && pe.StartLine > 0 {
		p.Msg += fmt.Sprintf(" (in the row starting at line %d)", pe.StartLine)
	}
	return p
}

// fieldOffset returns the byte offset of field i of the last row read.
func (c *collector) fieldOffset(cr *csv.Reader, i int) int {
	line, col := cr.FieldPos(i)
	return c.t.lineStart(line) + max(col-1, 0)
}

// header maps the columns of the header to asset fields: cols[i] is the
// field of column i, "" for a column not read. It returns nil when there
// is no id column.
func (c *collector) header(cr *csv.Reader, header []string) []string {
	cols := make([]string, len(header))
	first := map[string]int{}
	for i, h := range header {
		off := c.fieldOffset(cr, i)
		h = strings.TrimSpace(h)
		col := column(h)
		switch {
		case h == "":
			c.notice(c.at(off, "column %d has no name: its values are ignored", i+1))
		case col == "":
			c.notice(c.at(off, "unknown column %q: its values are ignored", clip(h)))
		default:
			if j, dup := first[col]; dup {
				c.problem(c.at(off, "column %q is a second %s column (the first is column %d %q): its values are not read",
					clip(h), col, j+1, clip(strings.TrimSpace(header[j]))))
				continue
			}
			first[col] = i
			cols[i] = col
		}
	}
	if _, ok := first["id"]; !ok {
		c.problem(c.at(c.fieldOffset(cr, 0), "the header has no id column (id, asset_id, asset id or tag): no row is read"))
		return nil
	}
	return cols
}

// row reads one data row into an asset, or reports why it is skipped.
func (c *collector) row(cr *csv.Reader, cols, rec []string) {
	start := c.fieldOffset(cr, 0)
	if len(rec) != len(cols) {
		c.problem(c.at(start, "row has %d fields, the header has %d", len(rec), len(cols)))
		return
	}
	empty := true
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			empty = false
			break
		}
	}
	if empty {
		return // a row of empty cells, as spreadsheets leave
	}
	ctx := ""
	for i, col := range cols {
		if id := strings.TrimSpace(rec[i]); col == "id" && id != "" {
			ctx = fmt.Sprintf("asset %q: ", clip(id))
		}
	}
	a := Asset{Source: c.where(start, false)}
	bad := false
	for i, col := range cols {
		if col == "" {
			continue
		}
		v := strings.TrimSpace(rec[i])
		for _, why := range a.set(col, v) {
			c.problem(c.at(c.fieldOffset(cr, i), "%s%s: %s", ctx, col, why))
			bad = true
		}
	}
	if bad || a.ID == "" {
		return
	}
	if why := c.claimID(a.ID, a.Source); why != "" {
		c.problem(c.at(start, "%s%s", ctx, why))
		return
	}
	if why := c.conflicts(&a); len(why) > 0 {
		for _, w := range why {
			c.problem(c.at(start, "%s%s", ctx, w))
		}
		return
	}
	c.own(&a, a.Source)
	c.res.Assets = append(c.res.Assets, a)
}

// set stores the value v of column col in a, and returns what is wrong
// with it. ip and mac values hold one or more values separated by ';',
// ',' or spaces, added to what a holds.
func (a *Asset) set(col, v string) []string {
	if col == "id" {
		if why := checkID(v); why != "" {
			return []string{why}
		}
		a.ID = v
		return nil
	}
	if v == "" {
		return nil
	}
	if why := checkText(v); why != "" {
		return []string{why}
	}
	switch col {
	case "ip":
		return a.addIPs(splitValues(v))
	case "mac":
		return a.addMACs(splitValues(v))
	case "criticality":
		c, why := parseCriticality(v)
		if why != "" {
			return []string{why}
		}
		a.Criticality = c
	case "origin":
		o, why := parseOrigin(v)
		if why != "" {
			return []string{why}
		}
		a.Origin = o
	default:
		*a.text(col) = v
	}
	return nil
}

// text returns the string field of a named by a text column.
func (a *Asset) text(col string) *string {
	switch col {
	case "name":
		return &a.Name
	case "kind":
		return &a.Kind
	case "vendor":
		return &a.Vendor
	case "model":
		return &a.Model
	case "supplier":
		return &a.Supplier
	case "crane":
		return &a.Crane
	case "zone":
		return &a.Zone
	case "serial":
		return &a.Serial
	case "firmware":
		return &a.Firmware
	case "notes":
		return &a.Notes
	}
	panic("declared: no text column " + col) // a bug: every caller passes a column of Columns
}

// addIPs parses and adds addresses; it returns a message for each bad or
// repeated one.
func (a *Asset) addIPs(vals []string) []string {
	var why []string
	for _, s := range vals {
		ip, w := site.ParseAddr(s)
		switch {
		case w != "":
			why = append(why, fmt.Sprintf("bad address %q: %s", clip(s), w))
		case containsAddr(a.IPs, ip):
			why = append(why, fmt.Sprintf("address %s given twice", ip))
		case len(a.IPs) >= maxValues:
			return append(why, fmt.Sprintf("more than %d addresses", maxValues))
		default:
			a.IPs = append(a.IPs, ip)
		}
	}
	return why
}

// addMACs parses and adds MACs; it returns a message for each bad or
// repeated one.
func (a *Asset) addMACs(vals []string) []string {
	var why []string
	for _, s := range vals {
		m, w := site.ParseMAC(s)
		switch {
		case w != "":
			why = append(why, fmt.Sprintf("bad mac %q: %s", clip(s), w))
		case containsMAC(a.MACs, m):
			why = append(why, fmt.Sprintf("mac %s given twice", m))
		case len(a.MACs) >= maxValues:
			return append(why, fmt.Sprintf("more than %d macs", maxValues))
		default:
			a.MACs = append(a.MACs, m)
		}
	}
	return why
}

func containsAddr(s []netip.Addr, a netip.Addr) bool {
	for _, x := range s {
		if x == a {
			return true
		}
	}
	return false
}

func containsMAC(s []site.MAC, m site.MAC) bool {
	for _, x := range s {
		if x == m {
			return true
		}
	}
	return false
}

// WriteCSV writes assets as a CSV list with the header Columns, which
// ReadCSV reads back to the same assets (Source and the BOM fields, which
// the list has no column for, aside). Addresses and MACs are separated by
// ';'. Fields are quoted when they hold a comma, quote or line break, or
// start with '#' or white space.
func WriteCSV(w io.Writer, as []Asset) error {
	bw := bufio.NewWriter(w)
	for i, c := range Columns {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(c)
	}
	bw.WriteByte('\n')
	var ips, macs []string
	for _, a := range as {
		ips, macs = ips[:0], macs[:0]
		for _, ip := range a.IPs {
			ips = append(ips, ip.String())
		}
		for _, m := range a.MACs {
			macs = append(macs, m.String())
		}
		fields := [...]string{
			a.ID, a.Name, strings.Join(ips, ";"), strings.Join(macs, ";"), a.Kind, a.Vendor, a.Model,
			a.Supplier, a.Origin, a.Crane, a.Zone, string(a.Criticality), a.Serial, a.Firmware, a.Notes,
		}
		for i, f := range fields {
			if i > 0 {
				bw.WriteByte(',')
			}
			writeField(bw, f)
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func writeField(w *bufio.Writer, f string) {
	if f == "" || (!strings.ContainsAny(f, ",\"\r\n") && f[0] != '#' && f[0] != ' ' && f[0] != '\t' &&
		f[len(f)-1] != ' ' && f[len(f)-1] != '\t') {
		w.WriteString(f)
		return
	}
	w.WriteByte('"')
	w.WriteString(strings.ReplaceAll(f, `"`, `""`))
	w.WriteByte('"')
}
