package analysis

import "testing"

func TestSizeString(t *testing.T) {
	for in, want := range map[int64]string{1 << 10: "1KiB", 672 << 10: "672KiB", 1536: "1.5KiB", 256 << 20: "256MiB", 1 << 30: "1GiB", 100: "100B"} {
		if got := sizeString(in); got != want {
			t.Errorf("sizeString(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestNouns(t *testing.T) {
	for _, tt := range []struct {
		n    uint64
		want string
	}{{0, "0 packets"}, {1, "1 packet"}, {999, "999 packets"}, {11092, "11,092 packets"}, {1234567, "1,234,567 packets"}} {
		if got := nouns(tt.n, "packet", "packets"); got != tt.want {
			t.Errorf("nouns(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
