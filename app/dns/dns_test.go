package dns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// summary renders what Parse found, one line per question and answer.
func summary(m *Message) []string {
	var out []string
	for _, q := range m.Questions {
		s := fmt.Sprintf("q %q %s", q.Name, TypeString(q.Type))
		if q.Class != ClassIN {
			s += fmt.Sprintf(" class=%#x", q.Class)
		}
		out = append(out, s)
	}
	for _, a := range m.Answers {
		s := fmt.Sprintf("a %q %s %d", a.Name, TypeString(a.Type), a.TTL)
		if a.Class != ClassIN {
			s += fmt.Sprintf(" class=%#x", a.Class)
		}
		if a.Addr.IsValid() {
			s += " " + a.Addr.String()
		}
		if a.Target != nil {
			s += fmt.Sprintf(" -> %q", a.Target)
		}
		out = append(out, s)
	}
	return out
}

func header(m *Message) string {
	return fmt.Sprintf("id=%#04x qr=%t op=%d aa=%t tc=%t rd=%t ra=%t rcode=%s dropped=%d",
		m.ID, m.Response, m.Opcode, m.Authoritative, m.Truncated, m.RecursionDesired,
		m.RecursionAvailable, RCodeString(m.RCode), m.Dropped)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The queries of dig 9.18 and the answers of dnsmasq 2.90 captured on
// loopback; expected values as tshark 4.0 decodes the same frames.
func TestParseDigDnsmasq(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/dig_dnsmasq.pcap")
	const q = "op=0 aa=false tc=false rd=true ra=false rcode=NOERROR dropped=0"
	const r = "op=0 aa=true tc=false rd=true ra=true rcode=NOERROR dropped=0"
	tests := []struct {
		name   string
		frame  int
		tcp    bool
		header string
		want   []string
	}{
		{"query A", 1, false, "id=0x8221 qr=false " + q,
			[]string{`q "crane01.sts.example.org" A`}},
		{"answer A", 2, false, "id=0x8221 qr=true " + r, []string{
			`q "crane01.sts.example.org" A`,
			`a "crane01.sts.example.org" A 300 10.20.1.11`}},
		{"answer AAAA", 4, false, "id=0x065f qr=true " + r, []string{
			`q "plc.crane01.sts.example.org" AAAA`,
			`a "plc.crane01.sts.example.org" AAAA 300 fd00:20::12`}},
		{"CNAME chain", 6, false, "id=0xbad5 qr=true " + r, []string{
			`q "www.crane01.sts.example.org" A`,
			`a "www.crane01.sts.example.org" CNAME 300 -> "hmi.crane01.sts.example.org"`,
			`a "hmi.crane01.sts.example.org" CNAME 300 -> "plc.crane01.sts.example.org"`,
			`a "plc.crane01.sts.example.org" A 300 10.20.1.12`}},
		{"PTR", 8, false, "id=0xd21a qr=true " + r, []string{
			`q "12.1.20.10.in-addr.arpa" PTR`,
			`a "12.1.20.10.in-addr.arpa" PTR 300 -> "plc.crane01.sts.example.org"`}},
		{"TXT", 10, false, "id=0x5f69 qr=true " + r, []string{
			`q "crane01.sts.example.org" TXT`,
			`a "crane01.sts.example.org" TXT 300`}},
		{"SRV", 12, false, "id=0x48fd qr=true " + r, []string{
			`q "_modbus._tcp.crane01.sts.example.org" SRV`,
			`a "_modbus._tcp.crane01.sts.example.org" SRV 300 -> "plc.crane01.sts.example.org"`}},
		{"NXDOMAIN", 14, false, "id=0xeb1e qr=true op=0 aa=false tc=false rd=true ra=true rcode=NXDOMAIN dropped=0",
			[]string{`q "missing.sts.example.org" A`}},
		{"TCP query", 18, true, "id=0xf937 qr=false " + q,
			[]string{`q "www.crane01.sts.example.org" A`}},
		{"TCP CNAME chain", 20, true, "id=0xf937 qr=true " + r, []string{
			`q "www.crane01.sts.example.org" A`,
			`a "www.crane01.sts.example.org" CNAME 300 -> "hmi.crane01.sts.example.org"`,
			`a "hmi.crane01.sts.example.org" CNAME 300 -> "plc.crane01.sts.example.org"`,
			`a "plc.crane01.sts.example.org" A 300 10.20.1.12`}},
		{"MX", 26, false, "id=0x9036 qr=true " + r, []string{
			`q "sts.example.org" MX`,
			`a "sts.example.org" MX 300 -> "mail.sts.example.org"`}},
		{"supplier platform", 28, false, "id=0x5aaf qr=true " + r, []string{
			`q "gateway.logink.cn" A`,
			`a "gateway.logink.cn" A 300 203.0.113.7`}},
		{"mixed case query lower-cased", 29, false, "id=0xd032 qr=false " + q,
			[]string{`q "gateway.logink.cn" A`}},
		{"mixed case answer lower-cased", 30, false, "id=0xd032 qr=true " + r, []string{
			`q "gateway.logink.cn" A`,
			`a "gateway.logink.cn" A 300 203.0.113.7`}},
		{"TCP ANY without EDNS", 36, true, "id=0x21cd qr=true " + r, []string{
			`q "plc.crane01.sts.example.org" ANY`,
			`a "plc.crane01.sts.example.org" A 300 10.20.1.12`,
			`a "plc.crane01.sts.example.org" AAAA 300 fd00:20::12`}},
	}
	var m Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := frames[tt.frame]
			if !ok {
				t.Fatalf("frame %d missing from testdata", tt.frame)
			}
			var err error
			if tt.tcp {
				err = m.ParseTCP(b)
			} else {
				err = m.Parse(b)
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := header(&m); got != tt.header {
				t.Errorf("header\n got %s\nwant %s", got, tt.header)
			}
			if got := summary(&m); !equal(got, tt.want) {
				t.Errorf("records\n got %q\nwant %q", got, tt.want)
			}
			if tt.tcp {
				b = b[2:]
			}
			if !Probe(b) {
				t.Error("Probe = false")
			}
		})
	}
}

