package pipeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
	"harborwatch/site"
)

// smbWrite is one NetBIOS-framed SMB2 WRITE request (MS-SMB2 §2.2.21) of
// data to file id 7.
func smbWrite(msgID uint64, data []byte) []byte {
	le := binary.LittleEndian
	h := []byte{0xfe, 'S', 'M', 'B', 64, 0, 1, 0, 0, 0, 0, 0, 0x09, 0, 31, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	h = le.AppendUint64(h, msgID)
	h = le.AppendUint32(h, 0xfeff)
	h = le.AppendUint32(h, 1)                  // TreeId
	h = le.AppendUint64(h, 0x0000100000000011) // SessionId
	h = append(h, make([]byte, 16)...)         // Signature
	h = le.AppendUint16(h, 49)
	h = le.AppendUint16(h, 64+48)
	h = le.AppendUint32(h, uint32(len(data)))
	h = le.AppendUint64(h, 0)
	h = append(h, 7)
	h = append(h, make([]byte, 15+16)...) // FileId, Channel, RemainingBytes, channel info, Flags
	h = append(h, data...)
	n := len(h)
	return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, h...)
}

// smbRead is one NetBIOS-framed SMB2 READ response (MS-SMB2 §2.2.20)
// returning data.
func smbRead(msgID uint64, data []byte) []byte {
	le := binary.LittleEndian
	h := []byte{0xfe, 'S', 'M', 'B', 64, 0, 1, 0, 0, 0, 0, 0, 0x08, 0, 31, 0, 1, 0, 0, 0, 0, 0, 0, 0}
	h = le.AppendUint64(h, msgID)
	h = le.AppendUint32(h, 0xfeff)
	h = le.AppendUint32(h, 1)
	h = le.AppendUint64(h, 0x0000100000000011)
	h = append(h, make([]byte, 16)...)
	h = le.AppendUint16(h, 17)
	h = append(h, 64+16, 0)
	h = le.AppendUint32(h, uint32(len(data)))
	h = append(h, make([]byte, 8)...)
	h = append(h, data...)
	n := len(h)
	return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, h...)
}

// TestSMBPipeServiceCreation: a host of the office network creates and
// starts a service on a crane HMI through \pipe\svcctl (what PsExec
// does): beside the SMB file-transfer and cross-zone findings, the service control
// manager's calls are one ics.config-change finding over smb naming
// them, with what the HMI answered (one creation refused, access
// denied; the second and the start accepted).
func TestSMBPipeServiceCreation(t *testing.T) {
	st, err := site.Parse("smb.yaml", []byte(`version: 1
zones:
  - {id: hmi, kind: crane-control, cidrs: [10.10.1.0/24]}
  - {id: office, kind: business, cidrs: [10.10.9.0/24]}
`))
	if err != nil {
		t.Fatal(err)
	}
	bind := rpcPDU(11, 1, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0,
		0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35, 0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03, 2, 0, 0, 0}, make([]byte, 20)...))
	req := func(call uint32, opnum uint16) []byte {
		return rpcPDU(0, call, append([]byte{0, 0, 0, 0, 0, 0, byte(opnum), 0}, make([]byte, 40)...))
	}
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(w, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), 1)
	bindAck := rpcPDU(12, 1, append([]byte{0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, make([]byte, 24)...))
	fault := func(call uint32) []byte {
		return rpcPDU(3, call, []byte{0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0})
	}
	resp := func(call uint32) []byte { return rpcPDU(2, call, make([]byte, 24)) }
	b.TCPSession(hEWS, hPLC, 50123, 445,
		synth.Exchange{Data: smbWrite(4, bind)}, synth.Exchange{Data: smbRead(5, bindAck), FromServer: true},
		synth.Exchange{Data: smbWrite(6, req(2, 15))}, synth.Exchange{Data: smbRead(7, resp(2)), FromServer: true},
		synth.Exchange{Data: smbWrite(8, req(3, 12))}, synth.Exchange{Data: smbRead(9, fault(3)), FromServer: true},
		synth.Exchange{Data: smbWrite(10, req(4, 12))}, synth.Exchange{Data: smbRead(11, resp(4)), FromServer: true},
		synth.Exchange{Data: smbWrite(12, req(5, 19))}, synth.Exchange{Data: smbRead(13, resp(5)), FromServer: true})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src, err := capture.NewReader(&buf, "smb.pcap")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []capture.Source{src}, Options{Site: st, Workers: 1, Events: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule+" "+f.App)
		if f.Rule == "ics.config-change" {
			if fs, _ := f.Detail["functions"].([]string); !slices.Equal(fs, []string{"svcctl.RCreateServiceW", "svcctl.RStartServiceW"}) ||
				f.Count != 3 || f.Detail["accepted"] != uint64(2) || fmt.Sprint(f.Detail["rejected"]) != "map[access_denied:1]" {
				t.Errorf("count %d, detail %v", f.Count, f.Detail)
			}
		}
	}
	slices.Sort(got)
	if want := []string{"file-transfer.insecure smb", "ics.config-change smb", "segmentation.cross-zone smb"}; !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	var ev []string
	for _, e := range res.Events {
		if e.Proto == "dcerpc" {
			ev = append(ev, strings.TrimSpace(e.Op+" "+e.Name+" "+e.Status))
		}
	}
	if want := []string{"session bind", "session bind_ack", "session svcctl.ROpenSCManagerW", "session svcctl.ROpenSCManagerW",
		"config-change svcctl.RCreateServiceW", "config-change svcctl.RCreateServiceW access_denied",
		"config-change svcctl.RCreateServiceW", "config-change svcctl.RCreateServiceW",
		"config-change svcctl.RStartServiceW", "config-change svcctl.RStartServiceW"}; !slices.Equal(ev, want) {
		t.Errorf("events %q, want %q", ev, want)
	}
}
