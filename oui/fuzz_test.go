package oui

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary tables to parse (and, gzip-wrapped or not, to
// Load): a corrupt table gives an ErrFormat error, never a panic, and a
// table that parses keeps the invariants Lookup relies on. Seeds: the
// test tables, the head of the embedded table and the broken tables of
// TestParseErrors.
func FuzzParse(f *testing.F) {
	nested := readFile(f, "testdata/nested.txt")
	f.Add(nested)
	f.Add(gz(f, nested))
	// The embedded table's first lines of each registry, closed by an end
	// line.
	text, err := gunzip(bytes.NewReader(ieee))
	if err != nil {
		f.Fatal(err)
	}
	var head bytes.Buffer
	n, per := 0, map[byte]int{}
	for l := range bytes.Lines(text) {
		switch {
		case bytes.HasPrefix(l, []byte("end ")):
		case len(l) > 1 && l[1] == ' ' && bytes.IndexByte([]byte("LMSI"), l[0]) >= 0:
			if per[l[0]]++; per[l[0]] <= 40 {
				head.Write(l)
				n++
			}
		default:
			head.Write(l)
		}
	}
	fmt.Fprintf(&head, "end %d\n", n)
	if _, err := parse(head.Bytes()); err != nil {
		f.Fatalf("seed from the embedded table: %v", err)
	}
	f.Add(head.Bytes())
	for _, s := range []string{
		"harborwatch-oui 1\nversion v\nL 001B1C X\nL 001B1B Y\nend 2\n",
		"harborwatch-oui 1\nversion v\nS 001B1B123 X\nI 001B1B123 Y\nend 2\n",
		"harborwatch-oui 1\nversion v\nL 001B1B X\r\nend 1\n",
		"harborwatch-oui 1\nversion v\nend 0",
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Load(bytes.NewReader(data)); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("Load error without ErrFormat: %v", err)
		}
		tab, err := parse(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "line ") {
				t.Fatalf("error %q: want ErrFormat and a line number", err)
			}
			return
		}
		check(t, tab)
	})
}

// check asserts the invariants of a parsed table.
func check(t *testing.T, tab *Table) {
	t.Helper()
	if v := tab.Version(); v == "" || len(v) > maxVersion {
		t.Fatalf("version %q", v)
	}
	seen := map[string]bool{}
	for _, o := range tab.orgs {
		if o == "" || seen[o] {
			t.Fatalf("organisation %q empty or stored twice", o)
		}
		seen[o] = true
	}
	blocks := 0
	for g := range tab.groups {
		grp := &tab.groups[g]
		n := len(grp.keys)
		blocks += n
		if len(grp.org) != n || len(grp.reg) != n || len(grp.text) != n*grp.width {
			t.Fatalf("group %d: %d keys, %d orgs, %d registries, %d prefix bytes", g, n, len(grp.org), len(grp.reg), len(grp.text))
		}
		for i, k := range grp.keys {
			if i > 0 && k <= grp.keys[i-1] {
				t.Fatalf("group %d not sorted at %d", g, i)
			}
			if k>>(grp.bits-8)&(bitMulticast|bitLocal) != 0 {
				t.Fatalf("group %d holds unreachable block %x", g, k)
			}
			a := k << (48 - grp.bits)
			m := [6]byte{byte(a >> 40), byte(a >> 32), byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}
			b, ok := tab.Lookup(m)
			if !ok || b.Bits < grp.bits {
				t.Fatalf("Lookup(% x) = %+v, %v: want a block of %d bits or more", m, b, ok, grp.bits)
			}
			if b.Bits > grp.bits {
				continue // a longer block inside this one
			}
			hex := strings.ReplaceAll(b.Prefix, "-", "")
			if want := fmt.Sprintf("%0*X", grp.bits/4, k); hex != want || b.Org != tab.orgs[grp.org[i]] || b.Registry != grp.reg[i] {
				t.Fatalf("Lookup(% x) = %+v, want prefix %s, org %q", m, b, want, tab.orgs[grp.org[i]])
			}
		}
	}
	sum := 0
	for r := range numRegistries {
		sum += tab.Count(r)
	}
	if tab.Len() != blocks || sum != blocks {
		t.Fatalf("Len %d, sum of counts %d, blocks %d", tab.Len(), sum, blocks)
	}
}

// TestCheckEmbedded runs the fuzz invariants on the whole embedded table.
func TestCheckEmbedded(t *testing.T) {
	tab, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	check(t, tab)
}
