package pipeline

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"harborwatch/event"
	"harborwatch/internal/synth"
	"harborwatch/internal/testutil"
)

// TestTelecontrolEvents runs the IEC 60870-5-104 and DNP3 analyzers'
// captures through the pipeline: every command and control PDU the
// analyzers' own tests count becomes an event with its operation and
// direction.
func TestTelecontrolEvents(t *testing.T) {
	type key struct{ proto, name, op, dir string }
	for _, tc := range []struct {
		file string
		want map[key]int
	}{
		{"../ics/iec104/testdata/iec104.pcap", map[key]int{
			{"iec104", "C_SC_NA_1", event.OpWrite, "request"}:     2,
			{"iec104", "C_SC_NA_1", event.OpWrite, "response"}:    4,
			{"iec104", "C_IC_NA_1", event.OpRead, "request"}:      2,
			{"iec104", "STARTDT act", event.OpSession, "request"}: 1,
		}},
		{"../ics/dnp3/testdata/dnp3_example.pcap", map[key]int{
			{"dnp3", "Select", event.OpWrite, "request"}:  134,
			{"dnp3", "Operate", event.OpWrite, "request"}: 133,
			{"dnp3", "Read", event.OpRead, "request"}:     97,
		}},
		{"../ics/dnp3/testdata/dnp3_test_data_part1.pcap", map[key]int{
			{"dnp3", "Cold Restart", event.OpPLCStop, "request"}:                      2,
			{"dnp3", "Warm Restart", event.OpPLCStop, "request"}:                      2,
			{"dnp3", "Disable Spontaneous Messages", event.OpConfigChange, "request"}: 7,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			res, err := Run(context.Background(), openFile(t, tc.file), Options{Workers: 2, Events: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[key]int{}
			for _, e := range res.Events {
				got[key{e.Proto, e.Name, e.Op, e.Dir}]++
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("%+v: %d events, want %d", k, got[k], n)
				}
			}
		})
	}
}

// TestTelecontrolSimulated runs the simulator's substation-telecontrol
// capture (operations the public captures lack: IEC 104 set-points, clock
// synchronization, reset process, file transfer both ways; DNP3 time
// write, analog output, restarts, unsolicited responses, file transfer,
// secure authentication) through the pipeline with events on, and holds
// the events against tshark: per protocol, side (the flow's client or
// server, for DNP3 the link's master or outstation) and type
// identification, U-format function or function code, the counts must be
// equal; and the outstation's device attributes become its identity. Its
// findings against the generated site are the scenario's truth
// (TestTerminalScenarios).
func TestTelecontrolSimulated(t *testing.T) {
	bin, file, res := telecontrolRun(t)
	ours := map[string]int{}
	for _, e := range res.Events {
		if e.Func == nil {
			continue
		}
		switch e.Proto {
		case "iec104":
			side := "client"
			if e.SPort == 2404 {
				side = "server"
			}
			switch {
			case e.Name == "S":
				ours["iec104 "+side+" S"]++
			case strings.Contains(e.Name, "act") || strings.Contains(e.Name, "con"):
				ours[fmt.Sprintf("iec104 %s U %d", side, *e.Func)]++
			default:
				ours[fmt.Sprintf("iec104 %s I %d", side, *e.Func)]++
			}
		case "dnp3":
			side := "master"
			if e.SPort == 20000 {
				side = "outstation"
			}
			ours[fmt.Sprintf("dnp3 %s %d", side, *e.Func)]++
			if (side == "master") != (e.Dir == event.Request) {
				t.Errorf("dnp3 %s %s from the %s", e.Dir, e.Name, side)
			}
		}
	}
	tshark := map[string]int{}
	fields := func(args ...string) [][]string { return tsharkFields(t, bin, file, args...) }
	for _, f := range fields("-Y", "iec60870_104", "-e", "tcp.srcport", "-e", "iec60870_104.type", "-e", "iec60870_104.utype",
		"-e", "iec60870_asdu.typeid") {
		side := "client"
		if f[0] == "2404" {
			side = "server"
		}
		utypes, ids := list(f[2]), list(f[3])
		for _, s := range list(f[1]) {
			typ, err := strconv.ParseUint(s, 0, 8)
			switch {
			case err != nil:
				t.Fatalf("tshark type %q", s)
			case typ == 0 || typ == 2: // I format
				tshark[fmt.Sprintf("iec104 %s I %s", side, ids[0])]++
				ids = ids[1:]
			case typ == 1:
				tshark["iec104 "+side+" S"]++
			default:
				u, err := strconv.ParseUint(utypes[0], 0, 8)
				if err != nil {
					t.Fatalf("tshark utype %q", utypes[0])
				}
				tshark[fmt.Sprintf("iec104 %s U %d", side, u)]++
				utypes = utypes[1:]
			}
		}
	}
	for _, f := range fields("-Y", "dnp3.al.func", "-e", "dnp3.ctl.dir", "-e", "dnp3.al.func") {
		side := "outstation"
		if list(f[0])[0] == "1" {
			side = "master"
		}
		for _, fc := range list(f[1]) {
			tshark["dnp3 "+side+" "+fc]++
		}
	}
	if len(tshark) < 30 {
		t.Fatalf("tshark dissected only %v", tshark)
	}
	testutil.DiffCounts(t, "substation-telecontrol", ours, tshark)
	// The shore-power controller's device attributes (g0), read by the
	// SCADA, are its identity.
	want := map[string]any{"vendor": "SEL", "model": "SEL-3505 RTAC", "firmware": "R150-V2", "serial": "1231540087", "name": "sub-spc1"}
	for _, a := range res.Assets {
		if a.IP.String() == "10.60.2.20" {
			for k, v := range want {
				if a.Identity[k] != v {
					t.Errorf("identity[%s] = %v, want %v", k, a.Identity[k], v)
				}
			}
			return
		}
	}
	t.Error("no asset 10.60.2.20")
}

// telecontrolRun generates the substation-telecontrol capture into a
// file and runs it through the pipeline with events on.
func telecontrolRun(t *testing.T) (tshark, file string, res *Result) {
	t.Helper()
	tshark = testutil.Tshark(t)
	_, data := terminalCapture(t, synth.TerminalOptions{Scenarios: []string{"substation-telecontrol"}})
	file = filepath.Join(t.TempDir(), "telecontrol.pcap")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return tshark, file, runBytes(t, data, "telecontrol.pcap", Options{Workers: 2, Events: true})
}

// tsharkFields runs tshark -T fields (every occurrence) on file: one row
// of fields per frame.
func tsharkFields(t *testing.T, bin, file string, args ...string) [][]string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"-n", "-r", file, "-T", "fields", "-E", "occurrence=a"}, args...)...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var rows [][]string
	for line := range strings.Lines(string(out)) {
		rows = append(rows, strings.Split(strings.TrimRight(line, "\n"), "\t"))
	}
	return rows
}

