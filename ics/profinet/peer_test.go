package profinet

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// Peer parity with the ICSNPP PROFINET IO CM Zeek parser, PDU by PDU: its
// baseline profinet_io_cm.log has one line per PNIO-CM datagram, in file
// order, with the packet's source and destination (columns 5–8), its
// type (Request or Response, column 11), the operation's name and, three
// columns after it, the fragment length. The same sequence comes out of
// the analyzer.

func peerLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		v := strings.Split(line, "\t")
		op := slices.IndexFunc(v, func(s string) bool { return slices.Contains(cmOpNames[:], s) })
		if len(v) < 12 || op < 0 || op+3 >= len(v) {
			t.Fatalf("%s: unexpected line %q", path, line)
		}
		out = append(out, v[4]+":"+v[5]+">"+v[6]+":"+v[7]+" "+v[10]+" "+v[op]+" "+v[op+3])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPeerICSNPP(t *testing.T) {
	for _, tc := range []struct{ capture, log string }{
		{"profinet_io_cm_mixed_2.pcapng", "mixed_2.profinet_io_cm.log"},
		{"profinet_io_cm_device.pcapng", "device.profinet_io_cm.log"},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			want := peerLines(t, "testdata/icsnpp/"+tc.log)
			var got []string
			for _, c := range replay(t, "testdata/"+tc.capture).CMs {
				typ := "Response"
				if c.Request {
					typ = "Request"
				}
				got = append(got, c.Src.Addr().String()+":"+itoa(int(c.Src.Port()))+">"+c.Dst.Addr().String()+":"+
					itoa(int(c.Dst.Port()))+" "+typ+" "+cmOpNames[c.Opnum]+" "+itoa(c.FragLen))
			}
			if !slices.Equal(got, want) {
				t.Errorf("ours:\n%s\nICSNPP:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
