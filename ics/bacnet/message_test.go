package bacnet

import (
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"harborwatch/event"
)

// bvll wraps an NPDU (or BVLL data) in a BVLC header of function fn.
func bvll(fn byte, body []byte) []byte {
	n := 4 + len(body)
	return append([]byte{bvlcType, fn, byte(n >> 8), byte(n)}, body...)
}

// npdu is an NPDU header without addressing, then apdu.
func npdu(apdu ...byte) []byte { return append([]byte{1, 0x04}, apdu...) }

func hx(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// got is what one datagram made the Analyzer emit.
type got struct {
	name, op, status string
	request          bool
	fn               int
	detail           map[string]any
}

func feed(t *testing.T, a *Analyzer, b []byte, fromClient bool) got {
	t.Helper()
	var g []got
	err := a.Datagram(b, fromClient, func(m *Message) {
		d := map[string]any{}
		m.Detail(d)
		g = append(g, got{m.Name(), m.Op(), m.Status(), m.Request(), m.Func(), d})
	})
	if err != nil || len(g) != 1 {
		t.Fatalf("Datagram(%x) = %v, %d messages", b, err, len(g))
	}
	return g[0]
}

func TestReinitializeDeviceOps(t *testing.T) {
	for state, want := range map[byte]string{0: event.OpPLCStop, 1: event.OpPLCStop, 2: event.OpProgramUpload,
		4: event.OpProgramDownload, 5: event.OpProgramDownload, 6: event.OpConfigChange, 7: event.OpConfigChange} {
		var a Analyzer
		// Confirmed-REQ invoke 9 reinitializeDevice [0] state [1] password "pw".
		req := feed(t, &a, bvll(fnUnicast, npdu(0x00, 0x05, 9, 20, 0x09, state, 0x1B, 0, 'p', 'w')), true)
		if req.op != want || req.name != "reinitializeDevice" || !req.request || req.fn != 20 {
			t.Errorf("state %d: request %+v, want op %s", state, req, want)
		}
		if req.detail["state"] != reinitStates[state] || req.detail["password_given"] != true {
			t.Errorf("state %d: detail %v", state, req.detail)
		}
		// Error: services (5) / password-failure (26).
		resp := feed(t, &a, bvll(fnUnicast, npdu(0x50, 9, 20, 0x91, 5, 0x91, 26)), false)
		if resp.op != want || resp.status != "password-failure" || resp.request || resp.detail["error_class"] != "services" {
			t.Errorf("state %d: error %+v", state, resp)
		}
	}
}

func TestRejectAbortPaired(t *testing.T) {
	var a Analyzer
	feed(t, &a, bvll(fnUnicast, npdu(0x00, 0x05, 3, 15, 0x0C, 0x00, 0x00, 0x00, 0x01, 0x19, 85)), true)
	r := feed(t, &a, bvll(fnUnicast, npdu(0x60, 3, 9)), false)
	if r.name != "Reject" || r.op != event.OpWrite || r.status != "unrecognized-service" || r.fn != 15 {
		t.Errorf("reject %+v", r)
	}
	ab := feed(t, &a, bvll(fnUnicast, npdu(0x71, 77, 4)), false)
	if ab.name != "Abort" || ab.op != event.OpOther || ab.status != "segmentation-not-supported" || ab.fn != -1 ||
		ab.detail["from_server"] != true {
		t.Errorf("unpaired abort %+v", ab)
	}
}

func TestIAmIdentity(t *testing.T) {
	var a Analyzer
	// I-Am device 1234, max APDU 1476, segmented-both, vendor 8.
	g := feed(t, &a, bvll(fnBroadcast, npdu(0x10, 0x00, 0xC4, 0x02, 0x00, 0x04, 0xD2, 0x22, 0x05, 0xC4,
		0x91, 0x00, 0x21, 0x08)), true)
	want := map[string]any{"device_instance": 1234, "max_apdu": 1476, "segmentation": "segmented-both",
		"vendor_id": 8, "vendor": "Delta Controls"}
	if g.name != "i-Am" || g.op != event.OpIdentity || g.request || g.fn != FuncUnconfirmed ||
		!reflect.DeepEqual(g.detail["identity"], want) || g.detail["device"] != "device:1234" {
		t.Errorf("I-Am %+v", g)
	}
}

func TestForwardedRoutedRead(t *testing.T) {
	var a Analyzer
	// Forwarded-NPDU from 10.1.2.3:47808; NPDU with DNET 5 (MAC 0x0a), SNET 7 (MAC 0x01 0x02), hop 255;
	// readProperty analog-value:3 present-value.
	body := append(hx("0a010203bac0"), 1, 0x2C, 0, 5, 1, 0x0a, 0, 7, 2, 1, 2, 255,
		0x00, 0x05, 1, 12, 0x0C, 0x00, 0x80, 0x00, 0x03, 0x19, 85)
	g := feed(t, &a, bvll(fnForwarded, body), true)
	d := g.detail
	if g.name != "readProperty" || g.op != event.OpRead || d["origin"] != "10.1.2.3:47808" || d["dnet"] != 5 ||
		d["dadr"] != "0a" || d["snet"] != 7 || d["sadr"] != "0102" || d["hop_count"] != 255 ||
		d["object"] != "analog-value:3" || d["property"] != "present-value" || d["max_apdu"] != 1476 {
		t.Errorf("forwarded read %+v", g)
	}
}

func TestNetworkAndBVLL(t *testing.T) {
	var a Analyzer
	g := feed(t, &a, bvll(fnBroadcast, []byte{1, 0x80, 0x00}), true)
	if g.name != "Who-Is-Router-To-Network" || g.fn != FuncNetwork || !g.request || g.op != event.OpOther {
		t.Errorf("network message %+v", g)
	}
	g = feed(t, &a, bvll(0x05, []byte{0, 60}), true)
	if g.name != "Register-Foreign-Device" || g.op != event.OpConfigChange || g.fn != FuncBVLC+5 {
		t.Errorf("register %+v", g)
	}
	g = feed(t, &a, bvll(fnResult, []byte{0, 0x30}), false)
	if g.name != "BVLC-Result" || g.status != "register-foreign-device-nak" || g.request {
		t.Errorf("result %+v", g)
	}
}

func TestMalformedAndFraming(t *testing.T) {
	var a Analyzer
	g := feed(t, &a, bvll(fnUnicast, []byte{1, 0x20, 0, 5}), true)
	if g.status != "truncated NPDU destination" || g.detail["malformed"] != true || g.op != event.OpOther {
		t.Errorf("truncated %+v", g)
	}
	for _, b := range [][]byte{{0x82, 0x0a, 0, 4}, {0x81, 0x0a, 0, 3}, {0x81}} {
		if err := a.Datagram(b, true, func(*Message) { t.Errorf("%x emitted", b) }); !errors.Is(err, ErrFraming) {
			t.Errorf("%x: %v", b, err)
		}
	}
	g = feed(t, &a, append(bvll(fnUnicast, npdu(0x10, 8)), 0xFF), true)
	if g.name != "who-Is" || g.detail["bvlc_length"] != 8 {
		t.Errorf("length mismatch %+v", g)
	}
}
