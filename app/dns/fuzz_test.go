package dns

import (
	"errors"
	"testing"

	"harborwatch/internal/testutil"
)

func FuzzDNS(f *testing.F) {
	for _, p := range testutil.Payloads(f, "testdata/dig_dnsmasq.pcap") {
		f.Add(p.Data)
	}
	for _, c := range builtCases() {
		f.Add(c.b)
	}
	sentinels := []error{ErrTruncated, ErrLength, ErrLabel, ErrPointer, ErrNameLength, ErrRData}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		Probe(b)
		if err := m.ParseTCP(b); err != nil && !isOneOf(err, sentinels) {
			t.Fatalf("ParseTCP: unexpected error %v", err)
		}
		err := m.Parse(b)
		if err != nil && !isOneOf(err, sentinels) {
			t.Fatalf("Parse: unexpected error %v", err)
		}
		if len(m.Questions) > MaxQuestions || len(m.Answers) > MaxAnswers {
			t.Fatalf("%d questions, %d answers", len(m.Questions), len(m.Answers))
		}
		for _, q := range m.Questions {
			checkName(t, q.Name)
		}
		for _, a := range m.Answers {
			checkName(t, a.Name)
			if a.Target != nil {
				checkName(t, a.Target)
			}
		}
		if err != nil {
			return
		}
		want := summary(&m)
		var again Message
		if err := again.Parse(b); err != nil {
			t.Fatalf("second Parse: %v", err)
		}
		if got := summary(&again); !equal(got, want) {
			t.Fatalf("not deterministic: %q then %q", want, got)
		}
	})
}

func isOneOf(err error, errs []error) bool {
	for _, e := range errs {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// checkName asserts that a decoded name is printable, lower-case and
// bounded: what a log line may safely hold.
func checkName(t *testing.T, name []byte) {
	t.Helper()
	if len(name) > 4*maxName {
		t.Fatalf("name of %d octets", len(name))
	}
	for _, c := range name {
		if c < 0x21 || c > 0x7e || ('A' <= c && c <= 'Z') {
			t.Fatalf("name %q holds %#x", name, c)
		}
	}
	if len(name) > 0 && (name[0] == '.' || name[len(name)-1] == '.' && (len(name) < 2 || name[len(name)-2] != '\\')) {
		t.Fatalf("name %q has an empty label", name)
	}
}
