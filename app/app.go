// Package app names the application protocols harborwatch identifies on a
// flow. The names are the ones used in site.yaml conduits (`protocols:`) and
// in the `app` field of findings and events; keep them stable.
//
// The parsers for each protocol live in the subpackages (app/dns, app/tls,
// app/http, app/remote, app/xfer, app/ntp) with their probes and analyzers;
// package pipeline's registry lists them with the App each probe names.
package app

import "strconv"

// App is an identified application protocol.
type App uint8

// Applications. Unknown renders as tcp/PORT or udp/PORT (see Name).
const (
	Unknown App = iota
	DNS
	HTTP
	HTTPS // TLS on any port
	SSH
	Telnet
	RDP
	VNC
	TeamViewer
	AnyDesk
	FTP
	TFTP
	SMB
	NTP
	RTSP
	Modbus
	S7comm
	S7commPlus
	ENIP
	BACnet
	OPCUA
	IEC104
	DNP3
	DCERPC   // DCE-RPC / MSRPC (DCOM, OPC Classic)
	PROFINET // PROFINET IO: context management over UDP, real-time frames and DCP at layer 2
	numApps
)

var names = [numApps]string{
	Unknown:    "",
	DNS:        "dns",
	HTTP:       "http",
	HTTPS:      "https",
	SSH:        "ssh",
	Telnet:     "telnet",
	RDP:        "rdp",
	VNC:        "vnc",
	TeamViewer: "teamviewer",
	AnyDesk:    "anydesk",
	FTP:        "ftp",
	TFTP:       "tftp",
	SMB:        "smb",
	NTP:        "ntp",
	RTSP:       "rtsp",
	Modbus:     "modbus",
	S7comm:     "s7comm",
	S7commPlus: "s7comm-plus",
	ENIP:       "enip",
	BACnet:     "bacnet",
	OPCUA:      "opcua",
	IEC104:     "iec104",
	DNP3:       "dnp3",
	DCERPC:     "dcerpc",
	PROFINET:   "profinet",
}

// String returns the protocol name ("" for Unknown).
func (a App) String() string {
	if a < numApps {
		return names[a]
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (a App) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Parse returns the App with the given name; aliases: tls → https, cip → enip.
func Parse(name string) (App, bool) {
	switch name {
	case "tls":
		return HTTPS, true
	case "cip":
		return ENIP, true
	case "":
		return Unknown, false
	}
	for i, n := range names {
		if n == name {
			return App(i), true
		}
	}
	return Unknown, false
}

// Name returns the name of a flow's application as findings and conduits
// use it: the protocol's name, or "tcp/PORT" / "udp/PORT" (server port) when
// it is Unknown. transport is "tcp", "udp" or another IP protocol name.
func Name(a App, transport string, port uint16) string {
	if a != Unknown {
		return a.String()
	}
	if transport == "tcp" || transport == "udp" {
		return transport + "/" + strconv.Itoa(int(port))
	}
	return transport
}

// Transport names an IP protocol as findings and conduits do: tcp, udp,
// icmp, icmpv6, else ip/N; 0 names what IP does not carry at all (a
// layer-2 protocol such as PROFINET DCP): ethernet.
func Transport(proto uint8) string {
	switch proto {
	case 0:
		return "ethernet"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	case 58:
		return "icmpv6"
	}
	return "ip/" + strconv.Itoa(int(proto))
}

// RemoteAccess reports whether a is an interactive remote-access protocol
// (the advisory's vendor remote sessions).
// ICS reports whether a is an industrial control protocol (Modbus/TCP,
// S7comm, S7comm-plus, EtherNet/IP, BACnet/IP, OPC UA, IEC 60870-5-104,
// DNP3). PROFINET is left out: its context management is a controller
// setting up its I/O devices, not one host polling another.
func (a App) ICS() bool {
	switch a {
	case Modbus, S7comm, S7commPlus, ENIP, BACnet, OPCUA, IEC104, DNP3:
		return true
	}
	return false
}

func (a App) RemoteAccess() bool {
	switch a {
	case SSH, Telnet, RDP, VNC, TeamViewer, AnyDesk:
		return true
	}
	return false
}

// FileTransfer reports whether a is a cleartext file-transfer protocol.
func (a App) FileTransfer() bool { return a == FTP || a == TFTP || a == SMB }

// ByPort guesses the application from a registered server port. It is used
// only for flows that carried no payload to identify (a refused or
// unanswered connection), so that conduits naming a protocol still apply.
func ByPort(transport uint8, port uint16) App {
	const tcp, udp = 6, 17
	switch transport {
	case tcp:
		switch port {
		case 53:
			return DNS
		case 80, 8080:
			return HTTP
		case 443, 8443:
			return HTTPS
		case 22:
			return SSH
		case 23:
			return Telnet
		case 3389:
			return RDP
		case 5900, 5901, 5902, 5903:
			return VNC
		case 5938:
			return TeamViewer
		case 7070, 6568:
			return AnyDesk
		case 21:
			return FTP
		case 445, 139:
			return SMB
		case 554:
			return RTSP
		case 502:
			return Modbus
		case 102:
			return S7comm
		case 44818:
			return ENIP
		case 4840:
			return OPCUA
		case 2404:
			return IEC104
		case 20000:
			return DNP3
		case 135:
			return DCERPC
		}
	case udp:
		switch port {
		case 53, 5353, 5355:
			return DNS
		case 69:
			return TFTP
		case 123:
			return NTP
		case 3389:
			return RDP
		case 5938:
			return TeamViewer
		case 2222, 44818:
			return ENIP
		case 47808:
			return BACnet
		case 34964:
			return PROFINET
		}
	}
	return Unknown
}
