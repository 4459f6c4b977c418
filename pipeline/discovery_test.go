package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/observe"
)

// TestLLDPStations: the two LLDP frames of a shared capture become
// stations with what tshark reads in them (frame 181: port ID "19",
// management address 208.73.217.142; frame 623: a MAC-typed port ID).
func TestLLDPStations(t *testing.T) {
	res, err := Run(context.Background(), open(t, "enip_cip_example.pcap"), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Observation.Stations
	if len(st) != 2 {
		t.Fatalf("stations %+v", st)
	}
	a, b := st[0], st[1]
	if a.MAC != "00:21:91:06:f1:66" || a.Identity["port_id"] != "19" || a.Identity["management_address"] != "208.73.217.142" ||
		!slices.Equal(a.IPs, []netip.Addr{netip.MustParseAddr("208.73.217.142")}) || a.Evidence.Packet != 181 ||
		!slices.Equal(a.Sources, []string{observe.SourceLLDP}) {
		t.Errorf("station 181: %+v", a)
	}
	if b.MAC != "64:4b:f0:2b:31:71" || b.Identity["port_id"] != "64:4b:f0:2b:31:71" || len(b.IPs) != 0 || b.Evidence.Packet != 623 {
		t.Errorf("station 623: %+v", b)
	}
}

// TestDiscoveryFrames: a PROFINET DCP identify response, a CDP
// announcement and a DHCP request reach the stations; repeated messages
// are counted, not re-read; a malformed one is counted in decode_errors.
func TestDiscoveryFrames(t *testing.T) {
	frames := discoveryFrames(t)
	path := filepath.Join(t.TempDir(), "discovery.pcap")
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).UnixNano()
	for i, f := range frames {
		if err := w.WritePacket(t0+int64(i)*int64(time.Millisecond), f, len(f)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	writeTestFile(t, path, buf.Bytes())
	res, err := Run(context.Background(), openFile(t, path), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]observe.Station{}
	for _, s := range res.Observation.Stations {
		got[s.MAC] = s
	}
	if s := got["00:1b:1b:21:00:06"]; s.Identity["station_name"] != "et200sp-crane3" || s.Identity["type_of_station"] != "ET200SP" ||
		s.Identity["profinet_vendor_id"] != 0x2a || s.Identity["profinet_device_id"] != 0x313 || s.Frames != 2 ||
		!slices.Equal(s.IPs, []netip.Addr{netip.MustParseAddr("10.10.21.6")}) || !slices.Equal(s.Sources, []string{observe.SourceDCP}) {
		t.Errorf("dcp station %+v", s)
	}
	if s := got["00:19:07:24:3c:ca"]; s.Identity["system_name"] != "crane3-sw1" || s.Identity["platform"] != "cisco IE-4000-8GT4G-E" ||
		s.Identity["capabilities"] == nil || !slices.Equal(s.Sources, []string{observe.SourceCDP}) {
		t.Errorf("cdp station %+v", s)
	}
	if s := got["44:19:b6:01:02:0b"]; s.Identity["hostname"] != "cam-boom" || s.Identity["vendor_class"] != "HIKVISION" ||
		!slices.Equal(s.IPs, []netip.Addr{netip.MustParseAddr("10.10.22.11")}) || !slices.Equal(s.Sources, []string{observe.SourceDHCP}) {
		t.Errorf("dhcp station %+v", s)
	}
	if res.Stats.DecodeErrors["discovery"] != 1 {
		t.Errorf("decode errors %v", res.Stats.DecodeErrors)
	}
}

func eth(dst, src [6]byte, typ uint16, payload []byte) []byte {
	b := append(append(dst[:0:0], dst[:]...), src[:]...)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = append(b, payload...)
	for len(b) < 60 {
		b = append(b, 0)
	}
	return b
}

func udp4(t testing.TB, src, dst string, sport, dport uint16, payload []byte) []byte {
	t.Helper()
	ip := ipv4Header(netip.MustParseAddr(src), netip.MustParseAddr(dst), 17, 0, 8+len(payload))
	ip = binary.BigEndian.AppendUint16(ip, sport)
	ip = binary.BigEndian.AppendUint16(ip, dport)
	ip = binary.BigEndian.AppendUint16(ip, uint16(8+len(payload)))
	ip = append(ip, 0, 0)
	return append(ip, payload...)
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBanners: an SSH server's identification string and an HTTP server's
// Server field join the server's identity, as tshark reads them.
func TestBanners(t *testing.T) {
	res, err := Run(context.Background(), openFile(t, "../examples/terminal/terminal.pcap", "../app/http/testdata/curl_wget_python.pcap"), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"10.10.9.30": {"ssh_banner", "SSH-2.0-OpenSSH_for_Windows_8.1"},
		"127.0.0.1":  {"http_server", "SimpleHTTP/0.6 Python/3.11.7"},
	}
	for _, a := range res.Assets {
		if w, ok := want[a.IP.String()]; ok {
			if a.Identity[w[0]] != w[1] {
				t.Errorf("%s identity[%s] = %v, want %q", a.IP, w[0], a.Identity[w[0]], w[1])
			}
			delete(want, a.IP.String())
		}
	}
	if len(want) != 0 {
		t.Errorf("no asset for %v", want)
	}
}

// discoveryFrames builds a PROFINET DCP identify response (twice), a CDP
// announcement, a truncated LLDP frame and a DHCP request.
func discoveryFrames(t testing.TB) [][]byte {
	et200 := [6]byte{0x00, 0x1b, 0x1b, 0x21, 0, 6}
	cisco := [6]byte{0x00, 0x19, 0x07, 0x24, 0x3c, 0xca}
	cam := [6]byte{0x44, 0x19, 0xb6, 1, 2, 0x0b}
	var frames [][]byte
	// PROFINET DCP identify response (IEC 61158-6-10): FrameID 0xFEFF,
	// service 5 (identify), type 1 (success), xid, reserved, length, blocks.
	var blocks []byte
	block := func(opt, sub byte, v []byte) {
		blocks = append(blocks, opt, sub)
		blocks = binary.BigEndian.AppendUint16(blocks, uint16(2+len(v)))
		blocks = append(blocks, 0, 0) // block info
		blocks = append(blocks, v...)
		if len(v)%2 == 1 {
			blocks = append(blocks, 0)
		}
	}
	block(2, 2, []byte("et200sp-crane3"))
	block(2, 1, []byte("ET200SP"))
	block(2, 3, []byte{0x00, 0x2a, 0x03, 0x13})
	block(1, 2, []byte{10, 10, 21, 6, 255, 255, 255, 0, 10, 10, 21, 1})
	dcp := []byte{0xfe, 0xff, 5, 1, 0, 0, 0, 1, 0, 0}
	dcp = binary.BigEndian.AppendUint16(dcp, uint16(len(blocks)))
	dcp = append(dcp, blocks...)
	frames = append(frames, eth([6]byte{0x00, 0x0e, 0x8c, 0, 0, 1}, et200, 0x8892, dcp))
	frames = append(frames, eth([6]byte{0x00, 0x0e, 0x8c, 0, 0, 1}, et200, 0x8892, dcp)) // again: counted
	// CDP (802.3 + LLC/SNAP) with device id, platform, capabilities.
	tlv := func(b []byte, typ uint16, v []byte) []byte {
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, uint16(4+len(v)))
		return append(b, v...)
	}
	cdp := []byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00, 2, 180, 0, 0}
	cdp = tlv(cdp, 1, []byte("crane3-sw1"))
	cdp = tlv(cdp, 6, []byte("cisco IE-4000-8GT4G-E"))
	cdp = tlv(cdp, 4, []byte{0, 0, 0, 0x28})
	frames = append(frames, eth([6]byte{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc}, cisco, uint16(len(cdp)), cdp))
	// A truncated LLDP frame: counted as damaged.
	frames = append(frames, eth([6]byte{0x01, 0x80, 0xc2, 0, 0, 0x0e}, cisco, 0x88cc, []byte{0x02, 0x07, 0x04}))
	// DHCP request (RFC 2131) from a camera: hostname, vendor class,
	// requested address, over UDP 68 → 67.
	bootp := make([]byte, 236)
	bootp[0], bootp[1], bootp[2] = 1, 1, 6
	copy(bootp[28:], cam[:])
	bootp = append(bootp, 0x63, 0x82, 0x53, 0x63, 53, 1, 3, 50, 4, 10, 10, 22, 11, 12, 8)
	bootp = append(bootp, "cam-boom"...)
	bootp = append(bootp, 60, 9)
	bootp = append(bootp, "HIKVISION"...)
	bootp = append(bootp, 255)
	frames = append(frames, eth([6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, cam, 0x0800, udp4(t, "0.0.0.0", "255.255.255.255", 68, 67, bootp)))

	return frames
}

// ipv4Header builds an IPv4 header (id 1, TTL 64, no options) with its
// checksum, for a transport of l4 bytes; flags is the flags byte (0x40:
// don't fragment).
func ipv4Header(src, dst netip.Addr, proto, flags uint8, l4 int) []byte {
	s, d := src.As4(), dst.As4()
	ip := binary.BigEndian.AppendUint16(nil, 0x4500)
	ip = binary.BigEndian.AppendUint16(ip, uint16(20+l4))
	ip = append(ip, 0, 1, flags, 0, 64, proto, 0, 0)
	ip = append(ip, s[:]...)
	ip = append(ip, d[:]...)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	return ip
}
