package opcua

import (
	"encoding/binary"
	"errors"
	"testing"

	"harborwatch/event"
	"harborwatch/proto"
)

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// chunkOf frames body as a message of type typ ("MSG", …) and chunk type c.
func chunkOf(typ string, c byte, body []byte) []byte {
	return cat([]byte(typ), []byte{c}, le32(uint32(headerLen+len(body))), body)
}

func str(s string) []byte { return cat(le32(uint32(len(s))), []byte(s)) }

// serviceID is a four-byte NodeId of namespace 0.
func serviceID(id uint16) []byte { return []byte{0x01, 0, byte(id), byte(id >> 8)} }

var (
	requestHeader  = cat([]byte{0, 0}, make([]byte, 16), le32(0xFFFFFFFF), le32(0), []byte{0, 0, 0})
	responseHeader = func(result uint32) []byte {
		return cat(make([]byte, 12), le32(result), []byte{0}, le32(0), []byte{0, 0, 0})
	}
)

// msgChunk is a MSG chunk of channel 7, token 1, request id req.
func msgChunk(c byte, req uint32, body []byte) []byte {
	return chunkOf("MSG", c, cat(le32(7), le32(1), le32(req), le32(req), body))
}

// opn is an OPN of channel 7 with the given policy and body.
func opn(policy string, body []byte) []byte {
	return chunkOf("OPN", 'F', cat(le32(7), str(policy), le32(0xFFFFFFFF), le32(0xFFFFFFFF), body))
}

func emitAll(t *testing.T, a *Analyzer, b []byte, fromClient bool) []*Message {
	t.Helper()
	var out []*Message
	err := a.Datagram(b, fromClient, func(m *Message) { c := *m; out = append(out, &c) })
	if err != nil {
		t.Fatalf("Datagram: %v", err)
	}
	return out
}

func one(t *testing.T, a *Analyzer, b []byte, fromClient bool) *Message {
	t.Helper()
	ms := emitAll(t, a, b, fromClient)
	if len(ms) != 1 {
		t.Fatalf("%d messages, want 1", len(ms))
	}
	return ms[0]
}

func TestSignOnlyChannelDecodes(t *testing.T) {
	var a Analyzer
	m := one(t, &a, opn("http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256", []byte("encrypted…")), true)
	if !m.Encrypted || m.Name() != "OPN" || m.Op() != event.OpSession || !m.Request() {
		t.Errorf("OPN: %+v", m)
	}
	read := cat(serviceID(idReadRequest), requestHeader, make([]byte, 12), le32(1), []byte{0x01, 2, 0x10, 0x27},
		le32(13), le32(0xFFFFFFFF), []byte{0, 0}, le32(0xFFFFFFFF))
	m = one(t, &a, msgChunk('F', 2, read), true)
	d := map[string]any{}
	m.Detail(d)
	if m.Encrypted || m.Name() != "ReadRequest" || m.Op() != event.OpRead || a.Mode() != ModeSign ||
		d["security_mode"] != "Sign" || len(d["nodes"].([]string)) != 1 || d["nodes"].([]string)[0] != "ns=2;i=10000 attr 13" {
		t.Errorf("signed read: %+v %v", m, d)
	}
}

func TestEncryptedCapture(t *testing.T) {
	res := replay(t, "testdata/open62541_client-server_encrypted.pcap", true)
	n := 0
	for _, r := range res.Records {
		if !r.Encrypted {
			if r.Detail["security_mode"] != nil && r.Detail["security_mode"] != "None" {
				t.Errorf("packet %d: clear message with mode %v", r.Packet, r.Detail["security_mode"])
			}
			continue
		}
		n++
		if r.Op != event.OpSession || r.Func != 0 || r.Detail["encrypted"] != true || r.Detail["encrypted_messages"] != n {
			t.Errorf("packet %d: %+v", r.Packet, r)
		}
		if r.Type == "MSG" && r.Detail["security_mode"] != "SignAndEncrypt" {
			t.Errorf("packet %d: mode %v", r.Packet, r.Detail["security_mode"])
		}
	}
	if n != 11 {
		t.Errorf("%d encrypted messages, want 11 (2 OPN, 8 MSG, 1 CLO)", n)
	}
}

