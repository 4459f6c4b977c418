package event

import (
	"encoding/json"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestLessOrdersByTimeFilePacket(t *testing.T) {
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	a := Event{TS: t0, File: 1, Packet: 5}
	b := Event{TS: t0.Add(time.Millisecond), File: 0, Packet: 1}
	c := Event{TS: t0, File: 1, Packet: 6}
	d := Event{TS: t0, File: 1, Packet: 6, Dir: Response}
	e := Event{TS: t0, File: 1, Packet: 6, Dir: Request}
	for _, tt := range []struct {
		name string
		x, y Event
	}{{"time", a, b}, {"packet", a, c}, {"request first", e, d}} {
		if !Less(&tt.x, &tt.y) || Less(&tt.y, &tt.x) {
			t.Errorf("%s: order wrong", tt.name)
		}
	}
}

func TestJSONNames(t *testing.T) {
	f := 3
	ev := Event{TS: time.Date(2026, 11, 3, 9, 0, 0, 500, time.UTC), Proto: "dns", Dir: Request,
		Src: netip.MustParseAddr("10.0.0.1"), SPort: 40000, Dst: netip.MustParseAddr("10.0.0.53"), DPort: 53,
		VLAN: 90, Packet: 12, Capture: "a.pcap", Op: "query", Func: &f, Name: "x.example", File: 2}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ts":"2026-11-03T09:00:00.0000005Z","proto":"dns","dir":"request","src":"10.0.0.1","sport":40000,"dst":"10.0.0.53","dport":53,"vlan":90,"packet":12,"capture":"a.pcap","op":"query","func":3,"name":"x.example"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestOpBit(t *testing.T) {
	seen := uint32(0)
	for i, op := range Ops {
		b := OpBit(op)
		if b != 1<<i {
			t.Errorf("OpBit(%q) = %#x, want %#x", op, b, uint32(1)<<i)
		}
		seen |= b
	}
	if OpBit("reboot") != 0 || OpBit("") != 0 {
		t.Error("OpBit of a non-operation is not 0")
	}
	got := OpsOf(OpBit(OpProgramDownload) | OpBit(OpRead) | OpBit(OpIO))
	if want := []string{OpRead, OpProgramDownload, OpIO}; !slices.Equal(got, want) {
		t.Errorf("OpsOf = %v, want %v", got, want)
	}
	if !slices.Equal(OpsOf(seen), Ops) {
		t.Errorf("OpsOf(all) = %v", OpsOf(seen))
	}
}
