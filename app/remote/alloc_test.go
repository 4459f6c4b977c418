package remote

import "testing"

// TestAllocs proves the per-payload path allocates nothing.
func TestAllocs(t *testing.T) {
	rdp := rdpCases[1].in
	ssh := sshCases[0].in
	rfb := []byte("RFB 003.008\n")
	name := []byte("relay-5f3a1c2b.net.anydesk.com")
	alpn := []byte("anydesk/6.2.0")
	tel := []byte{0xff, 0xfd, 0x18}
	var r RDPRequest
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"rdp", func() {
			if ParseRDPConnectionRequest(rdp, &r) != nil {
				t.Fatal("parse failed")
			}
		}},
		{"ssh", func() { SSHBanner(ssh) }},
		{"rfb", func() { RFBVersion(rfb) }},
		{"telnet", func() { Telnet(tel) }},
		{"teamviewer", func() { TeamViewer(tvIdentify) }},
		{"names", func() { AnyDeskName(name); TeamViewerName(name) }},
		{"alpn", func() { AnyDeskALPN(alpn) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	rdp := rdpCases[1].in
	ssh := sshCases[0].in
	var r RDPRequest
	b.Run("rdp", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(rdp)))
		for b.Loop() {
			_ = ParseRDPConnectionRequest(rdp, &r)
		}
	})
	b.Run("ssh", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ssh)))
		for b.Loop() {
			SSHBanner(ssh)
		}
	})
	b.Run("probes", func(b *testing.B) {
		b.ReportAllocs()
		p := tvIdentify
		for b.Loop() {
			SSHBanner(p)
			RFBVersion(p)
			Telnet(p)
			TeamViewer(p)
		}
	})
	b.Run("names", func(b *testing.B) {
		b.ReportAllocs()
		name := []byte("router15.teamviewer.com")
		for b.Loop() {
			AnyDeskName(name)
			TeamViewerName(name)
		}
	})
}
