package profinet

import (
	"encoding/binary"

	"harborwatch/proto"
)

// ProbeRT identifies PROFINET real-time frames over UDP (RT_CLASS_UDP) on
// their ports (34962 unicast, 34963 multicast, and 34964, whose PNIO-CM
// the connectionless DCE-RPC Probe claims first: a DCE-RPC header starts
// with version 4, which is no FrameID sent over UDP): a cyclic frame
// (FrameID 0xC000–0xFBFF, with room for its APDU status) or a whole alarm
// RTA PDU. The pipeline reads such a flow's datagrams itself (L2.UDP),
// for their connection is keyed by addresses and ports, as it reads
// layer-2 frames.
var ProbeRT = proto.Probe{Transport: proto.UDP, Ports: []uint16{PortRT, PortRTMC, PortCM}, Match: probeRT}

func probeRT(pl []byte, _ bool) proto.Verdict {
	if len(pl) < 2+4 {
		return proto.No
	}
	switch ClassOfUDP(binary.BigEndian.Uint16(pl)) {
	case ClassUDP:
		return proto.Sure
	case ClassAlarmHigh, ClassAlarmLow:
		var al Alarm
		return proto.SureIf(al.parse(pl[2:]))
	}
	return proto.No
}
