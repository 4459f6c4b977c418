package synth

import (
	"encoding/binary"
	"math"
	"net/netip"
	"time"
)

// Building and newer crane protocols: BACnet/IP and OPC UA binary. Same
// rules as the other payload builders: messages built by hand from their
// specifications, each a new slice the caller owns.

// BACnet/IP (ANSI/ASHRAE 135-2020): a BVLL message (Annex J.2) carries an
// NPDU (§6.2), which carries an APDU (§20.1) whose parameters are tagged
// values (§20.2).

// BACnetObject identifies a BACnet object: its type (§21,
// BACnetObjectType) and instance number (22 bits).
type BACnetObject struct {
	Type     uint16
	Instance uint32
}

// BACnet object types used by the terminal.
const (
	BACnetAnalogValue  uint16 = 2
	BACnetBinaryOutput uint16 = 4
	BACnetDevice       uint16 = 8
)

// BACnet property identifiers (§21, BACnetPropertyIdentifier).
const (
	BACnetPropFirmwareRevision uint32 = 44
	BACnetPropObjectName       uint32 = 77
	BACnetPropPresentValue     uint32 = 85
	BACnetPropSystemStatus     uint32 = 112
)

// BACnet confirmed services (§21, BACnetConfirmedServiceChoice) the
// builders answer for.
const (
	BACnetReadPropertyService       uint8 = 12
	BACnetWritePropertyService      uint8 = 15
	BACnetDeviceCommControlService  uint8 = 17
	BACnetReinitializeDeviceService uint8 = 20
	BACnetVTOpenService             uint8 = 21
)

// ReinitializeDevice states (§16.4.1.1.1) and DeviceCommunicationControl
// states (§16.1.1.1.2).
const (
	BACnetColdstart uint8 = 0
	BACnetWarmstart uint8 = 1

	BACnetCommEnable  uint8 = 0
	BACnetCommDisable uint8 = 1
)

// BACnet error classes and codes (§18), and reject reasons (§18.9).
const (
	BACnetErrorClassProperty uint32 = 2
	BACnetErrorClassSecurity uint32 = 4

	BACnetErrorUnknownProperty  uint32 = 32
	BACnetErrorPasswordFailure  uint32 = 26
	BACnetRejectUnrecognizedSvc uint8  = 9
)

// BACnetIdentity is what a device says of itself in I-Am (§16.10.3): its
// device instance, the largest APDU it accepts, its segmentation support
// (0 both … 3 none) and its vendor identifier (ASHRAE's list).
type BACnetIdentity struct {
	Instance     uint32
	MaxAPDU      uint16
	Segmentation uint8
	Vendor       uint16
}

// BVLC functions (Annex J.2) and NPDU control bits (§6.2.2).
const (
	bvlcUnicast      = 0x0a // Original-Unicast-NPDU
	bvlcBroadcast    = 0x0b // Original-Broadcast-NPDU
	npduExpectsReply = 0x04
)

// APDU types (§20.1.2.11), in the high nibble of the first octet.
const (
	apduConfirmed   = 0x00
	apduUnconfirmed = 0x10
	apduSimpleACK   = 0x20
	apduComplexACK  = 0x30
	apduError       = 0x50
	apduReject      = 0x60
)

// bvll wraps an APDU in an NPDU (version 1, no network addresses) and a
// BVLC header whose length counts the whole message.
func bvll(fn, npduCtl byte, apdu []byte) []byte {
	n := 6 + len(apdu)
	b := append(make([]byte, 0, n), 0x81, fn, byte(n>>8), byte(n), 1, npduCtl)
	return append(b, apdu...)
}

// bacnetConfirmed is a confirmed request (§20.1.2): unsegmented, no
// segmented response accepted, up to 1476-octet answers, unicast.
func bacnetConfirmed(invoke, service uint8, params []byte) []byte {
	return bvll(bvlcUnicast, npduExpectsReply, append([]byte{apduConfirmed, 0x05, invoke, service}, params...))
}

// bacnetUnconfirmed is an unconfirmed request (§20.1.3).
func bacnetUnconfirmed(broadcast bool, service uint8, params []byte) []byte {
	fn := byte(bvlcUnicast)
	if broadcast {
		fn = bvlcBroadcast
	}
	return bvll(fn, 0, append([]byte{apduUnconfirmed, service}, params...))
}

// appendBACnetTag appends a tag's initial octet (§20.2.1): tag number
// (under 15), class (context-specific when ctx) and length, with the
// extended length octets for n over 4.
func appendBACnetTag(b []byte, num uint8, ctx bool, n int) []byte {
	h := num << 4
	if ctx {
		h |= 0x08
	}
	switch {
	case n <= 4:
		return append(b, h|byte(n))
	case n <= 253:
		return append(b, h|5, byte(n))
	default:
		return binary.BigEndian.AppendUint16(append(b, h|5, 254), uint16(n))
	}
}

