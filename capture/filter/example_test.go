package filter_test

import (
	"fmt"

	"harborwatch/capture/filter"
)

func ExampleCompile() {
	prog, err := filter.Compile("udp dst port 47808", filter.Bytes)
	if err != nil {
		panic(err)
	}
	for _, in := range prog.Instructions {
		fmt.Println(in)
	}
	_, err = filter.Compile("udp port bacnet", filter.Bytes)
	fmt.Println(err)
	// Output:
	// ldh [12]
	// jneq #34525,4
	// ldb [20]
	// jneq #17,2
	// ldh [56]
	// jeq #47808,9
	// ldh [12]
	// jneq #2048,8
	// ldb [23]
	// jneq #17,6
	// ldh [20]
	// jset #8191,4
	// ldx 4*([14]&0xf)
	// ldh [x + 16]
	// jneq #47808,1
	// ret #262144
	// ret #0
	// filter "udp port bacnet": column 10: port: "bacnet" is not a port number (port names are not resolved)
}

func ExampleProgram_Match() {
	// A BACnet/IP frame on VLAN 120: Ethernet, an 802.1Q tag, IPv4, UDP.
	frame := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1b, 0x1b, 0x01, 0x00, 0x05,
		0x81, 0x00, 0x00, 0x78, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 10, 2, 5, 10, 10, 2, 255,
		0xba, 0xc0, 0xba, 0xc0, 0, 8, 0, 0,
	}
	for _, expr := range []string{"udp port 47808", "vlan 120 and udp port 47808", "vlan 110"} {
		prog, err := filter.Compile(expr, filter.Bytes)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-28s %v\n", expr, prog.Match(frame, len(frame), filter.Tag{}))
	}
	// The same frame as a packet socket's filter sees it: the kernel took
	// the tag off into the metadata.
	untagged := append(append([]byte{}, frame[:12]...), frame[16:]...)
	prog, _ := filter.Compile("vlan 120 and udp port 47808", filter.Socket)
	fmt.Println(prog.Match(untagged, len(frame)-4, filter.Tag{Present: true, TPID: 0x8100, TCI: 120}))
	// Output:
	// udp port 47808               false
	// vlan 120 and udp port 47808  true
	// vlan 110                     false
	// true
}
