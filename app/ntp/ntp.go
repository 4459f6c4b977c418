package ntp

import "harborwatch/proto"

// Probe identifies NTP on UDP 123 by its header (RFC 5905 §7.3): at least
// 48 bytes, version 1–4, mode 1–5.
var Probe = proto.Probe{Transport: proto.UDP, Ports: []uint16{123}, Match: match}

func match(pl []byte, _ bool) proto.Verdict {
	if len(pl) < 48 {
		return proto.No
	}
	v, m := pl[0]>>3&7, pl[0]&7
	if v >= 1 && v <= 4 && m >= 1 && m <= 5 {
		return proto.Sure
	}
	return proto.No
}
