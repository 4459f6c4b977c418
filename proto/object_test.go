package proto

import "testing"

// TestObjectOf checks which detail key names the object of a request: a
// PLC block by its name rather than its raw file name.
func TestObjectOf(t *testing.T) {
	cases := []struct {
		name string
		d    map[string]any
		want string
	}{
		{"block name first", map[string]any{"block_name": "FC12", "block_raw": "_0C00012P", "filename": "x"}, "FC12"},
		{"file name", map[string]any{"filename": "_N_F_XFER"}, "_N_F_XFER"},
		{"PI argument", map[string]any{"pi_argument": "P_PROGRAM"}, "P_PROGRAM"},
		{"transferred block", map[string]any{"block": map[string]any{"name": "DB3", "block_raw": "_0A00003A"}}, "DB3"},
		{"empty name skipped", map[string]any{"block_name": "", "tag": "Motor1"}, "Motor1"},
		{"nothing", map[string]any{"items": 2}, ""},
	}
	for _, c := range cases {
		if got := ObjectOf(c.d); got != c.want {
			t.Errorf("%s: ObjectOf = %q, want %q", c.name, got, c.want)
		}
	}
}
