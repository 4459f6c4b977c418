package capture

import "testing"

// TestRealFiles reads captures made by other tools. The expected values
// were read with tshark and are kept here as constants.
func TestRealFiles(t *testing.T) {
	tests := []struct {
		file      string
		packets   int
		bytes     int   // sum of captured lengths
		firstTS   int64 // frame.time_epoch of packet 1, in nanoseconds
		firstLen  int
		firstOff  int64
		lastTS    int64
		lastLen   int
		link      LinkType
		midNumber int64 // a packet in the middle, if any
		midTS     int64
		midLen    int
	}{
		{
			file: "modbus_example.pcap", packets: 100, bytes: 7322,
			firstTS: 1595660608_237857000, firstLen: 74, firstOff: 24,
			lastTS: 1595890833_407055000, lastLen: 75, link: LinkEthernet,
			midNumber: 50, midTS: 1595660608_240094000, midLen: 78,
		},
		{
			file: "multiple_service_packet_cip.pcapng", packets: 1, bytes: 264,
			// SHB 28 bytes, IDB 20 bytes: the EPB starts at 48.
			firstTS: 1224804549_022338000, firstLen: 264, firstOff: 48,
			lastTS: 1224804549_022338000, lastLen: 264, link: LinkEthernet,
		},
		{
			file: "set_attribute_single_service_cip.pcapng", packets: 1, bytes: 110,
			// SHB 0xb0 bytes, IDB 0x48 bytes: the EPB starts at 0xf8.
			firstTS: 1738823410_493630309, firstLen: 110, firstOff: 0xf8,
			lastTS: 1738823410_493630309, lastLen: 110, link: LinkEthernet,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.packets {
				t.Fatalf("%d packets, want %d", len(got), tt.packets)
			}
			sum := 0
			for i, p := range got {
				sum += len(p.Data)
				if p.Number != int64(i+1) || p.Link != tt.link || p.OrigLen != len(p.Data) {
					t.Errorf("packet %d: Number %d Link %v OrigLen %d len %d", i+1, p.Number, p.Link, p.OrigLen, len(p.Data))
				}
			}
			if sum != tt.bytes {
				t.Errorf("%d bytes in all, want %d", sum, tt.bytes)
			}
			first, last := got[0], got[len(got)-1]
			if first.TS != tt.firstTS || len(first.Data) != tt.firstLen || first.Offset != tt.firstOff {
				t.Errorf("first packet: TS %d len %d offset %d; want %d %d %d", first.TS, len(first.Data), first.Offset, tt.firstTS, tt.firstLen, tt.firstOff)
			}
			if last.TS != tt.lastTS || len(last.Data) != tt.lastLen {
				t.Errorf("last packet: TS %d len %d; want %d %d", last.TS, len(last.Data), tt.lastTS, tt.lastLen)
			}
			if tt.midNumber > 0 {
				mid := got[tt.midNumber-1]
				if mid.TS != tt.midTS || len(mid.Data) != tt.midLen {
					t.Errorf("packet %d: TS %d len %d; want %d %d", tt.midNumber, mid.TS, len(mid.Data), tt.midTS, tt.midLen)
				}
			}
			// Every packet here is Ethernet carrying IPv4 (after a VLAN
			// tag in the last file): the bytes are where they belong.
			for _, p := range got {
				et := int(p.Data[12])<<8 | int(p.Data[13])
				if et == 0x8100 {
					et = int(p.Data[16])<<8 | int(p.Data[17])
				}
				if et != 0x0800 {
					t.Errorf("packet %d: EtherType %#04x, want IPv4", p.Number, et)
				}
			}
		})
	}
}
