package enip

import (
	"errors"
	"reflect"
	"testing"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		name string
		path []byte
		want Path // Raw is ignored
		err  bool
		text string
		tag  string
	}{
		{"8-bit class instance attribute", cat(cls(1), inst(1), attr(7)),
			Path{Class: 1, Instance: 1, Attribute: 7, Has: HasClass | HasInstance | HasAttribute}, false,
			"class 0x01, instance 1, attribute 7", ""},
		{"16-bit class and instance", []byte{0x21, 0, 0x00, 0x03, 0x25, 0, 0x20, 0x24},
			Path{Class: 0x300, Instance: 0x2420, Has: HasClass | HasInstance}, false,
			"class 0x300, instance 9248", ""},
		{"32-bit instance, 16-bit attribute", []byte{0x20, 0x6B, 0x26, 0, 0x78, 0x56, 0x34, 0x12, 0x31, 0, 0x01, 0x01},
			Path{Class: 0x6B, Instance: 0x12345678, Attribute: 0x101, Has: HasClass | HasInstance | HasAttribute}, false,
			"class 0x6b, instance 305419896, attribute 257", ""},
		{"first value wins", cat(cls(1), inst(1), cls(2), inst(3), attr(1), attr(2)),
			Path{Class: 1, Instance: 1, Attribute: 1, Has: HasClass | HasInstance | HasAttribute}, false,
			"class 0x01, instance 1, class 0x02, instance 3, attribute 1, attribute 2", ""},
		{"connection point", []byte{0x20, 0x04, 0x24, 0x01, 0x2C, 0x64, 0x2C, 0x65},
			Path{Class: 4, Instance: 1, Point: 100, Has: HasClass | HasInstance | HasPoint}, false,
			"class 0x04, instance 1, connection point 100, connection point 101", ""},
		{"port and electronic key", cat(port(1, 2), []byte{0x34, 0x04, 0x01, 0x00, 0x0E, 0x00, 0x36, 0x00, 0x21, 0x0B}, cls(2), inst(1)),
			Path{Class: 2, Instance: 1, Has: HasClass | HasInstance}, false,
			"port 1 link 2, electronic key vendor 1 product 54, class 0x02, instance 1", ""},
		{"extended port with ip address link", cat([]byte{0x12, 9}, []byte("10.0.0.12"), []byte{0}, cls(1), inst(1)),
			Path{Class: 1, Instance: 1, Has: HasClass | HasInstance}, false,
			"port 2 link 10.0.0.12, class 0x01, instance 1", ""},
		{"port 15 with 16-bit id", []byte{0x0F, 0x12, 0x00, 0x01, 0x20, 0x01},
			Path{Class: 1, Has: HasClass}, false,
			"port 18 link 1, class 0x01", ""},
		{"network and data segments", []byte{0x43, 0x01, 0x50, 0x01, 0xAA, 0xBB, 0x80, 0x01, 0x01, 0x02, 0x20, 0x02},
			Path{Class: 2, Has: HasClass}, false,
			"network segment 0x43, network segment 0x50, data 1 words, class 0x02", ""},
		{"logix tag with array index", cat(symbol("Program:Main"), symbol("Motors"), member(2), []byte{0x29, 0, 0x10, 0x00}, symbol("Run")),
			Path{Member: 2, Has: HasMember, Symbolic: true}, false,
			"symbol Program:Main, symbol Motors, member 2, member 16, symbol Run", "Program:Main.Motors[2,16].Run"},
		{"short symbolic segment", []byte{0x63, 'A', 'b', 'c'},
			Path{Symbolic: true}, false, "symbol Abc", "Abc"},
		{"extended numeric symbol", []byte{0x60, 0xC7, 0x34, 0x12},
			Path{Symbolic: true}, false, "symbol 4?", "4?"},
		{"extended double-byte symbol", []byte{0x60, 0x21, 'A', 0},
			Path{Symbolic: true}, false, "symbol A?", "A?"},
		{"control characters are replaced", symbol("a\x1bb"),
			Path{Symbolic: true}, false, "symbol a?b", "a?b"},
		{"service id segment", []byte{0x38, 0x4C},
			Path{}, false, "service 0x4c", ""},
		{"empty", nil, Path{}, false, "", ""},
		{"reserved segment type", []byte{0xE0, 0}, Path{}, true, "invalid segment", ""},
		{"data type segment", []byte{0xC3, 0}, Path{}, true, "invalid segment", ""},
		{"reserved logical format", []byte{0x23, 0}, Path{}, true, "invalid segment", ""},
		{"reserved logical type", []byte{0x3C, 0}, Path{}, true, "invalid segment", ""},
		{"truncated 8-bit", []byte{0x20}, Path{}, true, "invalid segment", ""},
		{"truncated 16-bit", []byte{0x21, 0, 1}, Path{}, true, "invalid segment", ""},
		{"truncated after class", []byte{0x20, 0x01, 0x24}, Path{Class: 1, Has: HasClass}, true,
			"class 0x01, invalid segment", ""},
		{"truncated key", []byte{0x34, 0x04, 1, 2}, Path{}, true, "invalid segment", ""},
		{"truncated port", []byte{0x01}, Path{}, true, "invalid segment", ""},
		{"truncated extended port", []byte{0x12, 9, 'x'}, Path{}, true, "invalid segment", ""},
		{"truncated symbol", []byte{0x91, 9, 'x'}, Path{}, true, "invalid segment", ""},
		{"truncated short symbol", []byte{0x65, 'x'}, Path{}, true, "invalid segment", ""},
		{"bad extended symbol format", []byte{0x60, 0xFF}, Path{}, true, "invalid segment", ""},
		{"truncated network segment", []byte{0x50, 3, 0}, Path{}, true, "invalid segment", ""},
		{"truncated data segment", []byte{0x80, 3, 0}, Path{}, true, "invalid segment", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p Path
			err := parsePath(&p, tc.path)
			if (err != nil) != tc.err || (err != nil && !errors.Is(err, errPath)) {
				t.Errorf("err = %v, want error %v", err, tc.err)
			}
			p.Raw = nil
			if !reflect.DeepEqual(p, tc.want) {
				t.Errorf("path %+v, want %+v", p, tc.want)
			}
			text, tag := renderPath(tc.path)
			if text != tc.text || tag != tc.tag {
				t.Errorf("render = %q, %q; want %q, %q", text, tag, tc.text, tc.tag)
			}
		})
	}
}

func TestHex(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{{hex2(1), "01"}, {hex2(0x1234), "1234"}, {hex8(0xC0FFEE), "00c0ffee"}, {hex4(0x30), "0030"}} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
