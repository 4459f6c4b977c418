package remote

import (
	"encoding/binary"
	"errors"
)

// Errors of ParseRDPConnectionRequest. The caller counts them; none is fatal.
var (
	ErrRDPTruncated   = errors.New("remote: rdp truncated")
	ErrTPKT           = errors.New("remote: bad tpkt header")
	ErrRDPLength      = errors.New("remote: rdp length mismatch")
	ErrX224           = errors.New("remote: not an x.224 class 0 connection request")
	ErrRDPCookie      = errors.New("remote: rdp cookie without crlf")
	ErrNotRDP         = errors.New("remote: x.224 connection request is not rdp")
	ErrRDPNegReq      = errors.New("remote: bad rdp negotiation request")
	ErrRDPCorrelation = errors.New("remote: bad rdp correlation info")
)

// Security protocols of RDP_NEG_REQ.requestedProtocols ([MS-RDPBCGR]
// §2.2.1.1.1). The field is a bit set; ProtocolRDP (zero) means standard RDP
// security, that is no TLS.
const (
	ProtocolRDP      uint32 = 0x00000000 // standard RDP security
	ProtocolSSL      uint32 = 0x00000001 // TLS 1.0, 1.1 or 1.2
	ProtocolHybrid   uint32 = 0x00000002 // CredSSP (NLA)
	ProtocolRDSTLS   uint32 = 0x00000004 // RDSTLS
	ProtocolHybridEx uint32 = 0x00000008 // CredSSP with Early User Authorization Result PDU
	ProtocolRDSAAD   uint32 = 0x00000010 // RDS AAD authentication
)

// RDP_NEG_REQ flags ([MS-RDPBCGR] §2.2.1.1.1).
const (
	NegRestrictedAdminModeRequired          uint8 = 0x01
	NegRedirectedAuthenticationModeRequired uint8 = 0x02
	NegCorrelationInfoPresent               uint8 = 0x08
)

// RDPRequest is what a Client X.224 Connection Request PDU says about the
// client. It is owned by the caller; ParseRDPConnectionRequest overwrites
// every field. Cookie and RoutingToken alias the parsed payload.
type RDPRequest struct {
	// Cookie is IDENTIFIER from "Cookie: mstshash=IDENTIFIER\r\n": the
	// user name (often truncated, domain\user) mstsc sends in clear.
	Cookie []byte
	// RoutingToken is the value of any other "Cookie: " line, the load
	// balancing routing token ("msts=…", [MS-RDPBCGR] §2.2.1.1).
	RoutingToken []byte
	// RequestedProtocols is the RDP_NEG_REQ bit set (ProtocolSSL, …); zero
	// when HasNegReq is false (a pre-RDP 5.0 client, standard RDP security).
	RequestedProtocols uint32
	// NegFlags are the RDP_NEG_REQ flags (NegRestrictedAdminModeRequired, …).
	NegFlags uint8
	// HasNegReq reports an RDP_NEG_REQ structure.
	HasNegReq bool
	// Correlation is the correlationId of an RDP_NEG_CORRELATION_INFO
	// (§2.2.1.1.2); HasCorrelation reports that one was present.
	Correlation    [16]byte
	HasCorrelation bool
}

const (
	tpktHeaderLen = 4  // T.123 §8 / RFC 1006 §6
	x224CRLen     = 7  // LI, CR CDT, DST-REF, SRC-REF, class and option
	rdpMinLen     = 11 // tpkt + x224Crq ([MS-RDPBCGR] §3.3.5.3.1)
	negReqLen     = 8  // RDP_NEG_REQ
	correlLen     = 36 // RDP_NEG_CORRELATION_INFO
)

