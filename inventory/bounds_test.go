package inventory

import (
	"net/netip"
	"testing"

	"harborwatch/finding"
	"harborwatch/observe"
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
