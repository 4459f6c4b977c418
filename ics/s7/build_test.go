package s7

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// Builders of PDUs from the specifications, for the operations no public
// capture shows (downloads, stops, deletes, passwords, S7comm-plus
// functions). See doc.go for the sections.

// tpkt wraps a COTP TPDU in a TPKT header (RFC 1006 §6).
func tpkt(tpdu []byte) []byte {
	b := []byte{3, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(4+len(tpdu)))
	return append(b, tpdu...)
}

// dt is a class-0 COTP DT TPDU (ISO 8073 §13.7) carrying payload, in a TPKT.
func dt(payload []byte, eot bool) []byte {
	nr := byte(0)
	if eot {
		nr = 0x80
	}
	return tpkt(append([]byte{2, 0xf0, nr}, payload...))
}

// cr is a COTP connection request (§13.3) with TPDU size 1024, calling TSAP
// 0x0100 and called TSAP 0x0102 (PG, rack 0, slot 2), in a TPKT.
func cr(code byte) []byte {
	h := []byte{0, code, 0, 0, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2}
	h[0] = byte(len(h) - 1)
	return tpkt(h)
}

// s7 is an S7comm PDU: header (with error class and code for ROSCTR 2 and
// 3), parameter and data.
func s7(rosctr byte, ref uint16, errCls, errCode byte, param, data []byte) []byte {
	h := []byte{0x32, rosctr, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(h[4:], ref)
	binary.BigEndian.PutUint16(h[6:], uint16(len(param)))
	binary.BigEndian.PutUint16(h[8:], uint16(len(data)))
	if rosctr == rosctrAck || rosctr == rosctrAckData {
		h = append(h, errCls, errCode)
	}
	h = append(h, param...)
	return append(h, data...)
}

func job(ref uint16, param, data []byte) []byte {
	return dt(s7(rosctrJob, ref, 0, 0, param, data), true)
}

func ackData(ref uint16, param, data []byte) []byte {
	return dt(s7(rosctrAckData, ref, 0, 0, param, data), true)
}

func ackErr(ref uint16, cls, code byte) []byte {
	return dt(s7(rosctrAck, ref, cls, code, nil, nil), true)
}

// fileParam is the parameter of the up/download jobs: function, status,
// two octets (error code for the end functions), a 4-octet id, the file
// name, and extra.
func fileParam(fn, status byte, id uint32, file string, extra []byte) []byte {
	p := []byte{fn, status, 0, 0, 0, 0, 0, 0, byte(len(file))}
	binary.BigEndian.PutUint32(p[4:], id)
	p = append(p, file...)
	return append(p, extra...)
}

// blockData is the data part of upload and download-block ack-data:
// length, 0x00fb, contents.
func blockData(b []byte) []byte {
	d := []byte{0, 0, 0, 0xfb}
	binary.BigEndian.PutUint16(d, uint16(len(b)))
	return append(d, b...)
}

// piParam is the parameter of a PI-Service job: function 0x28, 7 unknown
// octets, the parameter block with its length, the service name.
func piParam(service string, block []byte) []byte {
	p := []byte{fnPIService, 0, 0, 0, 0, 0, 0, 0xfd, 0, 0}
	binary.BigEndian.PutUint16(p[8:], uint16(len(block)))
	p = append(p, block...)
	p = append(p, byte(len(service)))
	return append(p, service...)
}

// plcStopParam is the parameter of a PLC Stop job.
func plcStopParam() []byte {
	return append([]byte{fnPLCStop, 0, 0, 0, 0, 0, 9}, "P_PROGRAM"...)
}

// anyItem is an S7ANY variable specification.
func anyItem(ts byte, count, db uint16, area byte, bitAddr uint32) []byte {
	b := []byte{0x12, 0x0a, syntaxS7Any, ts, 0, 0, 0, 0, area, byte(bitAddr >> 16), byte(bitAddr >> 8), byte(bitAddr)}
	binary.BigEndian.PutUint16(b[4:], count)
	binary.BigEndian.PutUint16(b[6:], db)
	return b
}

// udReq is a userdata request: parameter head, length 4, method 0x11,
// type 4 (or typ) and group, subfunction, sequence; data with return code
// 0xff, transport size 0x09 (octet string) and payload.
func udReq(ref uint16, typ, group, sub byte, payload []byte) []byte {
	param := []byte{0, 1, 0x12, 4, 0x11, typ<<4 | group, sub, 0}
	return dt(s7(rosctrUserdata, ref, 0, 0, param, udData(0xff, payload)), true)
}

// udResp is a userdata response with parameter length 8.
func udResp(ref uint16, group, sub, dur byte, more bool, perr uint16, rc byte, payload []byte) []byte {
	last := byte(0)
	if more {
		last = 1
	}
	param := []byte{0, 1, 0x12, 8, 0x12, 8<<4 | group, sub, 1, dur, last, 0, 0}
	binary.BigEndian.PutUint16(param[10:], perr)
	return dt(s7(rosctrUserdata, ref, 0, 0, param, udData(rc, payload)), true)
}

func udData(rc byte, payload []byte) []byte {
	d := []byte{rc, 0x09, 0, 0}
	binary.BigEndian.PutUint16(d[2:], uint16(len(payload)))
	return append(d, payload...)
}

// szlReq is the payload of a Read SZL request.
func szlReq(id, index uint16) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], index)
	return b
}