// ParseRDPConnectionRequest parses the first PDU a client sends on an RDP
// connection, the Client X.224 Connection Request ([MS-RDPBCGR] §2.2.1.1):
//
//   - a TPKT header (RFC 1006 §6, T.123 §8): version 3, reserved 0, 16-bit
//     big-endian length of the whole PDU, at least 11 and within b;
//   - an X.224 class 0 Connection Request TPDU (ISO 8073 / X.224 §13.3): a
//     length indicator equal to the rest of the PDU, the CR code 0xE0 in the
//     high nibble (the low nibble is the credit), destination and source
//     references (not checked: §3.3.5.3.1 says servers ignore them), and a
//     class-and-options byte whose class (high nibble) is 0;
//   - in the variable part, instead of X.224 parameters (which §3.2.5.3.1
//     forbids): optional "Cookie: …\r\n" lines, the routing token or the
//     "mstshash=" cookie; then an optional RDP_NEG_REQ (§2.2.1.1.1: type 1,
//     flags, length 8 little-endian, requestedProtocols little-endian),
//     followed by an RDP_NEG_CORRELATION_INFO (§2.2.1.1.2: type 6, flags 0,
//     length 36) when its flag says so. Nothing may follow.
//
// Bytes after the TPKT length (a coalesced next PDU) are ignored. An ISO
// transport connection that is not RDP — S7comm's COTP CR carries TSAP
// parameters — fails with ErrNotRDP.
func ParseRDPConnectionRequest(b []byte, r *RDPRequest) error {
	*r = RDPRequest{}
	if err := parseRDP(b, r); err != nil {
		*r = RDPRequest{}
		return err
	}
	return nil
}

func parseRDP(b []byte, r *RDPRequest) error {
	if len(b) < tpktHeaderLen {
		return ErrRDPTruncated
	}
	if b[0] != 3 || b[1] != 0 {
		return ErrTPKT
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < tpktHeaderLen+2 {
		return ErrRDPLength
	}
	if n > len(b) {
		return ErrRDPTruncated
	}
	b = b[:n]
	if b[5]&0xf0 != 0xe0 {
		return ErrX224 // another TPDU: CC, DT, DR, …
	}
	if n < rdpMinLen || int(b[4]) != n-tpktHeaderLen-1 {
		return ErrRDPLength
	}
	if b[10]&0xf0 != 0 {
		return ErrX224
	}
	v := b[tpktHeaderLen+x224CRLen:]

	// routingToken and cookie: each "Cookie: …" terminated by CR LF. The
	// spec allows one of them; servers tolerate both (§3.3.5.3.1), and so
	// does this parser.
	for range 2 {
		if len(v) < len("Cookie: ") || string(v[:len("Cookie: ")]) != "Cookie: " {
			break
		}
		end := crlf(v)
		if end < 0 {
			return ErrRDPCookie
		}
		val := v[len("Cookie: "):end]
		if len(val) >= len("mstshash=") && string(val[:len("mstshash=")]) == "mstshash=" {
			r.Cookie = val[len("mstshash="):]
		} else {
			r.RoutingToken = val
		}
		v = v[end+2:]
	}
	if len(v) == 0 {
		return nil
	}
	if v[0] != 1 {
		return ErrNotRDP
	}
	if len(v) < negReqLen || binary.LittleEndian.Uint16(v[2:]) != negReqLen {
		return ErrRDPNegReq
	}
	r.HasNegReq = true
	r.NegFlags = v[1]
	r.RequestedProtocols = binary.LittleEndian.Uint32(v[4:])
	v = v[negReqLen:]
	if r.NegFlags&NegCorrelationInfoPresent != 0 {
		if len(v) < correlLen || v[0] != 6 || v[1] != 0 || binary.LittleEndian.Uint16(v[2:]) != correlLen {
			return ErrRDPCorrelation
		}
		copy(r.Correlation[:], v[4:20])
		r.HasCorrelation = true
		v = v[correlLen:]
	}
	if len(v) != 0 {
		return ErrRDPLength
	}
	return nil
}

// crlf returns the index of the first CR LF in b, or -1.
func crlf(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}
