package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/app"
	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/proto"
	"harborwatch/runstats"
	"harborwatch/site"
)

// toy is a line protocol made up for TestRegistryLine: a client opens with
// "TOY/1", then sends "NAME host" (a name it asks for) or "GET file" (a
// download); any other line is a violation. It is what a protocol package
// would hold: a probe, a Spec, an analyzer with per-flow state from a pool.
var (
	toyProbe = proto.Probe{Transport: proto.TCP, Ports: []uint16{7777}, Match: func(pl []byte, fromClient bool) proto.Verdict {
		if fromClient && bytes.HasPrefix(pl, []byte("TOY/1")) {
			return proto.Sure
		}
		return proto.No
	}}
	toySpec = proto.Spec{Name: "toy", PerFlow: true, New: func() proto.Analyzer { return new(toyShard) }}
)

type toyShard struct{ pool proto.Pool[toyFlow] }

type toyFlow struct{ lines int }

func (s *toyShard) Open(proto.Transport) proto.Flow { return s.pool.Get() }
func (s *toyShard) Close(f proto.Flow)              { *f.(*toyFlow) = toyFlow{}; s.pool.Put(f.(*toyFlow)) }

func (f *toyFlow) Feed(r proto.Reporter, fromClient bool, pl []byte) (int, error) {
	if !fromClient {
		return 0, nil
	}
	for _, line := range bytes.Split(bytes.TrimSpace(pl), []byte("\n")) {
		f.lines++
		verb, arg, _ := bytes.Cut(line, []byte(" "))
		switch string(verb) {
		case "TOY/1":
			r.Confirm()
		case "NAME":
			r.Name(proto.Name{Source: "toy", Name: arg})
		case "GET":
			r.File(proto.File{Op: "download", Name: arg})
		default:
			r.Violation()
			continue
		}
		if r.Events() {
			r.Event(proto.Event{Proto: "toy", Op: strings.ToLower(string(verb)), Name: string(arg),
				Detail: map[string]any{"line": f.lines}})
		}
	}
	return 0, nil
}

// TestRegistryLine adds a protocol with its package's parts and one
// registry line: its flows are identified by its probe, its analyzer gets
// their payloads, and its facts (a prohibited name, a file download into a
// control zone), events and counts come out of a run.
func TestRegistryLine(t *testing.T) {
	old := registry
	registry = append(slices.Clip(registry), entry{app.Unknown, toyProbe, &toySpec})
	t.Cleanup(func() { registry = old })

	st, err := site.Parse("identify.yaml", []byte(identifySite))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	b.TCPSession(hBiz, hPLC, 50000, 7777,
		synth.Exchange{Data: []byte("TOY/1\nNAME gateway.logink.org\n")},
		synth.Exchange{Data: []byte("OK\n"), FromServer: true},
		synth.Exchange{Data: []byte("GET plc.bin\n")})
	b.TCPSession(hBiz, hPLC, 50001, 7777,
		synth.Exchange{Data: []byte("TOY/1\n")},
		synth.Exchange{Data: []byte("BOGUS\n")})
	b.TCPSession(hBiz, hPLC, 50002, 7778, // not the toy's port: never offered to it
		synth.Exchange{Data: []byte("TOY/1\nNAME gateway.logink.org\n")})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewReader(&buf, "toy.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 2, Events: true})
	if err != nil {
		t.Fatal(err)
	}

	var events []string
	for _, e := range res.Events {
		events = append(events, fmt.Sprintf("%s %s %s %s:%d %v", e.Proto, e.Dir, e.Op, e.Name, e.DPort, e.Detail))
	}
	wantEvents := []string{
		"toy request toy/1 :7777 map[line:1]",
		"toy request name gateway.logink.org:7777 map[line:2]",
		"toy request toy/1 :7777 map[line:1]",
		"toy request get plc.bin:7777 map[line:3]",
	}
	if strings.Join(events, "\n") != strings.Join(wantEvents, "\n") {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(events, "\n"), strings.Join(wantEvents, "\n"))
	}

	var findings []string
	for _, f := range res.Findings {
		findings = append(findings, fmt.Sprintf("%s %s %v %v", f.Rule, f.App, f.Detail["via"], f.Detail["files"]))
	}
	wantFindings := []string{
		"file-transfer.insecure tcp/7777 <nil> [map[name:plc.bin op:download]]",
		"segmentation.cross-zone tcp/7777 <nil> <nil>",
		"segmentation.cross-zone tcp/7778 <nil> <nil>",
		"prohibited.destination tcp/7777 [toy] <nil>",
	}
	if strings.Join(findings, "\n") != strings.Join(wantFindings, "\n") {
		t.Errorf("findings:\n%s\nwant\n%s", strings.Join(findings, "\n"), strings.Join(wantFindings, "\n"))
	}
	if got := res.Stats.Analyzers["toy"]; got != (runstats.Analyzer{Confirmed: 2, Violations: 1}) {
		t.Errorf("toy stats %+v, want 2 confirmed, 1 violation", got)
	}
	if _, ok := res.Stats.DecodeErrors["toy"]; ok {
		t.Errorf("decode_errors %v: a violation is not a decode error", res.Stats.DecodeErrors)
	}
}