func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// TestTelecontrolSimulatedDetail holds the detail of the simulated
// telecontrol capture's events against tshark, PDU by PDU: per IEC 104
// ASDU the type, cause of transmission, P/N bit, number of objects,
// common address and information object addresses; per DNP3 fragment the
// function code and the object headers (group and variation), except the
// objects of the authentication functions, which tshark 4.0 does not
// dissect.
func TestTelecontrolSimulatedDetail(t *testing.T) {
	bin, file, res := telecontrolRun(t)
	var ours, theirs []string
	for _, e := range res.Events {
		d := e.Detail
		switch {
		case e.Proto == "iec104" && d["type_id"] != nil:
			neg := 0
			if d["negative"] == true {
				neg = 1
			}
			ours = append(ours, fmt.Sprintf("%d iec104 %v %v %d %v %v %v", e.Packet, d["type_id"], d["cot_code"], neg,
				d["objects"], d["common_address"], d["ioa"]))
		case e.Proto == "dnp3":
			var objs []string
			if os, ok := d["objects"].([]map[string]any); ok && *e.Func != 32 && *e.Func != 131 {
				for _, o := range os {
					objs = append(objs, fmt.Sprint(o["object"]))
				}
			}
			ours = append(ours, fmt.Sprintf("%d dnp3 %d %s", e.Packet, *e.Func, strings.Join(objs, " ")))
		}
	}
	for _, f := range tsharkFields(t, bin, file, "-Y", "iec60870_asdu", "-e", "frame.number", "-e", "iec60870_asdu.typeid",
		"-e", "iec60870_asdu.causetx", "-e", "iec60870_asdu.nega", "-e", "iec60870_asdu.numix", "-e", "iec60870_asdu.addr",
		"-e", "iec60870_asdu.ioa") {
		types, causes, negs, nums, cas, ioas := list(f[1]), list(f[2]), list(f[3]), list(f[4]), list(f[5]), list(f[6])
		for i := range types {
			n, _ := strconv.Atoi(nums[i])
			theirs = append(theirs, fmt.Sprintf("%s iec104 %s %s %s %s %s [%s]", f[0], types[i], causes[i], negs[i], nums[i], cas[i],
				strings.Join(ioas[:n], " ")))
			ioas = ioas[n:]
		}
	}
	for _, f := range tsharkFields(t, bin, file, "-Y", "dnp3.al.func", "-e", "frame.number", "-e", "dnp3.al.func", "-e", "dnp3.al.obj") {
		if len(list(f[1])) != 1 {
			t.Fatalf("frame %s: %d fragments", f[0], len(list(f[1])))
		}
		var objs []string
		for _, o := range list(f[2]) {
			v, err := strconv.ParseUint(o, 0, 16)
			if err != nil {
				t.Fatalf("tshark object %q", o)
			}
			objs = append(objs, fmt.Sprintf("g%dv%d", v>>8, v&0xff))
		}
		theirs = append(theirs, fmt.Sprintf("%s dnp3 %s %s", f[0], f[1], strings.Join(objs, " ")))
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if len(theirs) < 80 {
		t.Fatalf("tshark dissected %d PDUs", len(theirs))
	}
	for i := range max(len(ours), len(theirs)) {
		var o, th string
		if i < len(ours) {
			o = ours[i]
		}
		if i < len(theirs) {
			th = theirs[i]
		}
		if o != th {
			t.Errorf("ours %q, tshark %q", o, th)
		}
	}
}
