package observe

import (
	"net/netip"
	"runtime"
	"testing"

	"harborwatch/finding"
)

func addrN(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func macN(i int) [6]byte { return [6]byte{0x02, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)} }

// TestMaxBytes: hosts each with its own MAC fill the tables up to
// MaxBytes; the rest are counted in HostsDropped, not remembered.
func TestMaxBytes(t *testing.T) {
	const budget = 1 << 20
	e := New(Options{MaxBytes: budget})
	s := e.NewState()
	const n = 100000
	for i := range n {
		s.ARP(macN(i), addrN(i), 0, finding.Mark{Packet: int64(i + 1)}, int64(i))
	}
	if s.Mem() > budget {
		t.Errorf("tables take %d bytes, budget %d", s.Mem(), budget)
	}
	kept := len(s.hosts)
	if kept == 0 || kept == n {
		t.Fatalf("%d of %d hosts kept", kept, n)
	}
	st := s.Stats()
	if st.HostsDropped == 0 {
		t.Errorf("no drop counted with %d of %d hosts kept", kept, n)
	}
	res := e.Finish([]*State{s})
	if len(res.Assets) != kept || res.Stats.HostsDropped != st.HostsDropped {
		t.Errorf("%d assets, %d dropped; want %d, %d", len(res.Assets), res.Stats.HostsDropped, kept, st.HostsDropped)
	}
}

// TestHostBytes: what MaxBytes charges for a host with its own MAC is
// not less than what the heap holds for it (within a tenth).
func TestHostBytes(t *testing.T) {
	e := New(Options{})
	const n = 50000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := e.NewState()
	for i := range n {
		s.ARP(macN(i), addrN(i), 0, finding.Mark{Packet: int64(i + 1)}, int64(i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap %d bytes/host, charged %d", heap/n, s.Mem()/n)
	if heap > s.Mem()+s.Mem()/10 {
		t.Errorf("heap %d bytes/host, charged %d", heap/n, s.Mem()/n)
	}
	runtime.KeepAlive(s)
}
