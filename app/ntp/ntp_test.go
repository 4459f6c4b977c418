package ntp

import (
	"testing"

	"harborwatch/proto"
)

func TestProbe(t *testing.T) {
	pkt := func(b0 byte, n int) []byte {
		b := make([]byte, n)
		b[0] = b0
		return b
	}
	tests := []struct {
		name string
		port uint16
		pl   []byte
		want proto.Verdict
	}{
		{"v4 client", 123, pkt(4<<3|3, 48), proto.Sure},
		{"v3 server", 123, pkt(3<<3|4, 48), proto.Sure},
		{"short", 123, pkt(4<<3|3, 47), proto.No},
		{"mode 6 (control)", 123, pkt(4<<3|6, 48), proto.No},
		{"version 0", 123, pkt(0<<3|3, 48), proto.No},
		{"other port", 124, pkt(4<<3|3, 48), proto.No},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Probe.Check(tt.port, tt.pl, true); got != tt.want {
				t.Errorf("Check = %d, want %d", got, tt.want)
			}
		})
	}
}