// Every prefix of a real message fails with ErrTruncated until the answer
// section is complete, and parses to the same result from there on (the
// authority and additional sections are not read).
func TestParseTruncatedEveryByte(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/dig_dnsmasq.pcap")
	var full, m Message
	for n, b := range frames {
		if n == 18 || n == 20 || n == 34 || n == 36 { // TCP, tested below
			continue
		}
		t.Run(fmt.Sprintf("frame %d", n), func(t *testing.T) {
			if err := full.Parse(b); err != nil {
				t.Fatal(err)
			}
			want := summary(&full)
			complete := -1
			for i := 0; i <= len(b); i++ {
				err := m.Parse(b[:i])
				switch {
				case err == nil:
					if complete < 0 {
						complete = i
					}
					if got := summary(&m); !equal(got, want) {
						t.Fatalf("prefix %d: got %q, want %q", i, got, want)
					}
				case complete >= 0:
					t.Fatalf("prefix %d: %v after prefix %d parsed", i, err, complete)
				case !errors.Is(err, ErrTruncated):
					t.Fatalf("prefix %d: %v, want ErrTruncated", i, err)
				}
			}
			// dig adds an OPT record with a cookie (11+12 octets) to its
			// queries; dnsmasq answers with an OPT record without
			// options and adds glue A and AAAA to the SRV answer.
			var extra int
			switch {
			case b[2]&0x80 == 0:
				extra = 11 + 12
			case n == 12:
				extra = 11 + (2 + 10 + 4) + (2 + 10 + 16) // compressed owners
			default:
				extra = 11
			}
			if complete != len(b)-extra {
				t.Errorf("complete at %d, want %d", complete, len(b)-extra)
			}
		})
	}
	t.Run("TCP", func(t *testing.T) {
		b := frames[20]
		for i := 0; i < len(b); i++ {
			if err := m.ParseTCP(b[:i]); !errors.Is(err, ErrTruncated) {
				t.Fatalf("prefix %d: %v, want ErrTruncated", i, err)
			}
		}
		if err := m.ParseTCP(append(b[:len(b):len(b)], 0, 12, 0xff)); err != nil {
			t.Fatalf("trailing bytes: %v", err)
		}
	})
}

