package pipeline

import (
	"harborwatch/app"
	"harborwatch/app/dns"
	apphttp "harborwatch/app/http"
	"harborwatch/app/ntp"
	"harborwatch/app/remote"
	apptls "harborwatch/app/tls"
	"harborwatch/app/xfer"
	"harborwatch/ics/bacnet"
	"harborwatch/ics/dcerpc"
	"harborwatch/ics/dnp3"
	"harborwatch/ics/enip"
	"harborwatch/ics/iec104"
	"harborwatch/ics/modbus"
	"harborwatch/ics/opcua"
	"harborwatch/ics/profinet"
	"harborwatch/ics/s7"
	"harborwatch/proto"
)

// entry is one line of the registry: a probe, the application it names
// (app.Unknown for a protocol that has no name in the site vocabulary:
// its flows are named by port) and the analyzer that reads the flows it
// names (nil: identified only).
type entry struct {
	app   app.App
	probe proto.Probe
	spec  *proto.Spec
}

// registry lists every protocol the pipeline identifies and analyzes. A
// flow's payloads are offered to the probes of its transport in this order
// until one answers (the way Zeek's dynamic protocol detection attaches
// analyzers); its protocol's analyzer then reads it. Order matters where
// probes overlap: RDP on 3389 before the S7 dialects, which share TPKT
// with RDP's X.224 requests; AnyDesk's ports before TLS on any port; RTSP
// before HTTP. Several lines may share one analyzer (one Spec): a flow
// whose line changes between them (COTP, then S7comm-plus) keeps its
// state. Adding a protocol is its package plus one line here.
var registry = []entry{
	// TCP
	{app.RDP, remote.RDPPortProbe, &remote.RDPSpec},
	{app.S7comm, s7.Probe, &s7.Spec},
	{app.S7commPlus, s7.ProbePlus, &s7.Spec},
	{app.RDP, remote.RDPProbe, &remote.RDPSpec},
	{app.S7comm, s7.ProbePort, &s7.Spec},
	{app.AnyDesk, apptls.AnyDeskProbe, &apptls.Spec},
	{app.HTTPS, apptls.RecordProbe, &apptls.Spec},
	{app.RTSP, apphttp.RTSPProbe, nil},
	{app.HTTP, apphttp.Probe, &apphttp.Spec},
	{app.SSH, remote.SSHProbe, &remote.SSHSpec},
	{app.VNC, remote.VNCProbe, &remote.VNCSpec},
	{app.SMB, xfer.SMBProbe, &xfer.SMBSpec},
	{app.TeamViewer, remote.TeamViewerProbe, &apptls.Spec},
	{app.Modbus, modbus.Probe, &modbus.Spec},
	{app.ENIP, enip.Probe, &enip.Spec},
	{app.IEC104, iec104.Probe, &iec104.Spec},
	{app.DNP3, dnp3.Probe, &dnp3.Spec},
	{app.DCERPC, dcerpc.Probe, &dcerpc.Spec}, // any port, by its PDU header (the endpoint mapper's 135 and the dynamic ports DCOM hands out)
	{app.OPCUA, opcua.Probe, &opcua.Spec},    // any port, by its message header: after the port-bound ones
	{app.FTP, xfer.FTPProbe, &xfer.FTPSpec},
	{app.Telnet, remote.TelnetProbe, &remote.TelnetSpec},
	{app.DNS, dns.TCPProbe, &dns.Spec},
	// UDP
	{app.DNS, dns.UDPProbe, &dns.Spec},
	{app.TFTP, xfer.TFTPProbe, &xfer.TFTPSpec},
	{app.NTP, ntp.Probe, nil},
	{app.ENIP, enip.ProbeIO, &enip.Spec},
	{app.ENIP, enip.ProbeUDP, &enip.Spec},
	{app.BACnet, bacnet.Probe, &bacnet.Spec},
	{app.PROFINET, profinet.Probe, &profinet.Spec}, // any port, by its connectionless DCE-RPC header naming a PNIO interface
	{app.PROFINET, profinet.ProbeRT, &pnRTSpec},    // RT_CLASS_UDP on 34962–34964, read by the shard (profinet_udp.go)
	{app.DCERPC, dcerpc.ProbeUDP, &dcerpc.Spec},    // connectionless DCE-RPC of other interfaces, any port
	{app.TeamViewer, remote.TeamViewerUDPProbe, &apptls.Spec},
	{app.RDP, remote.RDPUDPProbe, &remote.RDPSpec},
}

// analyzers is a shard's view of the registry: its lines, the distinct
// analyzers they name, each one's analyzer (made on first use) and
// counters.
type analyzers struct {
	reg    []entry
	specOf []int // per line: index in specs, -1 for none
	specs  []*proto.Spec
	ans    []proto.Analyzer
	flows  [][2]proto.Flow // per analyzer not PerFlow: the Flow serving TCP, UDP flows
	counts []analyzerCounts
	free   []*anState // per-flow states
}

// analyzerCounts are one analyzer's counters in one shard.
type analyzerCounts struct {
	confirmed  uint64 // flows the analyzer confirmed
	violations uint64 // flows on which it met what it could not parse
	errors     uint64 // framing errors and malformed PDUs (decode_errors)
	resyncs    uint64 // PDU boundaries found again after gaps (proto.Gapped)
	skipped    uint64 // bytes skipped to find them
	dropped    uint64 // bookkeeping that did not fit (proto.Dropper)
}

func newAnalyzers(reg []entry) analyzers {
	if len(reg) > 255 {
		panic("pipeline: more than 255 registry lines")
	}
	a := analyzers{reg: reg, specOf: make([]int, len(reg))}
	for i, e := range reg {
		a.specOf[i] = -1
		if e.spec == nil {
			continue
		}
		j := 0
		for j < len(a.specs) && a.specs[j] != e.spec {
			j++
		}
		if j == len(a.specs) {
			a.specs = append(a.specs, e.spec)
		}
		a.specOf[i] = j
	}
	a.ans = make([]proto.Analyzer, len(a.specs))
	a.flows = make([][2]proto.Flow, len(a.specs))
	a.counts = make([]analyzerCounts, len(a.specs))
	return a
}

// analyzer returns the shard's analyzer of spec i.
func (a *analyzers) analyzer(i int) proto.Analyzer {
	if a.ans[i] == nil {
		a.ans[i] = a.specs[i].New()
	}
	return a.ans[i]
}

// shared returns the Flow serving every flow of analyzer i (not PerFlow)
// carried by IP protocol transport (TCP or UDP).
func (a *analyzers) shared(i int, transport uint8) proto.Flow {
	k := 0
	if proto.Transport(transport) == proto.UDP {
		k = 1
	}
	if a.flows[i][k] == nil {
		a.flows[i][k] = a.analyzer(i).Open(proto.Transport(transport))
	}
	return a.flows[i][k]
}
