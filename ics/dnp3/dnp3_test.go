package dnp3

import (
	"encoding/binary"
	"reflect"
	"testing"

	"harborwatch/event"
)

// linkFrame builds a link frame with good CRCs carrying user data.
func linkFrame(ctrl uint8, dest, src uint16, user []byte) []byte {
	h := []byte{0x05, 0x64, byte(5 + len(user)), ctrl, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(h[4:], dest)
	binary.LittleEndian.PutUint16(h[6:], src)
	f := binary.LittleEndian.AppendUint16(h, crc(h))
	for len(user) > 0 {
		k := min(16, len(user))
		f = append(f, user[:k]...)
		f = binary.LittleEndian.AppendUint16(f, crc(user[:k]))
		user = user[k:]
	}
	return f
}

// openFileObject is a g70v3 file command (qualifier 0x5B, one object with
// a 2-octet size) opening "a.bin" in mode.
func openFileObject(mode uint16) []byte {
	obj := make([]byte, 26)
	binary.LittleEndian.PutUint16(obj[0:], 26)    // file name offset
	binary.LittleEndian.PutUint16(obj[2:], 5)     // file name size
	binary.LittleEndian.PutUint16(obj[20:], mode) // operational mode
	obj = append(obj, "a.bin"...)
	h := []byte{70, 3, 0x5B, 1, 0, 0}
	binary.LittleEndian.PutUint16(h[4:], uint16(len(obj)))
	return append(h, obj...)
}

func feedAll(t *testing.T, a *Analyzer, b []byte, fromClient bool) []Message {
	t.Helper()
	var got []Message
	n, err := a.Feed(b, fromClient, func(m *Message) { got = append(got, *m) })
	if err != nil || n != len(b) {
		t.Fatalf("Feed: %d of %d, %v", n, len(b), err)
	}
	return got
}

func TestOps(t *testing.T) {
	for _, tc := range []struct {
		name string
		app  []byte
		msg  string
		op   string
	}{
		{"cold restart", []byte{0xC1, FuncColdRestart}, "Cold Restart", event.OpPLCStop},
		{"warm restart", []byte{0xC1, FuncWarmRestart}, "Warm Restart", event.OpPLCStop},
		{"disable unsolicited", []byte{0xC1, FuncDisableUnsolicited, 60, 2, 6}, "Disable Spontaneous Messages", event.OpConfigChange},
		{"open for writing", append([]byte{0xC1, FuncOpenFile}, openFileObject(2)...), "Open File", event.OpProgramDownload},
		{"open for reading", append([]byte{0xC1, FuncOpenFile}, openFileObject(1)...), "Open File", event.OpProgramUpload},
		{"delete file", []byte{0xC1, FuncDeleteFile}, "Delete File", event.OpProgramDelete},
		{"auth request", []byte{0xC1, FuncAuthRequest}, "Authentication Request", event.OpAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a Analyzer
			user := append([]byte{0xC0}, tc.app...)
			got := feedAll(t, &a, linkFrame(0xC4, 10, 1, user), true)
			if len(got) != 1 || got[0].Name() != tc.msg || got[0].Op() != tc.op || !got[0].Request() || got[0].Malformed {
				t.Fatalf("got %+v", got)
			}
			// The response takes the request's operation.
			resp := feedAll(t, &a, linkFrame(0x44, 1, 10, []byte{0xC0, 0xC1, FuncResponse, 0x80, 0x00}), false)
			if len(resp) != 1 || resp[0].Op() != tc.op || resp[0].Request() {
				t.Fatalf("response %+v", resp)
			}
		})
	}
}

func TestBadCRC(t *testing.T) {
	f := linkFrame(0xC4, 10, 1, []byte{0xC0, 0xC1, FuncRead, 60, 1, 6})
	f[len(f)-1] ^= 0xFF
	var a Analyzer
	got := feedAll(t, &a, f, true)
	if len(got) != 1 || got[0].Kind != KindLink || !got[0].Malformed || got[0].Status() != "bad link data CRC" {
		t.Fatalf("got %+v", got)
	}
}

// TestSegments reassembles a fragment of four transport segments whose
// sequence numbers wrap from 63 to 0.
func TestSegments(t *testing.T) {
	app := []byte{0xC2, FuncResponse, 0x00, 0x00, 30, 4, 0x01, 0, 0, 0x2B, 0x01} // g30v4 (2 octets), indexes 0-299
	for range 300 {
		app = append(app, 1, 0)
	}
	var b []byte
	for i, th := 0, byte(0x40|62); len(app) > 0; i++ {
		k := min(200, len(app))
		if k == len(app) {
			th |= 0x80
		}
		b = append(b, linkFrame(0x44, 1, 10, append([]byte{th}, app[:k]...))...)
		app = app[k:]
		th = byte((int(th&0x3F) + 1) & 0x3F)
	}
	var a Analyzer
	got := feedAll(t, &a, b, false)
	if len(got) != 1 || got[0].Segments != 4 || got[0].Objects != 1 || got[0].Object(0).Count != 300 || got[0].Malformed {
		t.Fatalf("got %+v", got)
	}
}

// TestCapture checks the details of select_operate_and_responses.pcap.
func TestCapture(t *testing.T) {
	recs, _, _ := replay(t, "testdata/select_operate_and_responses.pcap")
	if len(recs) != 4 {
		t.Fatalf("%d messages", len(recs))
	}
	sel := recs[0]
	if sel.name != "Select" || sel.op != event.OpWrite || !sel.request || !sel.fromClient {
		t.Fatalf("first message %+v", sel)
	}
	objs, _ := sel.detail["objects"].([]map[string]any)
	if len(objs) != 1 || objs[0]["object"] != "g12v1" || sel.detail["crob"] == nil {
		t.Fatalf("select detail %v", sel.detail)
	}
	if r := recs[1]; r.name != "Response" || r.op != event.OpWrite || r.request || !reflect.DeepEqual(r.detail["objects"], sel.detail["objects"]) {
		t.Fatalf("response %+v", r)
	}
}

// TestDeviceAttributes reads the manufacturer's name and model (g0v252,
// g0v250): an identity exchange whose response carries the identity.
func TestDeviceAttributes(t *testing.T) {
	var a Analyzer
	req := feedAll(t, &a, linkFrame(0xC4, 10, 1, []byte{0xC0, 0xC3, FuncRead, 0, 252, 0x00, 0, 0, 0, 250, 0x00, 0, 0}), true)
	if len(req) != 1 || req[0].Op() != event.OpIdentity || req[0].Objects != 2 {
		t.Fatalf("request %+v", req)
	}
	resp := []byte{0xC0, 0xC3, FuncResponse, 0, 0, 0, 252, 0x00, 0, 0, 1, 4, 'A', 'c', 'm', 'e', 0, 250, 0x00, 0, 0, 1, 5, 'R', 'T', 'U', '-', '9'}
	var d map[string]any
	var op string
	n, err := a.Feed(linkFrame(0x44, 1, 10, resp), false, func(m *Message) {
		op = m.Op()
		d = map[string]any{}
		m.Detail(d)
	})
	if err != nil || n == 0 {
		t.Fatalf("Feed: %d, %v", n, err)
	}
	want := map[string]any{"vendor": "Acme", "model": "RTU-9"}
	if op != event.OpIdentity || !reflect.DeepEqual(d["identity"], want) {
		t.Fatalf("op %s identity %v, want %v", op, d["identity"], want)
	}
}