// builder writes DNS messages for tests.
type builder struct{ b []byte }

func msg(id, flags uint16, qd, an, ns, ar int) *builder {
	m := &builder{}
	return m.u16(id).u16(flags).u16(uint16(qd)).u16(uint16(an)).u16(uint16(ns)).u16(uint16(ar))
}

func (m *builder) u16(v uint16) *builder { m.b = binary.BigEndian.AppendUint16(m.b, v); return m }
func (m *builder) u32(v uint32) *builder { m.b = binary.BigEndian.AppendUint32(m.b, v); return m }
func (m *builder) raw(p ...byte) *builder {
	m.b = append(m.b, p...)
	return m
}

// labels writes the labels of a dotted name without the root octet.
func (m *builder) labels(name string) *builder {
	if name == "" {
		return m
	}
	for _, l := range strings.Split(name, ".") {
		m.b = append(m.b, byte(len(l)))
		m.b = append(m.b, l...)
	}
	return m
}

// name writes an uncompressed name.
func (m *builder) name(name string) *builder { return m.labels(name).raw(0) }

func (m *builder) ptr(off int) *builder { return m.u16(0xc000 | uint16(off)) }

func (m *builder) q(name string, typ uint16) *builder { return m.name(name).u16(typ).u16(ClassIN) }

// rr writes TYPE, CLASS IN, TTL and the RDATA after an owner name.
func (m *builder) rr(typ uint16, ttl uint32, rdata ...byte) *builder {
	return m.u16(typ).u16(ClassIN).u32(ttl).u16(uint16(len(rdata))).raw(rdata...)
}

func (m *builder) off() int { return len(m.b) }

type builtCase struct {
	name    string
	b       []byte
	wantErr error
	want    []string
	dropped int
}

