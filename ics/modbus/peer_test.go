package modbus

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Peer parity with Zeek and CISA's ICSNPP Modbus parser: the baseline logs
// of modbus_example.pcap, compared PDU by PDU in order per connection.
//
// Deliberate differences:
//   - modbus.log names an exception response READ_HOLDING_REGISTERS_EXCEPTION;
//     Name keeps the function's name (as modbus_detailed.log does), Func is the
//     code without the exception bit (as tshark's modbus.func_code) and Status
//     carries the exception. The comparison adds the suffix back.
//   - modbus_detailed.log logs READ_EXCEPTION_STATUS and REPORT_SLAVE_ID as two
//     unmatched rows (matched unset); the analyzer pairs them like every other
//     function (Detail "paired"). The comparison takes such a row as one PDU.
//   - ICSNPP puts the padding bits of a coil response past the quantity in
//     response_data; Detail "values" stops at the quantity and drops them.

// zeekLog reads a Zeek ASCII log: its rows as field maps. modbus.log in the
// baseline has no header; fields names its columns then.
func zeekLog(t *testing.T, path string, fields ...string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	defer f.Close()
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(h, "\t")
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != len(fields) {
			t.Fatalf("%s: %d columns, want %d: %q", path, len(cols), len(fields), line)
		}
		row := map[string]string{}
		for i, c := range cols {
			row[fields[i]] = c
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	return rows
}

// conn names a record's or a row's connection as Zeek's id fields do.
func (r record) conn() string {
	return r.Client.Addr().String() + ":" + strconv.Itoa(int(r.Client.Port())) + ">" +
		r.Server.Addr().String() + ":" + strconv.Itoa(int(r.Server.Port()))
}

func rowConn(row map[string]string) string {
	return row["id.orig_h"] + ":" + row["id.orig_p"] + ">" + row["id.resp_h"] + ":" + row["id.resp_p"]
}

// zeekValue renders a detail value as Zeek does: counts joined by commas,
// "-" when unset.
func zeekValue(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case []int:
		if len(v) == 0 {
			return "(empty)"
		}
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ",")
	case nil:
		return "-"
	}
	return "?"
}