// TestAnalyzerStats checks the per-analyzer flow counts: real captures (a
// flow counts once however many PDUs it carries; the s7comm_plus capture's
// third flow carries no TPKT and is not S7's), the shipped example with 1
// and 2 workers, and a Modbus flow whose stream breaks its framing, which
// is both confirmed and a violation, its framing error a decode error.
func TestAnalyzerStats(t *testing.T) {
	for _, tt := range []struct {
		file string
		want map[string]runstats.Analyzer
	}{
		// Flows these captures hold without their handshake start with a
		// gap: their analyzer finds the first PDU boundary (a resync
		// per direction, skipping nothing: the captures start between
		// PDUs).
		{"modbus_example.pcap", map[string]runstats.Analyzer{"modbus": {Confirmed: 2, Violations: 0, Resyncs: 2}}},
		{"s7comm_plus.pcap", map[string]runstats.Analyzer{"s7comm": {Confirmed: 2, Violations: 0, Resyncs: 2}}},
		{"enip_cip_example.pcap", map[string]runstats.Analyzer{"enip": {Confirmed: 3, Violations: 0, Resyncs: 2}}},
		{"../ics/iec104/testdata/iec104.pcap", map[string]runstats.Analyzer{"iec104": {Confirmed: 1, Violations: 0}}},
		// Its 11 flows all start midway: a resync per direction.
		{"../ics/dnp3/testdata/dnp3_example.pcap", map[string]runstats.Analyzer{"dnp3": {Confirmed: 11, Violations: 0, Resyncs: 22}}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := tt.file
			if !strings.HasPrefix(path, "../") { // the analyzers' own fixtures
				path = "testdata/" + path
			}
			src := openFile(t, path)
			res, err := Run(context.Background(), src, Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(res.Stats.Analyzers) != fmt.Sprint(tt.want) {
				t.Errorf("analyzers %v, want %v", res.Stats.Analyzers, tt.want)
			}
		})
	}
	st, err := site.Load("../examples/terminal/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("terminal workers=%d", workers), func(t *testing.T) {
			res, err := Run(context.Background(), openFile(t, "../examples/terminal/terminal.pcap"), Options{Site: st, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]runstats.Analyzer{"bacnet": {Confirmed: 1, Violations: 0}, "dns": {Confirmed: 9, Violations: 0}, "enip": {Confirmed: 8, Violations: 0}, "ftp": {Confirmed: 1, Violations: 0}, "http": {Confirmed: 1, Violations: 0}, "modbus": {Confirmed: 9, Violations: 0},
				"rdp": {Confirmed: 2, Violations: 0}, "s7comm": {Confirmed: 4, Violations: 0}, "smb": {Confirmed: 1, Violations: 0}, "ssh": {Confirmed: 1, Violations: 0}, "tftp": {Confirmed: 1, Violations: 0}, "tls": {Confirmed: 13, Violations: 0}}
			if fmt.Sprint(res.Stats.Analyzers) != fmt.Sprint(want) {
				t.Errorf("analyzers %v, want %v", res.Stats.Analyzers, want)
			}
		})
	}
	t.Run("modbus framing error", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
		if err != nil {
			t.Fatal(err)
		}
		b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
		read := []byte{0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1}      // read holding register 0
		badPID := []byte{0, 2, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1}    // protocol id 1: not Modbus
		answer := []byte{0, 1, 0, 0, 0, 5, 1, 3, 2, 0x12, 0x34} // the read's response
		b.TCPSession(hEWS, hPLC, 50000, 502,
			synth.Exchange{Data: read}, synth.Exchange{Data: answer, FromServer: true}, synth.Exchange{Data: badPID})
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		src, err := capture.NewReader(&buf, "modbus.pcap")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), []capture.Source{src}, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		// After the framing error the analyzer looks for the next ADU in
		// the bytes that follow: six are skipped, the last six could
		// still start one (they wait, and are dropped at the end).
		if got := res.Stats.Analyzers["modbus"]; got != (runstats.Analyzer{Confirmed: 1, Violations: 1, SkippedBytes: 6}) {
			t.Errorf("modbus %+v, want 1 confirmed, 1 violation, 6 bytes skipped", got)
		}
		if res.Stats.DecodeErrors["modbus"] != 1 {
			t.Errorf("decode errors %v, want modbus: 1", res.Stats.DecodeErrors)
		}
	})
}
