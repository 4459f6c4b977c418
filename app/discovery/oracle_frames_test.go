package discovery

// oracleFrame is one frame of the oracle capture, the protocol it carries
// and where its payload, the parser's input, lies in it.
type oracleFrame struct {
	name       string
	proto      string // "lldp", "cdp", "dcp" or "dhcp"
	frame      []byte
	start, end int
}

func (f oracleFrame) payload() []byte { return f.frame[f.start:f.end] }

// oracleFrames is every message of messages_test.go in a frame, as a
// capture of the crane network would hold it.
func oracleFrames() []oracleFrame {
	var fs []oracleFrame
	eth := func(name, proto, dst, src string, etype uint16, p []byte) {
		fs = append(fs, oracleFrame{name, proto, ether(dst, src, etype, p), 14, 14 + len(p)})
	}
	const lldpMC, dcpMC = "01:80:c2:00:00:0e", "01:0e:cf:00:00:00"
	eth("lldp scalance", "lldp", lldpMC, macScalance, 0x88cc, lldpScalance)
	eth("lldp et200sp", "lldp", lldpMC, macET200SP, 0x88cc, lldpET200SP)
	eth("lldp linux", "lldp", lldpMC, macLinux, 0x88cc, lldpLinux)
	for _, c := range cdpVariants() {
		fs = append(fs, oracleFrame{c.name, "cdp", dot3("01:00:0c:cc:cc:cc", macCisco, c.in), 14, 14 + len(c.in)})
	}
	eth("dcp identify response", "dcp", macPLC, macET200SP, 0x8892, dcpET200SPIdent)
	eth("dcp identify all", "dcp", dcpMC, macPLC, 0x8892, dcpIdentAll)
	eth("dcp identify name", "dcp", dcpMC, macPLC, 0x8892, dcpIdentName)
	eth("dcp set name", "dcp", macET200SP, macPLC, 0x8892, dcpSetName)
	eth("dcp set response", "dcp", macPLC, macET200SP, 0x8892, dcpSetResp)
	eth("dcp hello", "dcp", "01:0e:cf:00:00:01", macET200SP, 0x8892, dcpHello)
	eth("dcp get request", "dcp", macET200SP, macPLC, 0x8892, dcpGetReq)
	eth("dcp get response", "dcp", macPLC, macET200SP, 0x8892, dcpGetResp)
	udp := func(name, srcMAC, dstMAC, src, dst string, sport, dport uint16, p []byte) {
		fs = append(fs, oracleFrame{name, "dhcp", udp4(srcMAC, dstMAC, src, dst, sport, dport, p), 42, 42 + len(p)})
	}
	const bcast = "ff:ff:ff:ff:ff:ff"
	udp("dhcp discover", macHMI, bcast, "0.0.0.0", "255.255.255.255", 68, 67, dhcpDiscoverWin)
	udp("dhcp request", macCamera, bcast, "0.0.0.0", "255.255.255.255", 68, 67, dhcpRequestCam)
	udp("dhcp ack", macDHCPSrv, bcast, "10.20.5.1", "255.255.255.255", 67, 68, dhcpAckCam)
	udp("dhcp inform", macPLC, macDHCPSrv, "10.20.1.10", "10.20.5.1", 68, 67, dhcpInformPLC)
	return fs
}

type namedInput struct {
	name string
	in   []byte
}

// cdpVariants are the IE-4000's advertisement and small ones whose odd
// lengths exercise Cisco's checksum quirk, plus one with a wrong checksum.
func cdpVariants() []namedInput {
	bad := exact(cdpIE4000)
	bad[10] ^= 0x01
	return []namedInput{
		{"cdp ie4000", cdpIE4000},
		{"cdp odd length low last octet", cdpOddLow},
		{"cdp odd length high last octet", cdpOddHigh},
		{"cdp bad checksum", bad},
	}
}