// appendBACnetUnsigned appends an unsigned or enumerated value in as few
// octets as hold it (§20.2.4, §20.2.11).
func appendBACnetUnsigned(b []byte, num uint8, ctx bool, v uint32) []byte {
	n := 1
	for v>>(8*n) != 0 && n < 4 {
		n++
	}
	b = appendBACnetTag(b, num, ctx, n)
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// appendBACnetObject appends an object identifier (§20.2.14): type in the
// top 10 bits, instance in the low 22.
func appendBACnetObject(b []byte, num uint8, ctx bool, o BACnetObject) []byte {
	b = appendBACnetTag(b, num, ctx, 4)
	return binary.BigEndian.AppendUint32(b, uint32(o.Type)<<22|o.Instance&0x3fffff)
}

// appendBACnetString appends a character string (§20.2.9), ANSI X3.4
// (UTF-8) encoded.
func appendBACnetString(b []byte, num uint8, ctx bool, s string) []byte {
	b = appendBACnetTag(b, num, ctx, 1+len(s))
	return append(append(b, 0), s...)
}

// Application-tagged values (§20.2.1.4: tag numbers 2 Unsigned, 4 Real, 7
// CharacterString, 9 Enumerated) for property values.

// BACnetUnsigned is an application-tagged Unsigned.
func BACnetUnsigned(v uint32) []byte { return appendBACnetUnsigned(nil, 2, false, v) }

// BACnetReal is an application-tagged Real (IEEE 754 single).
func BACnetReal(f float32) []byte {
	return binary.BigEndian.AppendUint32(appendBACnetTag(nil, 4, false, 4), math.Float32bits(f))
}

// BACnetString is an application-tagged CharacterString.
func BACnetString(s string) []byte { return appendBACnetString(nil, 7, false, s) }

// BACnetEnumerated is an application-tagged Enumerated (a binary
// object's present value: 0 inactive, 1 active).
func BACnetEnumerated(v uint32) []byte { return appendBACnetUnsigned(nil, 9, false, v) }

// BACnetWhoIs asks devices to announce themselves (§16.10.1), those with
// an instance from low to high, or all when low is negative.
func BACnetWhoIs(broadcast bool, low, high int32) []byte {
	var p []byte
	if low >= 0 {
		p = appendBACnetUnsigned(p, 0, true, uint32(low))
		p = appendBACnetUnsigned(p, 1, true, uint32(high))
	}
	return bacnetUnconfirmed(broadcast, 8, p)
}

// BACnetIAm announces a device (§16.10.3).
func BACnetIAm(broadcast bool, id BACnetIdentity) []byte {
	p := appendBACnetObject(nil, 12, false, BACnetObject{Type: BACnetDevice, Instance: id.Instance})
	p = appendBACnetUnsigned(p, 2, false, uint32(id.MaxAPDU))
	p = appendBACnetUnsigned(p, 9, false, uint32(id.Segmentation))
	p = appendBACnetUnsigned(p, 2, false, uint32(id.Vendor))
	return bacnetUnconfirmed(broadcast, 0, p)
}

// BACnetReadProperty reads a property of an object (§15.5.1.1).
func BACnetReadProperty(invoke uint8, o BACnetObject, prop uint32) []byte {
	p := appendBACnetObject(nil, 0, true, o)
	return bacnetConfirmed(invoke, BACnetReadPropertyService, appendBACnetUnsigned(p, 1, true, prop))
}

// BACnetReadPropertyACK answers a ReadProperty with the value, an
// application-tagged encoding (BACnetReal, …) (§15.5.1.3).
func BACnetReadPropertyACK(invoke uint8, o BACnetObject, prop uint32, value []byte) []byte {
	p := appendBACnetObject(nil, 0, true, o)
	p = appendBACnetUnsigned(p, 1, true, prop)
	p = append(append(append(p, 0x3e), value...), 0x3f) // opening and closing tag 3
	return bvll(bvlcUnicast, 0, append([]byte{apduComplexACK, invoke, BACnetReadPropertyService}, p...))
}

// BACnetWriteProperty writes a property (§15.9.1.1) at a command priority
// from 1 to 16 (0: none given).
func BACnetWriteProperty(invoke uint8, o BACnetObject, prop uint32, value []byte, priority uint8) []byte {
	p := appendBACnetObject(nil, 0, true, o)
	p = appendBACnetUnsigned(p, 1, true, prop)
	p = append(append(append(p, 0x3e), value...), 0x3f)
	if priority != 0 {
		p = appendBACnetUnsigned(p, 4, true, uint32(priority))
	}
	return bacnetConfirmed(invoke, BACnetWritePropertyService, p)
}

// BACnetSimpleACK accepts a confirmed request (§20.1.4).
func BACnetSimpleACK(invoke, service uint8) []byte {
	return bvll(bvlcUnicast, 0, []byte{apduSimpleACK, invoke, service})
}

// BACnetReinitializeDevice asks a device to restart (§16.4.1.1): state
// BACnetColdstart or BACnetWarmstart, with a password unless empty.
func BACnetReinitializeDevice(invoke, state uint8, password string) []byte {
	p := appendBACnetUnsigned(nil, 0, true, uint32(state))
	if password != "" {
		p = appendBACnetString(p, 1, true, password)
	}
	return bacnetConfirmed(invoke, BACnetReinitializeDeviceService, p)
}

// BACnetDeviceCommunicationControl enables or disables a device's
// communication (§16.1.1.1) for a number of minutes (0: indefinitely),
// with a password unless empty.
func BACnetDeviceCommunicationControl(invoke uint8, minutes uint16, state uint8, password string) []byte {
	var p []byte
	if minutes != 0 {
		p = appendBACnetUnsigned(p, 0, true, uint32(minutes))
	}
	p = appendBACnetUnsigned(p, 1, true, uint32(state))
	if password != "" {
		p = appendBACnetString(p, 2, true, password)
	}
	return bacnetConfirmed(invoke, BACnetDeviceCommControlService, p)
}

// BACnetVTOpen opens a virtual terminal session (§17.1.1) of the default
// terminal class; devices without VT answer with a Reject.
func BACnetVTOpen(invoke, session uint8) []byte {
	p := appendBACnetUnsigned(nil, 9, false, 0) // default-terminal
	return bacnetConfirmed(invoke, BACnetVTOpenService, appendBACnetUnsigned(p, 2, false, uint32(session)))
}

// BACnetError refuses a confirmed request with an error class and code
// (§20.1.7, §21 Error).
func BACnetError(invoke, service uint8, class, code uint32) []byte {
	p := appendBACnetUnsigned(nil, 9, false, class)
	p = appendBACnetUnsigned(p, 9, false, code)
	return bvll(bvlcUnicast, 0, append([]byte{apduError, invoke, service}, p...))
}

// BACnetReject rejects a confirmed request it cannot parse or does not
// support (§20.1.8).
func BACnetReject(invoke, reason uint8) []byte {
	return bvll(bvlcUnicast, 0, []byte{apduReject, invoke, reason})
}

// OPC UA binary (OPC 10000-6, UA Part 6): the UA Connection Protocol
// (§7.1: Hello, Acknowledge) and UA Secure Conversation (§6.7: OPN, MSG
// and CLO chunks with their security and sequence headers) over TCP,
// carrying services (OPC 10000-4, UA Part 4) encoded as UA Binary (§5.2):
// little-endian, strings and byte strings length-prefixed (-1 null), a
// message body starting with the NodeId of its encoding.

// OPCUASecurityPolicyNone is the URI of the None security policy.
const OPCUASecurityPolicyNone = "http://opcfoundation.org/UA/SecurityPolicy#None"

// OPCUANodeID is a NodeId (Part 6 §5.2.2.9): numeric ID in namespace NS,
// or a string identifier when Name is set.
type OPCUANodeID struct {
	NS   uint16
	ID   uint32
	Name string
}

// appendNodeID writes n in its shortest encoding: two-byte, four-byte,
// numeric or string.
func appendNodeID(b []byte, n OPCUANodeID) []byte {
	switch {
	case n.Name != "":
		b = binary.LittleEndian.AppendUint16(append(b, 3), n.NS)
		return appendUAString(b, n.Name)
	case n.NS == 0 && n.ID < 256:
		return append(b, 0, byte(n.ID))
	case n.NS < 256 && n.ID < 65536:
		return binary.LittleEndian.AppendUint16(append(b, 1, byte(n.NS)), uint16(n.ID))
	}
	b = binary.LittleEndian.AppendUint16(append(b, 2), n.NS)
	return binary.LittleEndian.AppendUint32(b, n.ID)
}

func appendUAString(b []byte, s string) []byte {
	return append(binary.LittleEndian.AppendUint32(b, uint32(len(s))), s...)
}

func appendUANull(b []byte) []byte { return binary.LittleEndian.AppendUint32(b, 0xffffffff) }

func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

// OPCUAVariant is a scalar Variant (Part 6 §5.2.2.16): its built-in type
// and value.
type OPCUAVariant struct {
	typ byte
	val []byte
}

// OPCUABoolean, OPCUAInt32, OPCUAFloat, OPCUADouble and OPCUAString make
// Variants of the built-in types 1, 6, 10, 11 and 12.
func OPCUABoolean(v bool) OPCUAVariant {
	if v {
		return OPCUAVariant{1, []byte{1}}
	}
	return OPCUAVariant{1, []byte{0}}
}

func OPCUAInt32(v int32) OPCUAVariant { return OPCUAVariant{6, appendU32(nil, uint32(v))} }

func OPCUAFloat(f float32) OPCUAVariant {
	return OPCUAVariant{10, appendU32(nil, math.Float32bits(f))}
}

func OPCUADouble(f float64) OPCUAVariant {
	return OPCUAVariant{11, binary.LittleEndian.AppendUint64(nil, math.Float64bits(f))}
}

func OPCUAString(s string) OPCUAVariant { return OPCUAVariant{12, appendUAString(nil, s)} }

func appendVariant(b []byte, v OPCUAVariant) []byte { return append(append(b, v.typ), v.val...) }

// appendDataValue writes a DataValue (§5.2.2.17) holding only a value.
func appendDataValue(b []byte, v OPCUAVariant) []byte { return appendVariant(append(b, 0x01), v) }

// OPCUAService is the body of a service request or response: the numeric
// NodeId of its DefaultBinary encoding (namespace 0) and the fields after
// its request or response header.
type OPCUAService struct {
	Type   uint16
	Body   []byte
	auth   OPCUANodeID // a CreateSessionResponse's authentication token
	status uint32      // a response's ServiceResult
}

// Encoding NodeIds (namespace 0) of the services and identity tokens the
// builders write.
const (
	uaServiceFault      = 397
	uaOpenRequest       = 446
	uaOpenResponse      = 449
	uaCloseChannel      = 452
	uaCreateSession     = 461
	uaCreateSessionRsp  = 464
	uaActivateSession   = 467
	uaActivateRsp       = 470
	uaCloseSession      = 473
	uaCloseSessionRsp   = 476
	uaRead              = 631
	uaReadRsp           = 634
	uaWrite             = 673
	uaWriteRsp          = 676
	uaCall              = 712
	uaCallRsp           = 715
	uaAnonymousToken    = 321
	uaUserNameToken     = 324
	uaAttributeValue    = 13
	uaSecurityModeNone  = 1
	uaApplicationClient = 1
)

// OPCUAHello opens a UA connection (Part 6 §7.1.2.3): protocol version 0,
// 64 KiB buffers, no message or chunk limit, the endpoint URL.
func OPCUAHello(url string) []byte {
	b := []byte{0, 0, 0, 0}
	for _, v := range []uint32{65536, 65536, 0, 0} {
		b = appendU32(b, v)
	}
	return uaChunk("HEL", appendUAString(b, url))
}

// OPCUAAcknowledge accepts it (§7.1.2.4) with the same limits.
func OPCUAAcknowledge() []byte {
	var b []byte
	for _, v := range []uint32{0, 65536, 65536, 0, 0} {
		b = appendU32(b, v)
	}
	return uaChunk("ACK", b)
}

// uaChunk frames a final chunk: message type, 'F', size of the whole.
func uaChunk(typ string, body []byte) []byte {
	b := append(make([]byte, 0, 8+len(body)), typ...)
	b = append(b, 'F')
	return append(appendU32(b, uint32(8+len(body))), body...)
}

// OPCUAChannel writes the messages of one secure channel with the None
// security policy and mode, as its client and server send them: sequence
// numbers per side, request ids and handles, and the session's
// authentication token once CreateSessionResponse has given it. Requests
// and responses alternate: a response answers the last request. Time is
// written into the headers; the caller moves it along.
type OPCUAChannel struct {
	ID    uint32 // SecureChannelId the server assigns
	Token uint32 // its security token's TokenId
	Time  time.Time
	auth  OPCUANodeID
	cseq  uint32
	sseq  uint32
	req   uint32
}

// uaSecured frames a chunk of the secure channel: type, channel id, the
// security header (asymmetric for OPN, else the token id), the sequence
// header and the body.
func (c *OPCUAChannel) uaSecured(typ string, channel uint32, fromServer bool, body []byte) []byte {
	b := appendU32(nil, channel)
	if typ == "OPN" {
		b = appendUAString(b, OPCUASecurityPolicyNone)
		b = appendUANull(appendUANull(b)) // no sender certificate, no receiver thumbprint
	} else {
		b = appendU32(b, c.Token)
	}
	seq := &c.cseq
	if fromServer {
		seq = &c.sseq
	}
	*seq++
	b = appendU32(appendU32(b, *seq), c.req)
	return uaChunk(typ, append(b, body...))
}

// requestHeader is Part 4 §7.32: authentication token, timestamp, request
// handle, no diagnostics, no audit entry, a 10 s timeout hint, no
// additional header.
func (c *OPCUAChannel) requestHeader(b []byte, typ uint16) []byte {
	b = appendNodeID(b, OPCUANodeID{ID: uint32(typ)})
	b = appendNodeID(b, c.auth)
	b = binary.LittleEndian.AppendUint64(b, filetime(c.Time))
	b = appendU32(appendU32(b, c.req), 0)
	b = appendU32(appendUANull(b), 10000)
	return append(b, 0, 0, 0)
}

// responseHeader is Part 4 §7.33: timestamp, the request's handle, the
// service result, no diagnostics, an empty string table, no additional
// header.
func (c *OPCUAChannel) responseHeader(b []byte, typ uint16, status uint32) []byte {
	b = appendNodeID(b, OPCUANodeID{ID: uint32(typ)})
	b = binary.LittleEndian.AppendUint64(b, filetime(c.Time))
	b = appendU32(appendU32(b, c.req), status)
	b = appendU32(append(b, 0), 0)
	return append(b, 0, 0, 0)
}

// Open is the OpenSecureChannelRequest (Part 4 §5.5.2): issue a token,
// security mode None, no client nonce, a one-hour lifetime.
func (c *OPCUAChannel) Open() []byte {
	c.req++
	b := c.requestHeader(nil, uaOpenRequest)
	b = appendU32(appendU32(appendU32(b, 0), 0), uaSecurityModeNone)
	b = appendU32(appendU32(b, 0), 3600000)
	return c.uaSecured("OPN", 0, false, b)
}

// OpenResponse grants the channel ID and token Token.
func (c *OPCUAChannel) OpenResponse() []byte {
	b := c.responseHeader(nil, uaOpenResponse, 0)
	b = appendU32(appendU32(appendU32(b, 0), c.ID), c.Token)
	b = binary.LittleEndian.AppendUint64(b, filetime(c.Time))
	b = appendU32(appendU32(b, 3600000), 0) // revised lifetime, empty server nonce
	return c.uaSecured("OPN", c.ID, true, b)
}

// Request is a MSG carrying service s, a new request.
func (c *OPCUAChannel) Request(s OPCUAService) []byte {
	c.req++
	return c.uaSecured("MSG", c.ID, false, append(c.requestHeader(nil, s.Type), s.Body...))
}

// Response is a MSG carrying service s, answering the last request. A
// CreateSessionResponse's authentication token goes into the requests
// after it.
func (c *OPCUAChannel) Response(s OPCUAService) []byte {
	if s.Type == uaCreateSessionRsp {
		c.auth = s.auth
	}
	return c.uaSecured("MSG", c.ID, true, append(c.responseHeader(nil, s.Type, s.status), s.Body...))
}

// Close is the CLO message ending the channel (Part 4 §5.5.3); the server
// closes the connection without answering.
func (c *OPCUAChannel) Close() []byte {
	c.req++
	return c.uaSecured("CLO", c.ID, false, c.requestHeader(nil, uaCloseChannel))
}

// OPCUAApplication describes a client application (Part 4 §7.2): its
// URI, product URI and name.
type OPCUAApplication struct{ URI, Product, Name string }

// OPCUACreateSessionRequest asks for a session (Part 4 §5.6.2) by a client
// application, on endpoint, named name; no nonce or certificate (None
// policy), a 20-minute timeout.
func OPCUACreateSessionRequest(app OPCUAApplication, endpoint, name string) OPCUAService {
	b := appendUAString(appendUAString(nil, app.URI), app.Product)
	b = appendUAString(append(b, 0x02), app.Name) // ApplicationName: LocalizedText with text
	b = appendU32(b, uaApplicationClient)
	b = appendU32(appendUANull(appendUANull(b)), 0) // gateway, discovery profile, no discovery URLs
	b = appendUAString(appendUANull(b), endpoint)   // server URI, endpoint URL
	b = appendUAString(b, name)
	b = appendUANull(appendUANull(b)) // client nonce, certificate
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(1.2e6))
	return OPCUAService{Type: uaCreateSession, Body: appendU32(b, 0)}
}

