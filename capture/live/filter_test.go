//go:build linux

package live

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"harborwatch/capture"
	"harborwatch/capture/filter"
)

// udpFrames makes n Ethernet frames carrying IPv4 UDP to one of four
// ports, a third of them untagged, a third under an 802.1Q tag of VLAN
// 110, a third of VLAN 120, every combination as often; each holds its
// index in the payload.
func udpFrames(n int) [][]byte {
	var out [][]byte
	for i := range n {
		f := []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2}
		if i%3 != 0 {
			f = binary.BigEndian.AppendUint16(f, 0x8100)
			f = binary.BigEndian.AppendUint16(f, uint16(100+10*(i%3))|0x2000) // priority 1
		}
		f = binary.BigEndian.AppendUint16(f, 0x0800)
		payload := binary.BigEndian.AppendUint32(nil, uint32(i))
		payload = append(payload, bytes.Repeat([]byte{byte(i)}, 20+i%100)...)
		ip := make([]byte, 20, 20+8+len(payload))
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
		copy(ip[12:], []byte{192, 0, 2, 1, 192, 0, 2, 2})
		ip = binary.BigEndian.AppendUint16(ip, 40000)
		ip = binary.BigEndian.AppendUint16(ip, []uint16{502, 47808, 2222, 102}[i/3%4])
		ip = binary.BigEndian.AppendUint16(ip, uint16(8+len(payload)))
		ip = binary.BigEndian.AppendUint16(ip, 0)
		out = append(out, append(f, append(ip, payload...)...))
	}
	return out
}

// TestFilter attaches a compiled filter to the socket and sends frames,
// tagged and untagged, into the other end of a veth pair: the ring holds
// exactly the frames the filter accepts over their bytes as sent (tags
// included, though the kernel took them off before the filter ran), in
// order, and the kernel counts only those.
func TestFilter(t *testing.T) {
	const n = 1200
	sent := udpFrames(n)
	for _, tc := range []struct {
		expr         string
		want, tagged int
	}{
		// As in libpcap, the primitives after vlan look inside the tag:
		// the untagged clause comes first. Each clause picks its twelfth:
		// untagged to 502, tagged 110 to 47808.
		{"udp dst port 502 or (vlan 110 and udp dst port 47808)", n / 6, n / 12},
		// The length on the wire counts the tag the kernel took off
		// (tagged frames are 70 to 169 bytes, a third of them VLAN 120).
		{"vlan 120 and greater 100 and less 150", -1, -1},
		// The tag's priority bits are not the VLAN ID (all are priority 1).
		{"vlan 110", n / 3, n / 3},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			want := filterRun(t, tc.expr, sent)
			tagged := 0
			for _, f := range want {
				if binary.BigEndian.Uint16(f[12:]) == 0x8100 {
					tagged++
				}
			}
			if tc.want >= 0 && (len(want) != tc.want || tagged != tc.tagged) {
				t.Errorf("the filter accepts %d of the frames sent (%d tagged), want %d (%d)", len(want), tagged, tc.want, tc.tagged)
			}
			if tc.want < 0 && (len(want) == 0 || tagged != len(want)) {
				t.Errorf("the filter accepts %d of the frames sent, %d tagged: want some, all tagged", len(want), tagged)
			}
		})
	}
}

// filterRun captures on a veth pair with expr compiled for the socket
// while sent goes into the other end, checks that the ring holds exactly
// the frames the expression compiled for bytes accepts and that the
// kernel counted those only, and returns them.
func filterRun(t *testing.T, expr string, sent [][]byte) [][]byte {
	a, b := vethPair(t)
	prog, err := filter.Compile(expr, filter.Socket)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := filter.Compile(expr, filter.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Open(a, Options{Ring: 4 << 20, Filter: prog.Raw})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var want [][]byte
	for _, f := range sent {
		if ref.Match(f, len(f), filter.Tag{}) {
			want = append(want, f)
		}
	}

	ifi, err := net.InterfaceByName(b)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	go func() {
		for i, f := range sent {
			if err := unix.Sendto(fd, f, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}); err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
			if i%200 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()

	deadline := time.AfterFunc(20*time.Second, src.Stop)
	defer deadline.Stop()
	var p capture.Packet
	for got := range want {
		if err := src.Next(&p); err != nil {
			t.Fatalf("after %d frames: %v", got, err)
		}
		if !bytes.Equal(p.Data, want[got]) {
			t.Fatalf("frame %d read: %x\nwant %x", got, p.Data, want[got])
		}
	}
	// Let the rest of what was sent arrive, or be dropped by the filter.
	time.Sleep(300 * time.Millisecond)
	st, err := src.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != uint64(len(want)) || st.Drops != 0 {
		t.Errorf("kernel counted %d packets and %d drops, want %d and 0: it counts only what the filter accepts", st.Packets, st.Drops, len(want))
	}
	return want
}

// TestFilterRefused: a program the kernel refuses fails Open, naming the
// filter.
func TestFilterRefused(t *testing.T) {
	a, _ := vethPair(t)
	bad := []bpf.RawInstruction{{Op: 0x06, K: 0}, {Op: 0x15, Jt: 200}}
	if _, err := Open(a, Options{Filter: bad}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("filter")) {
		t.Fatalf("Open with an invalid program: %v, want an error naming the filter", err)
	}
}