// builtCases are hand-built messages for TestParseBuilt and FuzzDNS.
func builtCases() []builtCase {
	const resp = 0x8180 // QR, RD, RA
	long := strings.Repeat("a", 63)
	// 3 labels of 63 and one of 61: 4*1 + 3*63 + 61 + 1 = 255 octets.
	max255 := long + "." + long + "." + long + "." + strings.Repeat("b", 61)
	return []builtCase{
		{
			name: "compression into the middle of a name",
			b: func() []byte {
				m := msg(1, resp, 1, 2, 0, 0).labels("spreader").labels("crane01").name("sts.local").u16(TypeA).u16(ClassIN)
				m.ptr(12).rr(TypeA, 60, 10, 0, 0, 1)
				// "hmi" + pointer to "crane01.sts.local" (offset 12+9).
				m.labels("hmi").ptr(21).rr(TypeCNAME, 60, 0xc0, 12)
				return m.b
			}(),
			want: []string{
				`q "spreader.crane01.sts.local" A`,
				`a "spreader.crane01.sts.local" A 60 10.0.0.1`,
				`a "hmi.crane01.sts.local" CNAME 60 -> "spreader.crane01.sts.local"`,
			},
		},
		{
			name: "pointer to pointer",
			b: func() []byte {
				m := msg(1, resp, 1, 2, 0, 0).q("plc.local", TypeA)
				a := m.off()
				m.ptr(12).rr(TypeA, 1, 10, 0, 0, 2)
				m.ptr(a).rr(TypeA, 2, 10, 0, 0, 3)
				return m.b
			}(),
			want: []string{
				`q "plc.local" A`,
				`a "plc.local" A 1 10.0.0.2`,
				`a "plc.local" A 2 10.0.0.3`,
			},
		},
		{
			name: "root name",
			b:    msg(7, 0, 1, 0, 0, 0).q("", TypeNS).b,
			want: []string{`q "" NS`},
		},
		{
			name: "name of 255 octets",
			b:    msg(7, 0, 1, 0, 0, 0).q(max255, TypeA).b,
			want: []string{`q "` + max255 + `" A`},
		},
		{
			name:    "name of 256 octets",
			b:       msg(7, 0, 1, 0, 0, 0).q(max255+"b", TypeA).b,
			wantErr: ErrNameLength,
		},
		{
			name: "name over 255 octets through a pointer",
			b: func() []byte {
				m := msg(7, resp, 1, 1, 0, 0).q(max255, TypeA)
				m.labels("x").ptr(12).rr(TypeA, 1, 1, 2, 3, 4)
				return m.b
			}(),
			wantErr: ErrNameLength,
		},
		{
			name:    "64-octet label",
			b:       msg(7, 0, 1, 0, 0, 0).q(long+"x", TypeA).b,
			wantErr: ErrLabel,
		},
		{
			name:    "reserved label type 10",
			b:       msg(7, 0, 1, 0, 0, 0).raw(0x80, 0).u16(1).u16(1).b,
			wantErr: ErrLabel,
		},
		{
			name:    "pointer to itself",
			b:       msg(7, 0, 1, 0, 0, 0).ptr(12).u16(1).u16(1).b,
			wantErr: ErrPointer,
		},
		{
			name:    "pointer forward",
			b:       msg(7, 0, 1, 0, 0, 0).ptr(14).name("a").u16(1).u16(1).b,
			wantErr: ErrPointer,
		},
		{
			name:    "pointer into the header",
			b:       msg(7, 0, 1, 0, 0, 0).ptr(4).u16(1).u16(1).b,
			wantErr: ErrPointer,
		},
		{
			name: "pointer loop through a label",
			// At 12: label "ab", then a pointer back to 12.
			b:       msg(7, 0, 1, 0, 0, 0).labels("ab").ptr(12).u16(1).u16(1).b,
			wantErr: ErrPointer,
		},
		{
			name: "pointer loop between two names",
			b: func() []byte {
				// Name 1 at 12: "a" + pointer to 19; name 2 at 19 would
				// point back to 12: a forward pointer, rejected.
				m := msg(7, resp, 1, 1, 0, 0).labels("a").ptr(20).u16(1).u16(1)
				m.labels("b").ptr(12).rr(TypeA, 1, 1, 2, 3, 4)
				return m.b
			}(),
			wantErr: ErrPointer,
		},
		{
			name: "pointer loop backwards inside a label",
			// The question name at 12 is one label of 4 octets that
			// reads, from 13, as label "q" and a pointer to 13. The
			// answer points to 13: each pointer points before itself,
			// but the second does not point before the labels it ends.
			b: func() []byte {
				m := msg(7, resp, 1, 1, 0, 0).raw(4, 1, 'q', 0xc0, 13, 0).u16(TypeA).u16(ClassIN)
				m.ptr(13).rr(TypeA, 1, 1, 2, 3, 4)
				return m.b
			}(),
			wantErr: ErrPointer,
		},
		{
			name:    "pointer cut",
			b:       msg(7, 0, 1, 0, 0, 0).raw(0xc0).b,
			wantErr: ErrTruncated,
		},
		{
			name: "hostile bytes escaped",
			b: msg(7, 0, 1, 0, 0, 0).raw(5, 'a', '.', '\\', 0x1b, 0xff, 4, 'H', 'M', ' ', 'I', 0).
				u16(TypeA).u16(ClassIN).b,
			want: []string{`q "a\\.\\\\\\027\\255.hm\\032i" A`},
		},
		{
			name: "mDNS cache flush and unicast response bits",
			b: func() []byte {
				m := msg(0, 0x8400, 1, 1, 0, 0).name("crane-hmi.local").u16(TypeA).u16(0x8001)
				m.ptr(12).u16(TypeA).u16(0x8001).u32(120).u16(4).raw(192, 168, 7, 20)
				return m.b
			}(),
			want: []string{
				`q "crane-hmi.local" A class=0x8001`,
				`a "crane-hmi.local" A 120 class=0x8001 192.168.7.20`,
			},
		},
		{
			name: "A of class CH has no address",
			b: func() []byte {
				m := msg(7, resp, 0, 1, 0, 0).name("x")
				m.u16(TypeA).u16(3).u32(0).u16(2).raw(0xc0, 12)
				return m.b
			}(),
			want: []string{`a "x" A 0 class=0x3`},
		},
		{
			name:    "A with 5 octets",
			b:       msg(7, resp, 0, 1, 0, 0).name("x").rr(TypeA, 1, 1, 2, 3, 4, 5).b,
			wantErr: ErrRData,
		},
		{
			name:    "AAAA with 4 octets",
			b:       msg(7, resp, 0, 1, 0, 0).name("x").rr(TypeAAAA, 1, 1, 2, 3, 4).b,
			wantErr: ErrRData,
		},
		{
			name:    "CNAME target runs past RDATA",
			b:       msg(7, resp, 0, 1, 0, 0).name("x").rr(TypeCNAME, 1, 1, 'y').raw(0).b,
			wantErr: ErrRData,
		},
		{
			name:    "CNAME target shorter than RDATA",
			b:       msg(7, resp, 0, 1, 0, 0).name("x").rr(TypeCNAME, 1, 1, 'y', 0, 0).b,
			wantErr: ErrRData,
		},
		{
			name:    "MX without exchange",
			b:       msg(7, resp, 0, 1, 0, 0).name("x").rr(TypeMX, 1, 0, 10).b,
			wantErr: ErrRData,
		},
		{
			name:    "RDATA past the end",
			b:       msg(7, resp, 0, 1, 0, 0).name("x").u16(TypeTXT).u16(1).u32(0).u16(9).raw(1, 'a').b,
			wantErr: ErrTruncated,
		},
		{
			name:    "more questions than bytes",
			b:       msg(7, 0, 3, 0, 0, 0).q("a", TypeA).b,
			wantErr: ErrTruncated,
		},
		{
			name: "unknown type kept without data",
			b:    msg(7, resp, 0, 1, 0, 0).name("x").rr(4660, 5, 1, 2, 3).b,
			want: []string{`a "x" TYPE4660 5`},
		},
		{
			name: "authority and additional not read",
			b:    msg(7, resp, 1, 0, 1, 1).q("x", TypeA).raw(0xff, 0xff, 0xff).b,
			want: []string{`q "x" A`},
		},
		{
			name: "questions beyond capacity counted",
			b: func() []byte {
				m := msg(7, 0, MaxQuestions+2, 0, 0, 0)
				for i := range MaxQuestions + 2 {
					m.q(fmt.Sprintf("q%d", i), TypeA)
				}
				return m.b
			}(),
			want: func() []string {
				var w []string
				for i := range MaxQuestions {
					w = append(w, fmt.Sprintf(`q "q%d" A`, i))
				}
				return w
			}(),
			dropped: 2,
		},
		{
			name: "answers beyond capacity counted",
			b: func() []byte {
				m := msg(7, resp, 1, MaxAnswers+3, 0, 0).q("plc", TypeA)
				for i := range MaxAnswers + 3 {
					m.ptr(12).rr(TypeA, uint32(i), 10, 0, 0, byte(i))
				}
				return m.b
			}(),
			want: func() []string {
				w := []string{`q "plc" A`}
				for i := range MaxAnswers {
					w = append(w, fmt.Sprintf(`a "plc" A %d 10.0.0.%d`, i, i))
				}
				return w
			}(),
			dropped: 3,
		},
		{
			name: "name arena full",
			b: func() []byte {
				// Each name is 255 octets that escape to 4 characters
				// each (~1000 octets): the arena holds 4 of them. The
				// fifth question is dropped, and so is the answer
				// naming it; the answer pointing to the first stays.
				hostile := strings.Repeat("\x01", 63)
				hostile = strings.Join([]string{hostile, hostile, hostile, hostile[:61]}, ".")
				m := msg(7, resp, 5, 2, 0, 0)
				offs := make([]int, 5)
				for i := range offs {
					offs[i] = m.off()
					m.q(hostile, TypeA)
				}
				m.ptr(offs[4]).rr(TypeA, 1, 10, 0, 0, 4)
				m.ptr(offs[0]).rr(TypeA, 1, 10, 0, 0, 9)
				return m.b
			}(),
			want: func() []string {
				l := strings.Repeat(`\\001`, 63)
				n := strings.Join([]string{l, l, l, strings.Repeat(`\\001`, 61)}, ".")
				q := `q "` + n + `" A`
				return []string{q, q, q, q, `a "` + n + `" A 1 10.0.0.9`}
			}(),
			dropped: 2,
		},
	}
}