// szlList is an SZL response list: id, index, record length, count, records.
func szlList(id, index uint16, records ...[]byte) []byte {
	b := szlReq(id, index)
	rl := 0
	if len(records) > 0 {
		rl = len(records[0])
	}
	b = binary.BigEndian.AppendUint16(b, uint16(rl))
	b = binary.BigEndian.AppendUint16(b, uint16(len(records)))
	for _, r := range records {
		b = append(b, r...)
	}
	return b
}

// rec11 is a module identification record (SZL xy11).
func rec11(index uint16, mlfb string, ausbg, ausbe uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, index)
	f := make([]byte, 20)
	copy(f, mlfb)
	for i := len(mlfb); i < 20; i++ {
		f[i] = ' '
	}
	b = append(b, f...)
	b = binary.BigEndian.AppendUint16(b, 0x00c0)
	b = binary.BigEndian.AppendUint16(b, ausbg)
	return binary.BigEndian.AppendUint16(b, ausbe)
}

// rec1C is a component identification record (SZL xy1C).
func rec1C(index uint16, text string) []byte {
	b := binary.BigEndian.AppendUint16(nil, index)
	f := make([]byte, 32)
	copy(f, text)
	return append(b, f...)
}

// plusPDU is an S7comm-plus PDU: header, V3 integrity part (32-octet
// digest) when version is 3, data, and the trailer unless noTrailer.
func plusPDU(version byte, data []byte, noTrailer bool) []byte {
	if version == plusV3 {
		data = append(append([]byte{32}, make([]byte, 32)...), data...)
	}
	b := []byte{protoS7Plus, version, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(data)))
	b = append(b, data...)
	if !noTrailer {
		b = append(b, protoS7Plus, version, 0, 0)
	}
	return dt(b, true)
}

// plusReq is the data part of an S7comm-plus request.
func plusReq(fn, seq uint16, session uint32) []byte {
	d := []byte{plusRequest, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x34, 0x00}
	binary.BigEndian.PutUint16(d[3:], fn)
	binary.BigEndian.PutUint16(d[7:], seq)
	binary.BigEndian.PutUint32(d[9:], session)
	return d
}

// plusResp is the data part of an S7comm-plus response with a return
// value encoded as a VLQ.
func plusResp(fn, seq uint16, ret []byte) []byte {
	d := []byte{plusResponse, 0, 0, 0, 0, 0, 0, 0, 0, 0x34}
	binary.BigEndian.PutUint16(d[3:], fn)
	binary.BigEndian.PutUint16(d[7:], seq)
	return append(d, ret...)
}

// join concatenates PDUs into one stream.
func join(pdus ...[]byte) []byte {
	var b []byte
	for _, p := range pdus {
		b = append(b, p...)
	}
	return b
}

// clientAddr is the client of synthetic flows.
var clientAddr = netip.MustParseAddrPort("10.0.0.1:50000")

// step is one chunk of stream bytes sent in one direction.
type step struct {
	fromClient bool
	b          []byte
}

// feedSteps feeds steps to a fresh Analyzer, each as a whole, and returns
// copies of the Messages.
func feedSteps(tb testing.TB, steps ...step) []rec {
	tb.Helper()
	var a Analyzer
	var out []rec
	for i, s := range steps {
		n, err := a.Feed(s.b, s.fromClient, func(m *Message) { out = append(out, record(m, int64(i), clientAddr)) })
		if err != nil || n != len(s.b) {
			tb.Fatalf("step %d: Feed = %d, %v; want %d, nil", i, n, err, len(s.b))
		}
	}
	return out
}
