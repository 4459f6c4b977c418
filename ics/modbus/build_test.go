package modbus

import (
	"encoding/binary"
	"testing"
)

// Builders of Modbus/TCP ADUs from the specifications, for the PDUs no
// public capture has (program transfers, PLC stop, firmware, …).

// adu builds an ADU: the MBAP header (Implementation Guide §3.1.3) with
// protocol id 0 and the right length, then the function code and data.
func adu(tid uint16, unit, fc byte, data ...[]byte) []byte {
	pdu := []byte{fc}
	for _, d := range data {
		pdu = append(pdu, d...)
	}
	b := binary.BigEndian.AppendUint16(nil, tid)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(1+len(pdu)))
	return append(append(b, unit), pdu...)
}

// be renders 16-bit fields big-endian, as Modbus does.
func be(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.BigEndian.AppendUint16(b, x)
	}
	return b
}

// le renders 16-bit fields little-endian, as UMAS does.
func le(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

func bs(b ...byte) []byte { return b }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// umasReq builds a UMAS request: 0x5A, pairing key, UMAS function, data.
func umasReq(tid uint16, key, fn byte, data ...[]byte) []byte {
	return adu(tid, 0, UMAS, bs(key, fn), cat(data...))
}

// umasResp builds a UMAS response: 0x5A, pairing key, status, data.
func umasResp(tid uint16, key, status byte, data ...[]byte) []byte {
	return adu(tid, 0, UMAS, bs(key, status), cat(data...))
}

// signature stands for the 32-byte signature of a signed UMAS message.
var signature = func() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(0xA0 + i)
	}
	return b
}()

// umasSigned builds a signed request: key, 0x38, magic, signature, then the
// inner 0x5A, key, function and data.
func umasSigned(tid uint16, key, fn byte, data ...[]byte) []byte {
	return adu(tid, 0, UMAS, bs(key, UMASSigned, 0x02), signature, bs(UMAS, key, fn), cat(data...))
}

// umasSignedResp builds the response to a signed request: key, 0xFE,
// magic, signature, then the inner 0x5A, key, status and data.
func umasSignedResp(tid uint16, key, status byte, data ...[]byte) []byte {
	return adu(tid, 0, UMAS, bs(key, UMASResponseOK, 0x02), signature, bs(UMAS, key, status), cat(data...))
}

// umasBlock builds the data of an UPLOAD_BLOCK (0x31) request: 0x0001, the
// block number and length little-endian, then the block.
func umasBlock(number uint16, content []byte) []byte {
	return cat(bs(0x00, 0x01), le(number, uint16(len(content))), content)
}

// got is one emitted Message as the tests see it.
type got struct {
	request   bool
	fn        int
	name, op  string
	status    string
	malformed bool
	detail    map[string]any
}

// feed runs one ADU stream through a and returns what it emitted, failing
// on a framing error or bytes left over.
func feed(t *testing.T, a *Analyzer, fromClient bool, b []byte) []got {
	t.Helper()
	var out []got
	n, err := a.Feed(b, fromClient, func(m *Message) {
		d := map[string]any{}
		m.Detail(d)
		out = append(out, got{m.Request(), m.Func(), m.Name(), m.Op(), m.Status(), m.Malformed, d})
	})
	if err != nil || n != len(b) {
		t.Fatalf("Feed consumed %d of %d bytes, error %v", n, len(b), err)
	}
	return out
}

// step is one direction's bytes in a scripted exchange.
type step struct {
	client bool
	b      []byte
}

func req(b []byte) step  { return step{true, b} }
func resp(b []byte) step { return step{false, b} }

// run plays steps through one Analyzer and returns the last Message seen.
func run(t *testing.T, steps ...step) got {
	t.Helper()
	var a Analyzer
	var last []got
	for _, s := range steps {
		last = feed(t, &a, s.client, s.b)
	}
	if len(last) != 1 {
		t.Fatalf("last step emitted %d messages, want 1", len(last))
	}
	return last[0]
}