func TestNoneChannelAndIdentityToken(t *testing.T) {
	res := replay(t, "testdata/open62541_client-server_mainloop.pcap", true)
	var opn, act int
	for _, r := range res.Records {
		switch r.Name {
		case "OpenSecureChannelRequest":
			opn++
			if r.Op != event.OpSession || r.Detail["security_mode"] != "None" ||
				r.Detail["security_policy"] != policyNone {
				t.Errorf("OPN %+v", r)
			}
		case "ActivateSessionRequest":
			act++
			if r.Op != event.OpAuth || r.Detail["identity_token"] != "username" || r.Detail["user_name"] != "user1" ||
				r.Detail["password_given"] != true {
				t.Errorf("ActivateSession %+v", r)
			}
			for k := range r.Detail {
				if k == "password" {
					t.Error("password in the detail")
				}
			}
		case "CallRequest":
			if r.Op != event.OpConfigChange || r.Func != idCallRequest {
				t.Errorf("Call %+v", r)
			}
		}
	}
	if opn != 2 || act != 1 {
		t.Errorf("%d OPN requests, %d ActivateSession", opn, act)
	}
}

func TestChunksAndServiceFault(t *testing.T) {
	var a Analyzer
	one(t, &a, opn(policyNone, cat(le32(1), le32(1), serviceID(idOpenSecureChannelReq), requestHeader,
		le32(0), le32(0), le32(ModeNone), le32(0xFFFFFFFF), le32(60000))), true)
	write := cat(serviceID(idWriteRequest), requestHeader, le32(1))
	ms := emitAll(t, &a, cat(msgChunk('C', 5, write), msgChunk('F', 5, []byte{1, 2, 3})), true)
	if len(ms) != 1 || ms[0].Name() != "WriteRequest" || ms[0].Chunks != 2 || ms[0].Op() != event.OpWrite {
		t.Fatalf("chunked write: %d messages %+v", len(ms), ms)
	}
	fault := one(t, &a, msgChunk('F', 5, cat(serviceID(idServiceFault), responseHeader(0x801F0000))), false)
	if fault.Name() != "ServiceFault" || fault.Op() != event.OpWrite || fault.Status() != "BadUserAccessDenied" ||
		fault.Request() || !fault.Paired {
		t.Errorf("fault %+v", fault)
	}
	abort := one(t, &a, msgChunk('A', 6, cat(le32(0x80AB0000), str("too big"))), true)
	if abort.Status() != "BadInvalidArgument" {
		t.Errorf("abort %+v", abort)
	}
}

func TestFramingAndProbe(t *testing.T) {
	var a Analyzer
	for _, b := range [][]byte{[]byte("XYZF\x10\x00\x00\x00abcdefgh"), chunkOf("HEL", 'C', nil),
		[]byte("MSGF\x04\x00\x00\x00"), []byte("MSGF\xff\xff\xff\x7f")} {
		if _, err := a.Feed(b, true, func(*Message) { t.Errorf("%q emitted", b) }); !errors.Is(err, ErrFraming) {
			t.Errorf("%q: %v", b, err)
		}
	}
	hel := chunkOf("HEL", 'F', cat(le32(0), le32(65535), le32(65535), le32(0), le32(0), str("opc.tcp://crane:4840")))
	if n, err := a.Feed(hel[:10], true, func(*Message) { t.Error("partial emitted") }); n != 0 || err != nil {
		t.Errorf("partial: %d %v", n, err)
	}
	if probe(hel, true) != proto.Sure || probe([]byte("GET / HTTP/1.1\r\n"), true) != proto.No ||
		probe(chunkOf("ACK", 'F', make([]byte, 3)), false) != proto.No {
		t.Error("probe verdicts")
	}
	m := one(t, &a, hel, true)
	d := map[string]any{}
	m.Detail(d)
	if m.Name() != "Hello" || m.Func() != FuncHello || d["endpoint_url"] != "opc.tcp://crane:4840" {
		t.Errorf("hello %+v %v", m, d)
	}
	m = one(t, &a, chunkOf("HEL", 'F', le32(0)), true)
	if !m.Malformed() || m.Status() != "truncated transport message" {
		t.Errorf("short hello %+v", m)
	}
}

// TestInsecure: an OpenSecureChannel request from the client with
// SecurityPolicy None is insecure; the server's answer, and a request
// with another policy, are not.
func TestInsecure(t *testing.T) {
	for _, c := range []struct {
		m    Message
		want string
	}{
		{Message{Type: TypeOpen, FromClient: true, Policy: []byte(policyNone)}, "SecurityPolicy None"},
		{Message{Type: TypeOpen, FromClient: false, Policy: []byte(policyNone)}, ""},
		{Message{Type: TypeOpen, FromClient: true, Policy: []byte("http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256")}, ""},
		{Message{Type: TypeMessage, FromClient: true}, ""},
	} {
		if got := c.m.Insecure(); got != c.want {
			t.Errorf("%s from client %v policy %q: %q, want %q", c.m.Name(), c.m.FromClient, c.m.Policy, got, c.want)
		}
	}
}
