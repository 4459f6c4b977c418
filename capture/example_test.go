package capture_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"harborwatch/capture"
)

// Reading a capture that was cut short: every whole packet comes first,
// then the damage, then the end.
func ExampleNewReader() {
	var file bytes.Buffer
	w, err := capture.NewPcapWriter(&file, capture.LinkEthernet, 0, false)
	if err != nil {
		panic(err)
	}
	for i, size := range []int{60, 1514, 64} {
		ts := int64(1595660608_000000000 + i*1500_000)
		if err := w.WritePacket(ts, make([]byte, size), size); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	cut := file.Bytes()[:file.Len()-10] // the last packet loses 10 bytes

	src, err := capture.NewReader(bytes.NewReader(cut), "crane1.pcap")
	if err != nil {
		panic(err)
	}
	defer src.Close()
	var p capture.Packet
	for {
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		var damage *capture.DamageError
		if errors.As(err, &damage) {
			fmt.Println(err)
			continue // Next returns io.EOF after the damage
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("packet %d at byte %d: %d bytes, %s, ts %d\n", p.Number, p.Offset, len(p.Data), p.Link, p.TS)
	}
	// Output:
	// packet 1 at byte 24: 60 bytes, EN10MB, ts 1595660608000000000
	// packet 2 at byte 100: 1514 bytes, EN10MB, ts 1595660608001500000
	// crane1.pcap: damaged at byte 1630 (after packet 2): truncated record data
}