// OPCUACreateSessionResponse grants a session (Part 4 §5.6.2.2): its id
// and authentication token (numeric NodeIds in namespace 1),
// the timeout, no nonce, certificate, endpoints or signature.
func OPCUACreateSessionResponse(session, auth uint32) OPCUAService {
	tok := OPCUANodeID{NS: 1, ID: auth}
	b := appendNodeID(nil, OPCUANodeID{NS: 1, ID: session})
	b = appendNodeID(b, tok)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(1.2e6))
	b = appendUANull(appendUANull(b))                                               // server nonce, certificate
	b = appendU32(appendU32(b, 0), 0)                                               // no endpoints, no software certificates
	b = appendUANull(appendUANull(b))                                               // signature algorithm, signature
	return OPCUAService{Type: uaCreateSessionRsp, Body: appendU32(b, 0), auth: tok} // max request size
}

// OPCUAActivateSessionRequest activates the session (Part 4 §5.6.3) with
// an anonymous identity token when user is empty, else a user name token
// whose password goes in clear (no encryption algorithm: the None policy).
func OPCUAActivateSessionRequest(user, password string) OPCUAService {
	b := appendUANull(appendUANull(nil)) // client signature
	b = appendU32(b, 0)                  // no software certificates
	b = appendUAString(appendU32(b, 1), "en")
	var tok []byte
	typ := uint32(uaAnonymousToken)
	if user == "" {
		tok = appendUAString(nil, "anonymous")
	} else {
		typ = uaUserNameToken
		tok = appendUAString(appendUAString(nil, "username"), user)
		tok = appendUANull(appendUAString(tok, password))
	}
	b = appendNodeID(b, OPCUANodeID{ID: typ})
	b = append(appendU32(append(b, 0x01), uint32(len(tok))), tok...) // ExtensionObject with a binary body
	return OPCUAService{Type: uaActivateSession, Body: appendUANull(appendUANull(b))}
}