// values is the value list a detail holds, under whichever key the
// function uses.
func values(d map[string]any) any {
	for _, k := range []string{"values", "value", "write_values", "read_values"} {
		if v, ok := d[k]; ok {
			return v
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func TestPeerModbusLog(t *testing.T) {
	res := replay(t, "testdata/modbus_example.pcap", true)
	var got []string
	for _, r := range res.Records {
		if r.FromClient {
			continue // Zeek logs modbus.log on replies only
		}
		name := r.Name
		if r.Code&exceptionBit != 0 {
			name += "_EXCEPTION"
		}
		got = append(got, r.conn()+" "+name+" "+orDash(r.Status))
	}
	var want []string
	for _, row := range zeekLog(t, "testdata/icsnpp/modbus.log",
		"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "func", "exception") {
		want = append(want, rowConn(row)+" "+row["func"]+" "+row["exception"])
	}
	compareLines(t, got, want)
}

func compareLines(t *testing.T, got, want []string) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// TestPeerModbusDetailed compares every modbus_detailed.log row with the
// request and response (or single PDU) it stands for.
func TestPeerModbusDetailed(t *testing.T) {
	res := replay(t, "testdata/modbus_example.pcap", true)
	// Our PDUs per connection and transaction id, in order.
	queue := map[string][]record{}
	for _, r := range res.Records {
		k := r.conn() + "#" + strconv.Itoa(r.TID)
		queue[k] = append(queue[k], r)
	}
	pop := func(k string, fromClient bool) (record, bool) {
		for i, r := range queue[k] {
			if r.FromClient == fromClient {
				queue[k] = append(queue[k][:i], queue[k][i+1:]...)
				return r, true
			}
		}
		return record{}, false
	}
	checked := 0
	for i, row := range zeekLog(t, "testdata/icsnpp/modbus_detailed.log") {
		k := rowConn(row) + "#" + row["tid"]
		var rq, rs record
		var okq, oks bool
		if row["matched"] == "T" {
			rq, okq = pop(k, true)
			rs, oks = pop(k, false)
		} else if len(queue[k]) > 0 {
			// An unmatched row: the next PDU of the transaction, either way.
			if queue[k][0].FromClient {
				rq, okq = pop(k, true)
			} else {
				rs, oks = pop(k, false)
			}
		}
		if !okq && !oks {
			t.Errorf("row %d (%s): no PDU", i, k)
			continue
		}
		for _, r := range []record{rq, rs} {
			if r.Detail == nil {
				continue
			}
			if r.Name != row["func"] || strconv.Itoa(r.Unit) != row["unit"] {
				t.Errorf("row %d: %s unit %d, want %s unit %s", i, r.Name, r.Unit, row["func"], row["unit"])
			}
		}
		check := func(what, got, want string) {
			checked++
			if got != want {
				t.Errorf("row %d (%s tid %s) %s = %s, want %s", i, row["func"], row["tid"], what, got, want)
			}
		}
		if okq && row["address"] != "-" {
			check("address", strconv.Itoa(rq.Address), row["address"])
		}
		if okq && row["quantity"] != "-" {
			check("quantity", strconv.Itoa(rq.Quantity), row["quantity"])
		}
		if okq && row["request_values"] != "-" {
			check("request_values", zeekValue(values(rq.Detail)), row["request_values"])
		}
		if oks && row["response_values"] != "-" {
			check("response_values", zeekValue(values(rs.Detail)), row["response_values"])
		}
		if okq && row["request_subfunction_code"] != "-" {
			check("request_subfunction_code", rq.Detail["subfunction_name"].(string), row["request_subfunction_code"])
		}
		if oks && row["response_subfunction_code"] != "-" {
			check("response_subfunction_code", rs.Detail["subfunction_name"].(string), row["response_subfunction_code"])
		}
		if oks {
			check("exception_code", orDash(rs.Status), row["exception_code"])
		}
		if row["mei_type"] != "-" {
			for _, r := range []record{rq, rs} {
				check("mei_type", r.Detail["mei_name"].(string), row["mei_type"])
			}
		}
	}
	for k, left := range queue {
		if len(left) > 0 {
			t.Errorf("%s: %d PDUs without a row", k, len(left))
		}
	}
	if checked < 40 {
		t.Errorf("only %d fields compared", checked)
	}
	t.Logf("%d fields compared", checked)
}

// TestPeerMaskWrite and the read/write multiple registers log: each row is
// one PDU (is_orig gives the direction).
func TestPeerMaskWrite(t *testing.T) {
	res := replay(t, "testdata/modbus_example.pcap", true)
	var got, want []string
	for _, r := range res.Records {
		if r.Func == MaskWriteRegister {
			got = append(got, strings.Join([]string{r.conn(), zeekBool(r.FromClient), strconv.Itoa(r.TID),
				strconv.Itoa(r.Unit), r.Name, zeekValue(r.Detail["address"]), zeekValue(r.Detail["and_mask"]),
				zeekValue(r.Detail["or_mask"])}, " "))
		}
	}
	for _, row := range zeekLog(t, "testdata/icsnpp/modbus_mask_write_register.log") {
		want = append(want, strings.Join([]string{rowConn(row), row["is_orig"], row["tid"], row["unit"], row["func"],
			row["address"], row["and_mask"], row["or_mask"]}, " "))
	}
	compareLines(t, got, want)
}

func TestPeerReadWriteMultiple(t *testing.T) {
	res := replay(t, "testdata/modbus_example.pcap", true)
	var got, want []string
	for _, r := range res.Records {
		if r.Func != ReadWriteMultipleRegisters {
			continue
		}
		d := r.Detail
		line := []string{r.conn(), zeekBool(r.FromClient), strconv.Itoa(r.TID), strconv.Itoa(r.Unit), r.Name}
		if r.FromClient {
			line = append(line, "REQUEST", zeekValue(d["write_address"]), zeekValue(d["write_values"]),
				zeekValue(d["read_address"]), zeekValue(d["read_quantity"]), "-")
		} else {
			line = append(line, "RESPONSE", "-", "-", "-", "-", zeekValue(d["read_values"]))
		}
		got = append(got, strings.Join(line, " "))
	}
	for _, row := range zeekLog(t, "testdata/icsnpp/modbus_read_write_multiple_registers.log") {
		want = append(want, strings.Join([]string{rowConn(row), row["is_orig"], row["tid"], row["unit"], row["func"],
			row["request_response"], row["write_start_address"], row["write_registers"], row["read_start_address"],
			row["read_quantity"], row["read_registers"]}, " "))
	}
	compareLines(t, got, want)
}

func zeekBool(b bool) string {
	if b {
		return "T"
	}
	return "F"
}
