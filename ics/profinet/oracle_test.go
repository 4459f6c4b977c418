package profinet

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"harborwatch/internal/testutil"
)

// Oracle parity with tshark on every shared PROFINET capture: frames per
// class (by FrameID), DCP frames per service and type, alarm RTA PDUs
// per type, cyclic frames per I/O connection (with those sent in stop
// and with invalid data), PNIO-CM datagrams per packet type and opnum,
// and their blocks per type.

// tsharkCounts were obtained with TShark 4.0.17 (see tsharkOf for the
// commands).
var tsharkCounts = map[string]map[string]int{
	"profinet_io_cm_mixed_2.pcapng": {
		"frame/RT_CLASS_1": 102, "frame/Alarm Low": 2, "frame/DCP": 19, "frame/PTCP": 41,
		"dcp/5/0": 18, "dcp/5/1": 1, "alarm/4": 2,
		"io/00:09:91:43:e0:67 00:a0:45:6d:d3:43 0xc002": 46, "io/00:a0:45:6d:d3:43 00:09:91:43:e0:67 0xc000": 56,
		"cm/0/0": 1, "cm/2/0": 1, "cm/0/3": 1, "cm/2/3": 1, "cm/0/4": 2, "cm/2/4": 2, "cm/0/2": 1, "cm/2/2": 1, "cm/0/1": 1, "cm/2/1": 1,
		"block/0x0101": 1, "block/0x0102": 2, "block/0x0104": 2, "block/0x0103": 1, "block/0x8101": 1, "block/0x8102": 2,
		"block/0x8103": 1, "block/0x8104": 2, "block/0x0008": 4, "block/0x8008": 4, "block/0x0110": 1, "block/0x8110": 1,
		"block/0x0112": 1, "block/0x8112": 1, "block/0x0009": 1, "block/0x8009": 1, "block/0x0114": 1, "block/0x8114": 1,
	},
	"profinet_io_cm_device.pcapng": {
		"cm/0/0": 1, "cm/2/0": 1, "cm/0/3": 1, "cm/2/3": 1, "cm/0/4": 1, "cm/2/4": 1, "cm/0/2": 1, "cm/2/2": 1, "cm/0/1": 1, "cm/2/1": 1,
		"block/0x0101": 1, "block/0x0102": 2, "block/0x0104": 2, "block/0x0103": 1, "block/0x8101": 1, "block/0x8102": 2,
		"block/0x8103": 1, "block/0x8104": 1, "block/0x0008": 4, "block/0x8008": 4, "block/0x0110": 1, "block/0x8110": 1,
		"block/0x0009": 1, "block/0x8009": 1, "block/0x0114": 1, "block/0x8114": 1,
	},
	"ChangeIPUsingDCP.pcap": {"frame/DCP": 4, "dcp/4/0": 1, "dcp/4/1": 1, "dcp/5/0": 1, "dcp/5/1": 1},
	"PROFINET-RT.pcap":      {"frame/DCP": 14, "dcp/5/0": 14},
}

// ours counts what the analyzers report on a capture, keyed as
// tsharkCounts.
func ours(t *testing.T, name string) map[string]int {
	res := replay(t, "testdata/"+name)
	got := map[string]int{}
	for c := range NumClasses {
		if n := res.L2.Frames[c]; n > 0 {
			got["frame/"+c.String()] += int(n)
		}
	}
	for _, f := range res.Frames {
		if f.Malformed {
			t.Errorf("packet %d: malformed %s", f.Packet, f.Name)
		}
		switch {
		case f.Class == ClassDCP:
			got[fmt.Sprintf("dcp/%d/%d", f.DCPService, f.DCPType)]++
		case f.Class == ClassAlarmLow || f.Class == ClassAlarmHigh:
			got["alarm/"+strconv.Itoa(f.RTAType)]++
		}
	}
	res.L2.Conns(func(c *IOConn) {
		k := macString(c.Src) + " " + macString(c.Dst) + " 0x" + hex32(uint32(c.FrameID))[4:]
		got["io/"+k] += int(c.Packets)
		if c.Stopped > 0 {
			got["io-stop/"+k] += int(c.Stopped)
		}
		if c.Invalid > 0 {
			got["io-invalid/"+k] += int(c.Invalid)
		}
	})
	for _, c := range res.CMs {
		if c.Malformed {
			t.Errorf("packet %d: malformed %s", c.Packet, c.Name)
		}
		got[fmt.Sprintf("cm/%d/%d", c.PDUType, c.Opnum)]++
		for _, b := range c.Blocks {
			if !strings.HasPrefix(BlockName(b), "block ") {
				got["block/0x"+hex32(uint32(b))[4:]]++
			}
		}
	}
	return got
}

func TestOracleCounts(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			testutil.DiffCounts(t, name, ours(t, name), tsharkCounts[name])
		})
	}
}

// TestOracleTshark runs tshark itself and checks the hard-coded counts
// against it. Without tshark it skips, unless HARBORWATCH_REQUIRE_TSHARK=1.
func TestOracleTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			testutil.DiffCounts(t, name, tsharkOf(t, bin, "testdata/"+name), tsharkCounts[name])
		})
	}
}

// tsharkOf counts what tshark dissects in a capture.
func tsharkOf(t *testing.T, bin, path string) map[string]int {
	run := func(filter string, fields ...string) [][]string {
		args := []string{"-r", path, "-Y", filter, "-T", "fields", "-E", "occurrence=a"}
		for _, f := range fields {
			args = append(args, "-e", f)
		}
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", filter, err)
		}
		var rows [][]string
		for line := range strings.Lines(string(out)) {
			rows = append(rows, strings.Split(strings.TrimRight(line, "\r\n"), "\t"))
		}
		return rows
	}
	num := func(s string) int {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			t.Fatalf("tshark: bad number %q", s)
		}
		return int(v)
	}
	got := map[string]int{}
	for _, r := range run("pn_rt", "pn_rt.frame_id", "pn_dcp.service_id", "pn_dcp.service_type", "pn_io.pdu_type.type") {
		c := ClassOf(uint16(num(r[0])))
		got["frame/"+c.String()]++
		switch {
		case c == ClassDCP:
			got["dcp/"+r[1]+"/"+r[2]]++
		case c == ClassAlarmHigh || c == ClassAlarmLow:
			got["alarm/"+strconv.Itoa(num(r[3]))]++
		}
	}
	for _, r := range run("pn_rt.frame_id >= 0x0100 && pn_rt.frame_id < 0xfc00", "eth.src", "eth.dst", "pn_rt.frame_id", "pn_rt.ds") {
		k := r[0] + " " + r[1] + " 0x" + fmt.Sprintf("%04x", num(r[2]))
		got["io/"+k]++
		ds := num(r[3])
		if ds&StatusRun == 0 {
			got["io-stop/"+k]++
		}
		if ds&StatusValid == 0 {
			got["io-invalid/"+k]++
		}
	}
	for _, r := range run("pn_io_device || pn_io_controller", "dcerpc.pkt_type", "dcerpc.opnum", "pn_io.block_type") {
		got["cm/"+r[0]+"/"+r[1]]++
		if r[2] == "" {
			continue
		}
		for _, b := range strings.Split(r[2], ",") {
			if !strings.HasPrefix(BlockName(uint16(num(b))), "block ") {
				got["block/"+b]++
			}
		}
	}
	return got
}