// OPCUAActivateSessionResponse accepts it: no nonce, no results.
func OPCUAActivateSessionResponse() OPCUAService {
	return OPCUAService{Type: uaActivateRsp, Body: appendU32(appendU32(appendUANull(nil), 0), 0)}
}

// OPCUAReadRequest reads the Value attribute of nodes (Part 4 §5.10.2),
// the newest value, with no timestamps.
func OPCUAReadRequest(nodes ...OPCUANodeID) OPCUAService {
	b := binary.LittleEndian.AppendUint64(nil, 0)
	b = appendU32(appendU32(b, 3), uint32(len(nodes)))
	for _, n := range nodes {
		b = appendU32(appendNodeID(b, n), uaAttributeValue)
		b = appendUANull(binary.LittleEndian.AppendUint16(appendUANull(b), 0)) // index range, data encoding
	}
	return OPCUAService{Type: uaRead, Body: b}
}

// OPCUAReadResponse answers with the values, in order.
func OPCUAReadResponse(values ...OPCUAVariant) OPCUAService {
	b := appendU32(nil, uint32(len(values)))
	for _, v := range values {
		b = appendDataValue(b, v)
	}
	return OPCUAService{Type: uaReadRsp, Body: appendU32(b, 0)}
}

// OPCUAWriteRequest writes the Value attribute of a node (Part 4 §5.10.4).
func OPCUAWriteRequest(node OPCUANodeID, v OPCUAVariant) OPCUAService {
	b := appendU32(appendNodeID(appendU32(nil, 1), node), uaAttributeValue)
	return OPCUAService{Type: uaWrite, Body: appendDataValue(appendUANull(b), v)}
}

