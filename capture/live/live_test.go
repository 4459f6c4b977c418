//go:build linux

package live

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"harborwatch/capture"
)

// vethPair makes a veth pair in this namespace and returns its ends. It
// skips without root or ip, unless HARBORWATCH_REQUIRE_NETNS=1.
func vethPair(t *testing.T) (a, b string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("HARBORWATCH_REQUIRE_NETNS") == "1" {
			t.Fatal("needs root to make a veth pair")
		}
		t.Skip("needs root to make a veth pair (HARBORWATCH_REQUIRE_NETNS=1 makes this a failure)")
	}
	id := rand.IntN(1 << 20)
	a, b = fmt.Sprintf("hwl%d", id), fmt.Sprintf("hwm%d", id)
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	run("link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	run("link", "set", a, "up")
	run("link", "set", b, "up")
	return a, b
}

// frames makes n Ethernet frames of a protocol nothing on the host
// answers: every third carries an 802.1Q tag (VLAN id i%4094+1), the rest
// none; each holds its index.
func frames(n int) [][]byte {
	var out [][]byte
	for i := range n {
		f := []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2}
		if i%3 == 0 {
			f = binary.BigEndian.AppendUint16(f, 0x8100)
			f = binary.BigEndian.AppendUint16(f, uint16(i%4094+1))
		}
		f = binary.BigEndian.AppendUint16(f, 0x88b5) // IEEE local experimental
		f = binary.BigEndian.AppendUint32(f, uint32(i))
		f = append(f, bytes.Repeat([]byte{byte(i)}, 40+i%200)...)
		out = append(out, f)
	}
	return out
}

// TestRing sends frames, tagged and untagged, into one end of a veth
// pair and reads them from the other: every frame arrives as sent (the
// VLAN tag the kernel takes off is put back), in order, the kernel counts
// them, and reading a packet allocates nothing.
func TestRing(t *testing.T) {
	a, b := vethPair(t)
	src, err := Open(a, Options{Ring: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	ifi, err := net.InterfaceByName(b)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	const n = 3000
	sent := frames(n)
	go func() {
		for i, f := range sent {
			if err := unix.Sendto(fd, f, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}); err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
			if i%200 == 0 {
				time.Sleep(time.Millisecond) // let the ring drain
			}
		}
	}()

	var p capture.Packet
	got := 0
	deadline := time.AfterFunc(20*time.Second, src.Stop)
	defer deadline.Stop()
	read := func() {
		for {
			if err := src.Next(&p); err != nil {
				t.Fatalf("after %d frames: %v", got, err)
			}
			if len(p.Data) < 18 {
				continue
			}
			typ := binary.BigEndian.Uint16(p.Data[12:])
			if typ == 0x8100 {
				typ = binary.BigEndian.Uint16(p.Data[16:])
			}
			if typ == 0x88b5 {
				break // one of ours (the host may send others: IPv6, LLDP)
			}
		}
		if !bytes.Equal(p.Data, sent[got]) {
			t.Fatalf("frame %d: read %x, sent %x", got, p.Data, sent[got])
		}
		if p.OrigLen != len(sent[got]) || p.Link != capture.LinkEthernet || p.TS == 0 {
			t.Fatalf("frame %d: length %d (sent %d), link %v, time %d", got, p.OrigLen, len(sent[got]), p.Link, p.TS)
		}
		got++
	}
	for got < 100 {
		read()
	}
	allocs := testing.AllocsPerRun(n-200, read)
	for got < n {
		read()
	}
	if allocs != 0 {
		t.Errorf("%.2f allocations per packet, want 0", allocs)
	}
	st, err := src.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets < n || st.Drops != 0 {
		t.Errorf("kernel counted %d packets and %d drops, want ≥ %d and 0", st.Packets, st.Drops, n)
	}
	src.Stop()
	if err := src.Next(&p); err == nil {
		t.Error("Next after Stop returned a packet")
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("no-such-interface0", Options{}); err == nil {
		t.Fatal("opened an interface that does not exist")
	}
}