func TestParseBuilt(t *testing.T) {
	var m Message
	for _, tt := range builtCases() {
		t.Run(tt.name, func(t *testing.T) {
			err := m.Parse(tt.b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if got := summary(&m); !equal(got, tt.want) {
				t.Errorf("records\n got %q\nwant %q", got, tt.want)
			}
			if m.Dropped != tt.dropped {
				t.Errorf("Dropped = %d, want %d", m.Dropped, tt.dropped)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated reply", msg(0x1234, 0x8383, 0, 0, 0, 0).b,
			"id=0x1234 qr=true op=0 aa=false tc=true rd=true ra=true rcode=NXDOMAIN dropped=0"},
		{"notify", msg(0xffff, 0x2400, 0, 0, 0, 0).b,
			"id=0xffff qr=false op=4 aa=true tc=false rd=false ra=false rcode=NOERROR dropped=0"},
		{"update refused", msg(1, 0xa805, 0, 0, 0, 0).b,
			"id=0x0001 qr=true op=5 aa=false tc=false rd=false ra=false rcode=REFUSED dropped=0"},
	}
	var m Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Parse(tt.b); err != nil {
				t.Fatal(err)
			}
			if got := header(&m); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseTCPLength(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"one octet", []byte{0}, ErrTruncated},
		{"zero length", []byte{0, 0, 1, 2}, ErrLength},
		{"shorter than a header", []byte{0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrLength},
		{"longer than the segment", append([]byte{0, 13}, msg(1, 0, 0, 0, 0, 0).b...), ErrTruncated},
		{"exact", append([]byte{0, 12}, msg(1, 0, 0, 0, 0, 0).b...), nil},
	}
	var m Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.ParseTCP(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("ParseTCP = %v, want %v", err, tt.want)
			}
		})
	}
}