// OPCUAWriteResponse answers n writes with Good.
func OPCUAWriteResponse(n int) OPCUAService {
	b := appendU32(nil, uint32(n))
	for range n {
		b = appendU32(b, 0)
	}
	return OPCUAService{Type: uaWriteRsp, Body: appendU32(b, 0)}
}

// OPCUACallRequest calls a method of an object (Part 4 §5.11.2) with its
// input arguments.
func OPCUACallRequest(object, method OPCUANodeID, args ...OPCUAVariant) OPCUAService {
	b := appendNodeID(appendNodeID(appendU32(nil, 1), object), method)
	b = appendU32(b, uint32(len(args)))
	for _, a := range args {
		b = appendVariant(b, a)
	}
	return OPCUAService{Type: uaCall, Body: b}
}

// OPCUACallResponse answers one call with Good and its output arguments.
func OPCUACallResponse(outputs ...OPCUAVariant) OPCUAService {
	b := appendU32(appendU32(appendU32(appendU32(nil, 1), 0), 0), 0) // status, no argument results or diagnostics
	b = appendU32(b, uint32(len(outputs)))
	for _, o := range outputs {
		b = appendVariant(b, o)
	}
	return OPCUAService{Type: uaCallRsp, Body: appendU32(b, 0)}
}

// OPC UA status codes (Part 4 §7.39, Part 6 Annex A).
const (
	OPCUABadIdentityTokenRejected uint32 = 0x80210000
	OPCUABadUserAccessDenied      uint32 = 0x801f0000
)

