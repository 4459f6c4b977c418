package synth

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/internal/testutil"
)

// TestTerminalSite keeps the example's site model equal to the generated
// one; -update rewrites it.
func TestTerminalSite(t *testing.T) {
	if testutil.Update() {
		if err := os.WriteFile(exampleSite, TerminalSite, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(exampleSite)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(TerminalSite, want) {
		t.Fatalf("%s differs from TerminalSite; run go test ./internal/synth -run TestTerminalSite -update", exampleSite)
	}
}

func TestTerminalScenarios(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range TerminalScenarios {
		if sc.Name == "" || sc.Short == "" || sc.script == nil || len(sc.Violations)+len(sc.MustNot) == 0 || seen[sc.Name] {
			t.Errorf("bad scenario %+v", sc)
		}
		seen[sc.Name] = true
		for _, v := range append(slices.Clone(sc.Violations), sc.MustNot...) {
			if v.Scenario != sc.Name || v.Rule == "" || v.Src == "" {
				t.Errorf("%s: bad violation %+v", sc.Name, v)
			}
		}
	}
	var all []string
	for _, sc := range TerminalScenarios {
		if sc.Example {
			all = append(all, sc.Name)
		}
	}
	example := terminalPcap(t, TerminalOptions{})
	quiet := terminalPcap(t, TerminalOptions{NoViolations: true})

	tests := []struct {
		name      string
		scenarios []string
		want      []byte // nil: differs from both example and quiet
	}{
		{"nil is the example", nil, example},
		{"all example scenarios, any order", append([]string{all[len(all)-1]}, all...), example},
		{"empty is quiet", []string{}, quiet},
		{"one scenario", []string{"crane-egress"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := terminalPcap(t, TerminalOptions{Scenarios: tt.scenarios})
			switch {
			case tt.want != nil && !bytes.Equal(got, tt.want):
				t.Errorf("capture differs (%d vs %d bytes)", len(got), len(tt.want))
			case tt.want == nil && (bytes.Equal(got, example) || bytes.Equal(got, quiet)):
				t.Error("capture equals the example or the quiet capture")
			}
		})
	}
	t.Run("change window", func(t *testing.T) {
		for _, c := range []struct {
			scenarios []string
			start     time.Time
		}{
			{[]string{"authorized-maintenance"}, TerminalWindowStart},
			{[]string{"plc-stop", "authorized-maintenance"}, TerminalWindowStart},
			{[]string{"plc-stop"}, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)},
		} {
			b := terminalPcap(t, TerminalOptions{Scenarios: c.scenarios})
			first := time.Unix(int64(binary.LittleEndian.Uint32(b[24:])), 0).UTC()
			if first != c.start {
				t.Errorf("%v: first frame at %v, want %v", c.scenarios, first, c.start)
			}
		}
		// The window of the site: Mondays 08:00–12:00Z from 2026-11-02.
		if !bytes.Contains(TerminalSite, []byte("2026-11-02T08:00:00Z")) || TerminalWindowStart.Add(TerminalDuration).Hour() >= 12 {
			t.Error("TerminalWindowStart is not inside the site's change window")
		}
	})
	t.Run("unknown scenario", func(t *testing.T) {
		err := Terminal(discard{}, TerminalOptions{Scenarios: []string{"crane-egress", "alien-invasion"}})
		if !errors.Is(err, ErrUnknownScenario) {
			t.Errorf("err = %v, want ErrUnknownScenario", err)
		}
		if _, err := TerminalTruth([]string{"alien-invasion"}); !errors.Is(err, ErrUnknownScenario) {
			t.Errorf("TerminalTruth err = %v", err)
		}
	})
}

type discard struct{}

func (discard) WritePacket(int64, []byte, int) error { return nil }

func TestTerminalTruth(t *testing.T) {
	egress := Violation{Rule: "egress.external", Src: "10.10.11.5", Dst: "198.51.100.23", App: "https", Scenario: "crane-egress"}
	tests := []struct {
		name      string
		scenarios []string
		want      Truth // MustNot: its findings only (Rule set)
	}{
		{"none", []string{}, Truth{Scenarios: []string{}, Must: []Violation{}}},
		{"crane egress", []string{"crane-egress"}, Truth{Scenarios: []string{"crane-egress"}, Must: []Violation{egress}}},
		{"two, in scenario order", []string{"camera-on-control-vlan", "unknown-device"}, Truth{
			Scenarios: []string{"unknown-device", "camera-on-control-vlan"},
			Must: []Violation{
				{Rule: "inventory.unknown-device", Src: "10.10.1.99", Scenario: "unknown-device"},
				{Rule: "inventory.unknown-device", Src: "10.10.1.64", Scenario: "camera-on-control-vlan"},
				{Rule: "segmentation.cross-zone", Src: "10.10.1.64", Dst: "10.10.9.40", App: "rtsp", Scenario: "camera-on-control-vlan"},
				{Rule: "supplier.not-isolated", Src: "10.10.1.64", Scenario: "camera-on-control-vlan"}}}},
		{"authorized maintenance", []string{"authorized-maintenance"}, Truth{Scenarios: []string{"authorized-maintenance"}, Must: []Violation{}}},
	}
	var every []Violation
	for _, sc := range TerminalScenarios {
		every = append(every, sc.Violations...)
		every = append(every, sc.MustNot...)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TerminalTruth(tt.scenarios)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Scenarios, tt.want.Scenarios) || !slices.Equal(got.Must, tt.want.Must) {
				t.Errorf("got %v %+v\nwant %v %+v", got.Scenarios, got.Must, tt.want.Scenarios, tt.want.Must)
			}
			// Every other known finding is in MustNot, once.
			var rules []Violation
			for _, v := range got.MustNot {
				if v.Rule != "" {
					rules = append(rules, v)
				}
			}
			var want []Violation
			for _, v := range every {
				if !slices.ContainsFunc(got.Must, func(m Violation) bool { return m.Expect() == v.Expect() }) &&
					!slices.ContainsFunc(want, func(m Violation) bool { return m.Expect() == v.Expect() }) {
					want = append(want, v)
				}
			}
			if len(rules) != len(want) {
				t.Errorf("%d findings in MustNot, want %d:\n%+v", len(rules), len(want), rules)
			}
			// Quiet flows are in MustNot unless an expected finding shares
			// them.
			for _, q := range TerminalQuiet {
				shared := slices.ContainsFunc(got.Must, func(m Violation) bool { return m.Src == q.Src && m.Dst == q.Dst && m.App == q.App })
				if slices.Contains(got.MustNot, q) == shared {
					t.Errorf("quiet flow %+v: in MustNot %v, shared %v", q, !shared, shared)
				}
			}
		})
	}
	t.Run("nil is the example", func(t *testing.T) {
		got, err := TerminalTruth(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Must, TerminalViolations) {
			t.Errorf("must %+v", got.Must)
		}
		// The TOS name service carries the LOGINK lookups.
		if slices.Contains(got.MustNot, Violation{Src: "10.50.1.10", Dst: "10.40.0.53", App: "dns"}) {
			t.Error("MustNot holds the TOS name service")
		}
	})
	if n := len(TerminalViolations); n != 21 {
		t.Errorf("%d example violations, want 21", n)
	}
}