// A Message reused for a second, smaller message keeps nothing of the
// first.
func TestParseReuse(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/dig_dnsmasq.pcap")
	var m Message
	if err := m.Parse(frames[6]); err != nil {
		t.Fatal(err)
	}
	if err := m.Parse(msg(9, 0x8000, 0, 0, 0, 0).b); err != nil {
		t.Fatal(err)
	}
	if got := header(&m); got != "id=0x0009 qr=true op=0 aa=false tc=false rd=false ra=false rcode=NOERROR dropped=0" {
		t.Errorf("header after reuse: %s", got)
	}
	if len(m.Questions) != 0 || len(m.Answers) != 0 {
		t.Errorf("sections after reuse: %q", summary(&m))
	}
	if err := m.Parse(frames[6][:40]); err == nil {
		t.Fatal("cut message parsed")
	}
	if err := m.Parse(frames[2]); err != nil {
		t.Fatal(err)
	}
	if got := summary(&m); !equal(got, []string{`q "crane01.sts.example.org" A`, `a "crane01.sts.example.org" A 300 10.20.1.11`}) {
		t.Errorf("after an error: %q", got)
	}
}

func TestProbe(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/dig_dnsmasq.pcap")
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"dig query", frames[1], true},
		{"dnsmasq CNAME answer", frames[6], true},
		{"NXDOMAIN", frames[14], true},
		{"mDNS announcement", msg(0, 0x8400, 0, 1, 0, 0).name("x.local").rr(TypeA, 120, 1, 2, 3, 4).b, true},
		{"short", frames[1][:11], false},
		{"no records", msg(1, 0x0100, 0, 0, 0, 0).b, false},
		{"counts exceed the bytes", msg(1, 0x0100, 1, 0, 0, 1).raw(0, 0, 1, 0, 1).b, false},
		{"query with rcode", msg(1, 0x0103, 1, 0, 0, 0).q("a", 1).b, false},
		{"Z bit", msg(1, 0x0140, 1, 0, 0, 0).q("a", 1).b, false},
		{"opcode 3", msg(1, 0x1800, 1, 0, 0, 0).q("a", 1).b, false},
		{"HTTP request", []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), false},
		{"TLS ClientHello", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x1c, 0x23}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Probe(tt.b); got != tt.want {
				t.Errorf("Probe = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    uint16
		want string
	}{
		{TypeA, "A"}, {TypeNS, "NS"}, {TypeCNAME, "CNAME"}, {TypeSOA, "SOA"},
		{TypePTR, "PTR"}, {TypeHINFO, "HINFO"}, {TypeMX, "MX"}, {TypeTXT, "TXT"},
		{TypeAAAA, "AAAA"}, {TypeSRV, "SRV"}, {TypeNAPTR, "NAPTR"}, {TypeDNAME, "DNAME"},
		{TypeOPT, "OPT"}, {TypeDS, "DS"}, {TypeRRSIG, "RRSIG"}, {TypeNSEC, "NSEC"},
		{TypeDNSKEY, "DNSKEY"}, {TypeNSEC3, "NSEC3"}, {TypeTLSA, "TLSA"},
		{TypeSVCB, "SVCB"}, {TypeHTTPS, "HTTPS"}, {TypeIXFR, "IXFR"},
		{TypeAXFR, "AXFR"}, {TypeANY, "ANY"}, {TypeCAA, "CAA"},
		{0, "TYPE0"}, {123, "TYPE123"}, {65535, "TYPE65535"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := TypeString(tt.t); got != tt.want {
				t.Errorf("TypeString(%d) = %q", tt.t, got)
			}
		})
	}
}