// OPCUAServiceFault refuses a request with a Bad status (Part 4 §7.34).
func OPCUAServiceFault(status uint32) OPCUAService {
	return OPCUAService{Type: uaServiceFault, status: status}
}

// OPCUACloseSessionRequest closes the session (Part 4 §5.6.4), deleting
// its subscriptions.
func OPCUACloseSessionRequest() OPCUAService {
	return OPCUAService{Type: uaCloseSession, Body: []byte{1}}
}

// OPCUACloseSessionResponse accepts it.
func OPCUACloseSessionResponse() OPCUAService {
	return OPCUAService{Type: uaCloseSessionRsp, Body: nil}
}

// The scenarios' BACnet and OPC UA conversations.

// hvacDevice is what STS-01's e-house HVAC controller says in I-Am:
// device 1301, Siemens (vendor 7), 1476-octet APDUs, no segmentation.
var hvacDevice = BACnetIdentity{Instance: 1301, MaxAPDU: 1476, Segmentation: 3, Vendor: 7}

// Objects of the HVAC controller: the supply air setpoint and the
// compressor enable of the drive-cabinet cooling.
var (
	hvacSetpoint   = BACnetObject{Type: BACnetAnalogValue, Instance: 1}
	hvacCompressor = BACnetObject{Type: BACnetBinaryOutput, Instance: 1}
)

