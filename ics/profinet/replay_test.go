package profinet

import (
	"net/netip"
	"strconv"
	"testing"

	"harborwatch/decode"
	"harborwatch/internal/testutil"
)

// frameRec is what a test keeps of one emitted Frame.
type frameRec struct {
	Packet     int64
	Class      Class
	FrameID    uint16
	Name, Op   string
	Status     string
	Request    bool
	Malformed  bool
	First      bool
	Changed    bool
	DataStatus uint8
	DCPService int // DCP: ServiceID and ServiceType
	DCPType    int
	RTAType    int // alarms: the RTA PDU type
	Detail     map[string]any
}

// cmRec is what a test keeps of one PNIO-CM datagram.
type cmRec struct {
	Packet    int64
	Src, Dst  netip.AddrPort
	Type      string
	PDUType   int
	Opnum     int
	FragLen   int
	Blocks    []uint16
	Role      uint8
	Name, Op  string
	Status    string
	Request   bool
	Malformed bool
	Records   []Record
	Station   string
	Device    [3]uint16 // vendor, device, instance
	Detail    map[string]any
}

type replayResult struct {
	Frames []frameRec
	CMs    []cmRec
	L2     *L2
	UDP    int // UDP datagrams that were not PNIO-CM
}

// replay reads a capture as the pipeline does: EtherType 0x8892 frames to
// one L2, UDP payloads that ParseCM reads as a PNIO interface's to a
// CMAnalyzer.
func replay(t testing.TB, path string) replayResult {
	t.Helper()
	res := replayResult{L2: new(L2)}
	var dec decode.Decoder
	var p decode.Packet
	var cm CMAnalyzer
	for _, cp := range testutil.Frames(t, path) {
		err := dec.Decode(cp.Link, cp.Data, &p)
		switch {
		case p.L3 == decode.L3None && p.HasEth && p.EtherType == EtherType && err == nil:
			res.L2.Frame(p.Payload, p.SrcMAC, p.DstMAC, p.VLAN(), func(f *Frame) {
				r := frameRec{Packet: cp.Number, Class: f.Class, FrameID: f.FrameID, Name: f.Name(), Op: f.Op(),
					Status: f.Status(), Request: f.Request(), Malformed: f.Malformed(), First: f.First, Changed: f.Changed,
					DataStatus: f.DataStatus, RTAType: int(f.Alarm.PDUType), Detail: map[string]any{}}
				if f.DCP != nil {
					r.DCPService, r.DCPType = int(f.DCP.Service), int(f.DCP.ServiceType)
				}
				f.Detail(r.Detail)
				res.Frames = append(res.Frames, r)
			})
		case p.HasL4 && p.Proto == decode.ProtoUDP && len(p.Payload) > 0:
			if probe(p.Payload, true) == 0 {
				res.UDP++
				continue
			}
			if err := cm.Datagram(p.Payload, true, func(m *CM) {
				r := cmRec{Packet: cp.Number, Src: netip.AddrPortFrom(p.Src, p.SrcPort), Dst: netip.AddrPortFrom(p.Dst, p.DstPort),
					Type: m.Header.TypeName(), PDUType: int(m.Header.Type), Opnum: int(m.Header.Opnum),
					FragLen: int(m.Header.FragLen),
					Blocks:  append([]uint16(nil), m.Blocks[:m.NBlocks]...), Role: m.Role, Name: m.Name(), Op: m.Op(),
					Status: m.Status(), Request: m.Request(), Malformed: m.Malformed(),
					Records: append([]Record(nil), m.Records[:m.NRecords]...), Station: string(m.StationName),
					Device: [3]uint16{m.VendorID, m.DeviceID, m.Instance}, Detail: map[string]any{}}
				m.Detail(r.Detail)
				res.CMs = append(res.CMs, r)
			}); err != nil {
				t.Fatalf("%s packet %d: %v", path, cp.Number, err)
			}
		}
	}
	return res
}

func itoa(n int) string { return strconv.Itoa(n) }

var captures = []string{"profinet_io_cm_mixed_2.pcapng", "profinet_io_cm_device.pcapng", "ChangeIPUsingDCP.pcap", "PROFINET-RT.pcap"}
