package event

import (
	"encoding/json"
	"math"
	"net/netip"
	"testing"
	"time"
)

// TestAppendJSON: the same bytes as json.Marshal, for plain and awkward
// events.
func TestAppendJSON(t *testing.T) {
	f := 5
	evs := []Event{
		{},
		{TS: time.Date(2026, 11, 2, 9, 0, 0, 10_000_000, time.UTC), Proto: "modbus", Dir: Request, Src: netip.MustParseAddr("10.10.1.5"), SPort: 50123,
			Dst: netip.MustParseAddr("10.10.1.20"), DPort: 502, VLAN: 110, Packet: 42, Capture: "C0011", Op: "write", Func: &f, Name: "write-single-register",
			Status: "ok", Detail: map[string]any{"address": 40001, "values": []any{1, 2}, "unit": "<&>"}},
		{TS: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), Proto: "s7comm", Dir: Response, Src: netip.MustParseAddr("fe80::1%eth0"),
			Dst: netip.MustParseAddr("::ffff:10.0.0.1"), Name: "quote\" back\\slash \x01 é \u2028", Status: "<b>", Capture: "a&b", Packet: math.MaxInt64},
		{TS: time.Unix(0, 1), Op: "read", Func: new(int), Detail: map[string]any{}},
	}
	for i := range evs {
		want, err := json.Marshal(&evs[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendJSON(nil, &evs[i])
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add(int64(1), "modbus", "write", "name", "ok", uint16(502), []byte{10, 0, 0, 1})
	f.Fuzz(func(t *testing.T, ns int64, proto, op, name, status string, port uint16, ip []byte) {
		e := Event{TS: time.Unix(0, ns).UTC(), Proto: proto, Op: op, Name: name, Status: status, DPort: port}
		if a, ok := netip.AddrFromSlice(ip); ok {
			e.Src = a
		}
		want, err := json.Marshal(&e)
		if err != nil {
			return
		}
		got, err := AppendJSON(nil, &e)
		if err != nil || string(got) != string(want) {
			t.Fatalf("got %s (%v)\nwant %s", got, err, want)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	f := 3
	e := Event{TS: time.Date(2026, 11, 2, 9, 0, 0, 10_000_000, time.UTC), Proto: "modbus", Dir: Request, Src: netip.MustParseAddr("10.10.1.5"), SPort: 50123,
		Dst: netip.MustParseAddr("10.10.1.20"), DPort: 502, VLAN: 110, Packet: 42, Capture: "C0011", Op: "read", Func: &f, Name: "read-holding-registers"}
	var buf []byte
	for b.Loop() {
		buf, _ = AppendJSON(buf[:0], &e)
	}
}