// bmsPoll is normal traffic: the building management server finds
// STS-01's e-house HVAC controller (Who-Is, I-Am) and reads its supply air
// setpoint every 10 s.
func (t *term) bmsPoll() {
	bms, hvac := t.m.bms.Host, t.m.hvac.Host
	t.do(6*time.Second+ms(500), func() {
		t.udp(bms, hvac, 47808, 47808,
			cl(BACnetWhoIs(false, int32(hvacDevice.Instance), int32(hvacDevice.Instance)), 0),
			sv(BACnetIAm(false, hvacDevice), ms(4)))
	})
	var invoke uint8 = 100
	t.every(7*time.Second, 10*time.Second, 0, func() {
		invoke++
		v := float32(21.5 + 0.5*math.Sin(float64(invoke)/5))
		t.udp(bms, hvac, 47808, 47808,
			cl(BACnetReadProperty(invoke, hvacSetpoint, BACnetPropPresentValue), 0),
			sv(BACnetReadPropertyACK(invoke, hvacSetpoint, BACnetPropPresentValue, BACnetReal(v)), ms(5)))
	})
}

// bmsHVAC: the building management server supervises STS-01's e-house
// HVAC controller (allowed by its conduit): Who-Is and I-Am, the device's
// status and the setpoint, a property the object lacks (Error), then a
// setpoint write at the BMS's schedule priority 16.
func (t *term) bmsHVAC() {
	dev := BACnetObject{Type: BACnetDevice, Instance: hvacDevice.Instance}
	t.udp(t.m.bms.Host, t.m.hvac.Host, 47808, 47808,
		cl(BACnetWhoIs(false, int32(hvacDevice.Instance), int32(hvacDevice.Instance)), 0),
		sv(BACnetIAm(false, hvacDevice), ms(4)),
		cl(BACnetReadProperty(1, dev, BACnetPropSystemStatus), ms(30)),
		sv(BACnetReadPropertyACK(1, dev, BACnetPropSystemStatus, BACnetEnumerated(0)), ms(6)), // operational
		cl(BACnetReadProperty(2, hvacSetpoint, BACnetPropPresentValue), ms(20)),
		sv(BACnetReadPropertyACK(2, hvacSetpoint, BACnetPropPresentValue, BACnetReal(21.5)), ms(5)),
		cl(BACnetReadProperty(3, hvacSetpoint, BACnetPropFirmwareRevision), ms(20)),
		sv(BACnetError(3, BACnetReadPropertyService, BACnetErrorClassProperty, BACnetErrorUnknownProperty), ms(4)),
		cl(BACnetWriteProperty(4, hvacSetpoint, BACnetPropPresentValue, BACnetReal(22), 16), ms(200)),
		sv(BACnetSimpleACK(4, BACnetWritePropertyService), ms(9)))
}

