package inventory

import (
	"bytes"
	"context"
	"net/netip"
	"testing"

	"harborwatch/capture"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/pipeline"
)

// behindOneMAC observes n addresses announced by ARP from one MAC, as
// every routed address appears behind its router's MAC.
func behindOneMAC(n int) *observe.Result {
	oe := observe.New(observe.Options{})
	st := oe.NewState()
	mac := [6]byte{0x02, 0, 0, 0, 0, 1}
	for i := range n {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		st.ARP(mac, ip, 0, finding.Mark{Packet: int64(i + 1)}, int64(i+1)*1000)
	}
	return oe.Finish([]*observe.State{st})
}

// TestManyAddressesOneMAC: the addresses behind one MAC make one device
// holding each address once.
func TestManyAddressesOneMAC(t *testing.T) {
	const n = 5000
	inv := Build(Options{Observed: behindOneMAC(n)})
	if len(inv.Assets) != 1 {
		t.Fatalf("%d assets, want 1", len(inv.Assets))
	}
	a := inv.Assets[0]
	if len(a.IPs) != n || len(a.Addresses) != n {
		t.Fatalf("%d IPs, %d addresses; want %d", len(a.IPs), len(a.Addresses), n)
	}
	for i := 1; i < n; i++ {
		if !a.IPs[i-1].Less(a.IPs[i]) {
			t.Fatalf("IPs not sorted and distinct at %d: %v %v", i, a.IPs[i-1], a.IPs[i])
		}
	}
}

// BenchmarkOneMAC builds the inventory of 50 k and 200 k addresses behind
// one MAC: the time per address stays flat (linear, not quadratic).
func BenchmarkOneMAC(b *testing.B) {
	for _, n := range []int{50000, 200000} {
		b.Run(itoa(n), func(b *testing.B) {
			for b.Loop() {
				Build(Options{Observed: behindOneMAC(n)})
			}
		})
	}
}

func itoa(n int) string {
	if n%1000 == 0 {
		return fmtInt(n/1000) + "k"
	}
	return fmtInt(n)
}

func fmtInt(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return fmtInt(n/10) + string(rune('0'+n%10))
}

// arpCapture is a capture of n ARP requests from one MAC, each announcing
// another address.
func arpCapture(b testing.TB, n int) []byte {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		b.Fatal(err)
	}
	mac := []byte{0x02, 0x30, 0, 0, 0, 1}
	frame := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mac...)
	frame = append(frame, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1)
	frame = append(frame, mac...)
	ipAt := len(frame)
	frame = append(frame, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1)
	frame = append(frame, make([]byte, 60-len(frame))...)
	for i := range n {
		copy(frame[ipAt:], []byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if err := w.WritePacket(int64(1793700000+i)*1e9, frame, len(frame)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkOneMACCapture runs the packet path and the inventory over 50 k
// and 200 k addresses announced by ARP from one MAC: time linear in
// packets.
func BenchmarkOneMACCapture(b *testing.B) {
	for _, n := range []int{50000, 200000} {
		data := arpCapture(b, n)
		b.Run(itoa(n), func(b *testing.B) {
			for b.Loop() {
				src, err := capture.NewReader(bytes.NewReader(data), "arp.pcap")
				if err != nil {
					b.Fatal(err)
				}
				res, err := pipeline.Run(context.Background(), []capture.Source{src}, pipeline.Options{Workers: 1, FlowMemory: 1 << 30}) // every address fits
				if err != nil {
					b.Fatal(err)
				}
				if inv := Build(Options{Observed: res.Observation}); len(inv.Assets) != 1 {
					b.Fatalf("%d assets", len(inv.Assets))
				}
			}
		})
	}
}
