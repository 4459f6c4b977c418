package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

// ifaceWriter writes a synth.Builder's packets to one pcapng interface.
type ifaceWriter struct {
	w     *capture.PcapNGWriter
	iface int
}

func (w ifaceWriter) WritePacket(ts int64, data []byte, origLen int) error {
	return w.w.WritePacket(w.iface, ts, data, origLen)
}

// TestUnknownLinkType: packets of a link type no decoder knows are counted
// per link type (not as malformed headers), and the run says so once per
// link type through OnUnknownLink; packets of known link types beside
// them, in another interface of the same pcapng, are analyzed as ever.
func TestUnknownLinkType(t *testing.T) {
	t0 := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).UnixNano()
	frame := []byte("\x01\x02\x03\x04 a frame of a link layer nobody here reads")

	var pcap bytes.Buffer
	pw, err := capture.NewPcapWriter(&pcap, 147, 65535, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := pw.WritePacket(t0+int64(i)*int64(time.Millisecond), frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.Flush(); err != nil {
		t.Fatal(err)
	}

	var ng bytes.Buffer
	nw := capture.NewPcapNGWriter(&ng)
	eth, err := nw.AddInterface(capture.LinkEthernet, 65535, 9)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := nw.AddInterface(147, 65535, 9)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.New(ifaceWriter{nw, eth}, time.Unix(0, t0), 1)
	b.UDP(hEWS, hPLC, 40000, 69, synth.Exchange{Data: []byte("\x00\x02fw.bin\x00octet\x00")})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := nw.WritePacket(odd, t0+int64(i+1)*int64(time.Second), frame, len(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name    string
		data    []byte
		want    map[string]uint64
		packets uint64
		tftp    uint64
	}{
		{"pcap", pcap.Bytes(), map[string]uint64{"LINKTYPE_147": 10}, 10, 0},
		{"pcapng", ng.Bytes(), map[string]uint64{"LINKTYPE_147": 3}, uint64(b.Packets()) + 3, 1},
	} {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s workers=%d", tt.name, workers), func(t *testing.T) {
				src, err := capture.NewReader(bytes.NewReader(tt.data), "odd."+tt.name)
				if err != nil {
					t.Fatal(err)
				}
				var told []string
				res, err := Run(context.Background(), []capture.Source{src}, Options{Workers: workers,
					OnUnknownLink: func(l capture.LinkType, file string) { told = append(told, l.String()+" "+file) }})
				if err != nil {
					t.Fatal(err)
				}
				st := &res.Stats
				if !maps.Equal(st.UnknownLinkTypes, tt.want) || st.UnknownLinkTotal() != tt.want["LINKTYPE_147"] {
					t.Errorf("unknown_link_types %v, want %v", st.UnknownLinkTypes, tt.want)
				}
				if want := []string{"LINKTYPE_147 odd." + tt.name}; !slices.Equal(told, want) {
					t.Errorf("OnUnknownLink told %q, want %q", told, want)
				}
				if len(st.DecodeErrors) != 0 {
					t.Errorf("decode_errors %v: an unknown link type is no malformed header", st.DecodeErrors)
				}
				if st.Packets != tt.packets || st.Analyzers["tftp"].Confirmed != tt.tftp {
					t.Errorf("%d packets, tftp %+v; want %d packets, %d tftp flows", st.Packets, st.Analyzers["tftp"], tt.packets, tt.tftp)
				}
			})
		}
	}
}