// officeHVAC: a TOS workstation finds the HVAC controller, switches the
// compressor off and the setpoint up, tries a virtual terminal (Reject),
// silences the device, fails one restart on a wrong password and cold
// starts it with the right one; the controller announces itself by
// broadcast once restarted.
func (t *term) officeHVAC() {
	dev := BACnetObject{Type: BACnetDevice, Instance: hvacDevice.Instance}
	const pw = "hvac2019"
	hvac := t.m.hvac.Host
	t.udp(hTOSWS, hvac, 47808, 47808,
		cl(BACnetWhoIs(false, int32(hvacDevice.Instance), int32(hvacDevice.Instance)), 0),
		sv(BACnetIAm(false, hvacDevice), ms(4)),
		cl(BACnetReadProperty(10, dev, BACnetPropObjectName), ms(300)),
		sv(BACnetReadPropertyACK(10, dev, BACnetPropObjectName, BACnetString("STS01 E-House AHU-1")), ms(6)),
		cl(BACnetReadProperty(11, hvacCompressor, BACnetPropPresentValue), ms(800)),
		sv(BACnetReadPropertyACK(11, hvacCompressor, BACnetPropPresentValue, BACnetEnumerated(1)), ms(5)),
		cl(BACnetWriteProperty(12, hvacCompressor, BACnetPropPresentValue, BACnetEnumerated(0), 8), ms(1500)),
		sv(BACnetSimpleACK(12, BACnetWritePropertyService), ms(9)),
		cl(BACnetWriteProperty(13, hvacSetpoint, BACnetPropPresentValue, BACnetReal(35), 8), ms(900)),
		sv(BACnetSimpleACK(13, BACnetWritePropertyService), ms(8)),
		cl(BACnetVTOpen(14, 1), ms(2000)),
		sv(BACnetReject(14, BACnetRejectUnrecognizedSvc), ms(3)),
		cl(BACnetDeviceCommunicationControl(15, 60, BACnetCommDisable, pw), ms(1200)),
		sv(BACnetSimpleACK(15, BACnetDeviceCommControlService), ms(7)),
		cl(BACnetReinitializeDevice(16, BACnetWarmstart, "admin"), ms(3000)),
		sv(BACnetError(16, BACnetReinitializeDeviceService, BACnetErrorClassSecurity, BACnetErrorPasswordFailure), ms(5)),
		cl(BACnetReinitializeDevice(17, BACnetColdstart, pw), ms(1500)),
		sv(BACnetSimpleACK(17, BACnetReinitializeDeviceService), ms(6)))
	all := Host{Name: "broadcast", IP: netip.AddrFrom4([4]byte{255, 255, 255, 255}), MAC: [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		VLAN: hvac.VLAN}
	t.after(20*time.Second, func() { t.udp(hvac, all, 47808, 47808, cl(BACnetIAm(true, hvacDevice), 0)) })
}

// S7-1500 OPC UA nodes of STS-01's hoist (namespace 3, string ids as TIA
// Portal names them).
var (
	uaHoist       = OPCUANodeID{NS: 3, Name: `"Hoist"`}
	uaHoistSpeed  = OPCUANodeID{NS: 3, Name: `"DB_Hoist"."ActualSpeed"`}
	uaHoistLoad   = OPCUANodeID{NS: 3, Name: `"DB_Hoist"."LoadTons"`}
	uaHoistLimit  = OPCUANodeID{NS: 3, Name: `"DB_HoistLimits"."MaxSpeed"`}
	uaResetBrakes = OPCUANodeID{NS: 3, Name: `"Hoist"."ResetBrakeFault"`}
)

// opcua is one OPC UA session on the S7-1500 server of plc (port 4840)
// over a channel with the None policy and mode: Hello, OpenSecureChannel,
// CreateSession, then the services of svc as request/response pairs
// (ActivateSession among them), CloseSession and CloseSecureChannel.
func (t *term) opcua(c, plc Host, channel uint32, svc ...OPCUAService) {
	url := "opc.tcp://" + plc.IP.String() + ":4840"
	ch := &OPCUAChannel{ID: channel, Token: 1, Time: t.b.Now()}
	step := func(d time.Duration) time.Duration { ch.Time = ch.Time.Add(d); return d }
	ex := []Exchange{
		cl(OPCUAHello(url), 0),
		sv(OPCUAAcknowledge(), ms(1.2)),
		cl(ch.Open(), step(ms(0.6))),
		sv(ch.OpenResponse(), step(ms(2.5))),
		cl(ch.Request(OPCUACreateSessionRequest(OPCUAApplication{URI: "urn:" + c.Name + ":UnifiedAutomation:UaExpert",
			Product: "urn:UnifiedAutomation:UaExpert", Name: "UaExpert"}, url, c.Name+" session")), step(ms(1))),
		sv(ch.Response(OPCUACreateSessionResponse(channel+1000, channel+5000)), step(ms(4))),
	}
	for i := 0; i+1 < len(svc); i += 2 {
		think := ms(150)
		if svc[i].Type == uaActivateSession {
			think = ms(1)
		}
		ex = append(ex, cl(ch.Request(svc[i]), step(think)), sv(ch.Response(svc[i+1]), step(ms(4))))
	}
	ex = append(ex,
		cl(ch.Request(OPCUACloseSessionRequest()), step(ms(500))),
		sv(ch.Response(OPCUACloseSessionResponse()), step(ms(2))),
		cl(ch.Close(), step(ms(1))))
	t.tcp(c, plc, 4840, ex...)
}

// opcuaCrane: the engineering workstation opens an unsecured OPC UA
// session on the STS-01 PLC as user "engineer", reads the hoist
// (allowed), raises its speed limit and resets a brake fault by method
// call (not allowed); the TOS server, over no conduit, is refused as user
// "tos" and reads the hoist anonymously.
func (t *term) opcuaCrane() {
	s := time.Second
	plc := t.m.cranes[0].plc.Host
	read := []OPCUAService{OPCUAReadRequest(uaHoistSpeed, uaHoistLoad), OPCUAReadResponse(OPCUADouble(0.42), OPCUAFloat(38.5))}
	t.do(43*s+ms(700), func() {
		t.opcua(t.m.ews.Host, plc, 7,
			OPCUAActivateSessionRequest("engineer", "Crane#2026"), OPCUAActivateSessionResponse(),
			read[0], read[1],
			OPCUAWriteRequest(uaHoistLimit, OPCUADouble(1.8)), OPCUAWriteResponse(1),
			OPCUACallRequest(uaHoist, uaResetBrakes, OPCUABoolean(true)), OPCUACallResponse(OPCUAInt32(0)))
	})
	t.do(48*s+ms(900), func() {
		t.opcua(t.m.tos.Host, plc, 8,
			OPCUAActivateSessionRequest("tos", "tos"), OPCUAServiceFault(OPCUABadUserAccessDenied),
			OPCUAActivateSessionRequest("", ""), OPCUAActivateSessionResponse(),
			read[0], read[1])
	})
}

// bmsOverride: the BMS's supervision (allowed) and the office
// workstation's override of the e-house HVAC.
func (t *term) bmsOverride() {
	s := time.Second
	t.do(11*s+ms(300), t.bmsHVAC)
	t.do(26*s+ms(400), t.officeHVAC)
}
