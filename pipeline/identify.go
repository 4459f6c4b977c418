package pipeline

import (
	"bytes"
	"encoding/binary"

	"harborwatch/app"
	"harborwatch/app/dns"
	apphttp "harborwatch/app/http"
	"harborwatch/app/remote"
	apptls "harborwatch/app/tls"
	"harborwatch/app/xfer"
	"harborwatch/decode"
	"harborwatch/flow"
)

// identify names the application of a flow from one payload, using the
// server port as a hint and the payload's first bytes as proof (the way
// Zeek's dynamic protocol detection attaches analyzers). sure is false when
// the answer may still be refined by later packets (COTP before the first
// S7 PDU shows which S7 dialect it is).
func identify(f *flow.Flow[flowX], dir flow.Dir, pl []byte) (a app.App, sure bool) {
	port := f.Server.Port
	switch f.Proto {
	case decode.ProtoTCP:
		return identifyTCP(port, dir, pl)
	case decode.ProtoUDP:
		return identifyUDP(port, pl), true
	}
	return app.Unknown, true
}

func identifyTCP(port uint16, dir flow.Dir, pl []byte) (app.App, bool) {
	switch {
	case tpkt(pl):
		return identifyTPKT(port, pl)
	case apptls.Probe(pl):
		if port == 7070 || port == 6568 {
			return app.AnyDesk, true
		}
		return app.HTTPS, true
	case rtsp(pl):
		return app.RTSP, true
	case apphttp.ProbeRequest(pl) || apphttp.ProbeResponse(pl):
		return app.HTTP, true
	}
	if _, ok := remote.SSHBanner(pl); ok {
		return app.SSH, true
	}
	if _, ok := remote.RFBVersion(pl); ok {
		return app.VNC, true
	}
	if _, ok := xfer.ProbeSMB(pl); ok {
		return app.SMB, true
	}
	if remote.TeamViewer(pl) && (port == 5938 || port == 443 || port == 80) {
		return app.TeamViewer, true
	}
	switch port {
	case 502:
		if mbap(pl) {
			return app.Modbus, true
		}
	case 44818:
		if enipHeader(pl) {
			return app.ENIP, true
		}
	case 21:
		if ftp(dir, pl) {
			return app.FTP, true
		}
	case 23:
		if remote.Telnet(pl) {
			return app.Telnet, true
		}
	case 53:
		if len(pl) > 2 && dns.Probe(pl[2:]) {
			return app.DNS, true
		}
	}
	return app.Unknown, false
}

// identifyTPKT tells RDP from the ISO-on-TCP protocols (S7comm, S7comm-plus)
// that share the TPKT framing (RFC 1006).
func identifyTPKT(port uint16, pl []byte) (app.App, bool) {
	if port == 3389 {
		return app.RDP, true
	}
	// COTP: pl[4] is the length indicator, pl[5] the TPDU code.
	code := pl[5] & 0xf0
	switch code {
	case 0xf0: // DT data: the S7 protocol id follows the 3-byte DT header
		if len(pl) > 7 {
			switch pl[7] {
			case 0x32:
				return app.S7comm, true
			case 0x72:
				return app.S7commPlus, true
			}
		}
	case 0xe0: // CR connection request: RDP carries a cookie or RDP_NEG_REQ
		var r remote.RDPRequest
		if remote.ParseRDPConnectionRequest(pl, &r) == nil && (len(r.Cookie) > 0 || r.HasNegReq) {
			return app.RDP, true
		}
	}
	if port == 102 {
		return app.S7comm, false
	}
	return app.Unknown, false
}

func tpkt(pl []byte) bool {
	if len(pl) < 7 || pl[0] != 3 || pl[1] != 0 {
		return false
	}
	n := int(binary.BigEndian.Uint16(pl[2:]))
	return n >= 7 && int(pl[4]) >= 2
}

func identifyUDP(port uint16, pl []byte) app.App {
	switch port {
	case 53, 5353, 5355:
		if dns.Probe(pl) {
			return app.DNS
		}
	case 69:
		if xfer.ProbeTFTPRequest(pl) {
			return app.TFTP
		}
	case 123:
		if ntp(pl) {
			return app.NTP
		}
	case 2222:
		return app.ENIP // class-1 I/O has no header to check beyond its CPF items
	case 44818:
		if enipHeader(pl) {
			return app.ENIP
		}
	case 5938:
		return app.TeamViewer
	case 3389:
		return app.RDP
	}
	return app.Unknown
}

// mbap checks a Modbus/TCP application header (Modbus Messaging on TCP/IP
// Implementation Guide v1.0b §3.1.3): protocol id 0, a length that fits,
// a function code.
func mbap(pl []byte) bool {
	if len(pl) < 8 || pl[2] != 0 || pl[3] != 0 {
		return false
	}
	n := int(binary.BigEndian.Uint16(pl[4:]))
	fc := pl[7] &^ 0x80
	return n >= 2 && n <= 254 && fc >= 1 && fc <= 127
}

// enipHeader checks an EtherNet/IP encapsulation header (CIP Vol. 2 §2-3): a
// known command and zero options (the field is reserved as 0).
func enipHeader(pl []byte) bool {
	if len(pl) < 24 {
		return false
	}
	switch binary.LittleEndian.Uint16(pl) {
	case 0x0000, 0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070, 0x0072, 0x0073:
	default:
		return false
	}
	return binary.LittleEndian.Uint32(pl[20:]) == 0
}

// ntp checks an NTP header (RFC 5905 §7.3): version 1–4, mode 1–5.
func ntp(pl []byte) bool {
	if len(pl) < 48 {
		return false
	}
	v, m := pl[0]>>3&7, pl[0]&7
	return v >= 1 && v <= 4 && m >= 1 && m <= 5
}

func ftp(dir flow.Dir, pl []byte) bool {
	if dir == flow.FromServer {
		_, _, ok := xfer.FTPReply(pl)
		return ok
	}
	var c xfer.FTPCommand
	_, err := xfer.NextFTPCommand(pl, &c)
	return err == nil
}

var rtspVersion = []byte("RTSP/1.0")

// rtsp checks for an RTSP request or response line (RFC 2326 §6.1, §7.1).
func rtsp(pl []byte) bool {
	if bytes.HasPrefix(pl, rtspVersion) {
		return true
	}
	line := pl
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	return bytes.Contains(line, rtspVersion)
}