func TestRCodeString(t *testing.T) {
	tests := []struct {
		rc   uint8
		want string
	}{
		{0, "NOERROR"}, {1, "FORMERR"}, {2, "SERVFAIL"}, {3, "NXDOMAIN"},
		{4, "NOTIMP"}, {5, "REFUSED"}, {9, "RCODE9"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := RCodeString(tt.rc); got != tt.want {
				t.Errorf("RCodeString(%d) = %q", tt.rc, got)
			}
		})
	}
}

func TestAllocs(t *testing.T) {
	frames := testutil.PayloadsByNumber(t, "testdata/dig_dnsmasq.pcap")
	var m Message
	tests := []struct {
		name string
		f    func()
	}{
		{"Parse query", func() { _ = m.Parse(frames[1]) }},
		{"Parse CNAME chain", func() { _ = m.Parse(frames[6]) }},
		{"Parse SRV", func() { _ = m.Parse(frames[12]) }},
		{"ParseTCP", func() { _ = m.ParseTCP(frames[20]) }},
		{"Parse error", func() { _ = m.Parse(frames[6][:50]) }},
		{"Probe", func() { _ = Probe(frames[6]) }},
		{"TypeString known", func() { _ = TypeString(TypeAAAA) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocs per run, want 0", n)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	frames := testutil.PayloadsByNumber(b, "testdata/dig_dnsmasq.pcap")
	for _, bb := range []struct {
		name  string
		frame int
	}{{"query", 1}, {"A", 2}, {"CNAME_chain", 6}, {"SRV_glue", 12}} {
		b.Run(bb.name, func(b *testing.B) {
			var m Message
			p := frames[bb.frame]
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				if err := m.Parse(p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