func TestS7Builders(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	blk := S7Block(r, 0x03, S7BlockFC, 12, 100)
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"request download", S7RequestDownload(2, "_0C00012P", 100, 44),
			"03 00 0031 | 02 f0 80 | 32 01 0000 0002 0020 0000 | 1a 00 0000 00000000 09 5f3043303030313250 | 0d 31 303030313030 303030303434"},
		{"request download ack", S7RequestDownloadAck(2), "03 00 0014 | 02 f0 80 | 32 03 0000 0002 0001 0000 00 00 | 1a"},
		{"download block", S7DownloadBlock(0x100, "_0C00012P"),
			"03 00 0023 | 02 f0 80 | 32 01 0000 0100 0012 0000 | 1b 00 0000 00000000 09 5f3043303030313250"},
		{"download block ack", S7DownloadBlockAck(0x100, true, []byte{0xaa, 0xbb}),
			"03 00 001b | 02 f0 80 | 32 03 0000 0100 0002 0006 00 00 | 1b 01 | 0002 00fb aabb"},
		{"download ended", S7DownloadEnded(0x101, "_0C00012P"),
			"03 00 0023 | 02 f0 80 | 32 01 0000 0101 0012 0000 | 1c 00 0000 00000000 09 5f3043303030313250"},
		{"download ended ack", S7DownloadEndedAck(0x101), "03 00 0014 | 02 f0 80 | 32 03 0000 0101 0001 0000 00 00 | 1c"},
		{"insert", S7InsertBlocks(3, "0C00012P"),
			"03 00 002b | 02 f0 80 | 32 01 0000 0003 001a 0000 | 28 000000000000fd 000a | 01 00 3043303030313250 | 05 5f494e5345"},
		{"PI ack", S7PIServiceAck(3), "03 00 0014 | 02 f0 80 | 32 03 0000 0003 0001 0000 00 00 | 28"},
		{"PLC stop", S7PLCStop(4),
			"03 00 0021 | 02 f0 80 | 32 01 0000 0004 0010 0000 | 29 0000000000 09 505f50524f4752414d"},
		{"PLC stop ack", S7PLCStopAck(4), "03 00 0014 | 02 f0 80 | 32 03 0000 0004 0001 0000 00 00 | 29"},
		{"block header", blk[:36], "7070 01 01 03 0c 000c 00000064 " + strings.Repeat("00", 22) + " 002c"},
		{"block tail", blk[80:], strings.Repeat("00", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := hex.DecodeString(strings.NewReplacer(" ", "", "|", "").Replace(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tt.got, want) {
				t.Errorf("got  % x\nwant % x", tt.got, want)
			}
		})
	}
	for in, want := range map[[2]int]string{{int(S7BlockFC), 12}: "0C00012P", {int(S7BlockDB), 5}: "0A00005P", {int(S7BlockOB), 65535}: "0865535P"} {
		if got := S7BlockFile(uint8(in[0]), uint16(in[1])); got != want {
			t.Errorf("S7BlockFile(%#x, %d) = %q, want %q", in[0], in[1], got, want)
		}
	}
	if len(blk) != 100 || len(S7Block(r, 5, S7BlockDB, 1, 10)) != 56 {
		t.Errorf("block lengths %d", len(blk))
	}
}
