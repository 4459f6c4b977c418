package s7

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// chunk is a run of whole TPKT packets of one direction of one flow.
type chunk struct {
	flow       int
	fromClient bool
	b          []byte
}

// chunksOf reassembles the port-102 TCP streams of a capture (as replay
// does) and cuts them into runs of whole TPKT packets, in capture order. A
// direction whose first octet is not TPKT is left out.
func chunksOf(t testing.TB, path string) (chunks []chunk, flows int) {
	t.Helper()
	ids := map[[2]netip.AddrPort]int{}
	type dirState struct {
		buf     []byte
		next    uint32
		started bool
		bad     bool
	}
	state := map[[3]int]*dirState{}
	for _, seg := range segmentsOf(t, path) {
		if seg.Proto != 6 || seg.Server.Port() != 102 {
			continue
		}
		k := [2]netip.AddrPort{seg.Client, seg.Server}
		id, ok := ids[k]
		if !ok {
			id = len(ids)
			ids[k] = id
		}
		sk := [3]int{id, dirIndex(seg.FromClient)}
		s := state[sk]
		if s == nil {
			s = &dirState{}
			state[sk] = s
		}
		p := seg.Payload
		if s.started {
			d := int32(seg.Seq - s.next)
			if d < 0 {
				if int(-d) >= len(p) {
					continue
				}
				p = p[-d:]
			}
		}
		s.started = true
		s.next = seg.Seq + uint32(len(seg.Payload))
		if s.bad || (len(s.buf) == 0 && p[0] != tpktVersion) {
			s.bad = true
			continue
		}
		s.buf = append(s.buf, p...)
		n := 0
		for len(s.buf)-n >= 4 {
			l := int(binary.BigEndian.Uint16(s.buf[n+2:]))
			if len(s.buf)-n < l {
				break
			}
			n += l
		}
		if n > 0 {
			chunks = append(chunks, chunk{id, seg.FromClient, append([]byte(nil), s.buf[:n]...)})
			s.buf = append(s.buf[:0], s.buf[n:]...)
		}
	}
	return chunks, len(ids)
}

// synthetic is a flow exercising the paths no capture has: a download
// with COTP segmentation, PI services, a fragmented SZL response, an
// S7comm-plus PDU in fragments, and malformed PDUs.
func synthetic() []chunk {
	blk := block(0x03, 0x0c, 12, 300)
	const file = "_0C00012P"
	list := szlList(0x001c, 0, rec1C(1, "QC07"), rec1C(2, "CPU 1516"), rec1C(5, "S C-1"))
	big := dt(s7(rosctrAckData, 2, 0, 0, []byte{fnDownloadBlock, 0}, blockData(blk)), true)
	seg1 := dt(big[7:107], false)
	seg2 := dt(big[107:], true)
	c := func(fromClient bool, b ...[]byte) chunk { return chunk{0, fromClient, join(b...)} }
	return []chunk{
		c(true, cr(0xe0)), c(false, cr(0xd0)),
		c(true, job(1, fileParam(fnRequestDownload, 0, 0, file, []byte("\x0d1000300000244")), nil)),
		c(false, ackData(1, []byte{fnRequestDownload}, nil), job(2, fileParam(fnDownloadBlock, 0, 0, file, nil), nil)),
		c(true, seg1, seg2),
		c(false, job(3, fileParam(fnDownloadEnded, 0, 0, file, nil), nil)),
		c(true, ackData(3, []byte{fnDownloadEnded}, nil), job(4, piParam("_INSE", []byte("\x01\x000C00012P")), nil)),
		c(false, ackData(4, []byte{fnPIService}, nil)),
		c(true, udReq(5, 4, groupCPU, 1, szlReq(0x001c, 0))),
		c(false, udResp(5, groupCPU, 1, 3, true, 0, 0xff, list[:40])),
		c(true, udReq(6, 4, groupCPU, 1, nil)),
		c(false, udResp(6, groupCPU, 1, 3, false, 0, 0xff, list[40:])),
		c(true, plusPDU(3, plusReq(0x0542, 1, 1), true), dt([]byte{0x72, 3, 0, 1, 9, 0x72, 3, 0, 0}, true)),
		c(false, plusPDU(3, plusResp(0x0542, 1, []byte{0x80, 0x74}), false)),
		c(true, dt([]byte{0x32, 9, 0, 0, 0, 0, 0, 0, 0, 0}, true), dt([]byte{0x99}, true), tpkt([]byte{2, 0x30, 0})),
	}
}

// readAll is an emit that reads what the pipeline reads from every
// Message when no events are written.
var sink int

func readAll(m *Message) {
	sink += len(m.Op()) + m.Func() + len(m.Name()) + len(m.Status()) + len(m.Proto())
	if m.Request() {
		sink++
	}
}

func feedChunks(tb testing.TB, as []Analyzer, chunks []chunk) {
	for _, c := range chunks {
		n, err := as[c.flow].Feed(c.b, c.fromClient, readAll)
		if err != nil || n != len(c.b) {
			tb.Fatalf("Feed = %d, %v; want %d", n, err, len(c.b))
		}
	}
}

// TestAllocs feeds every capture's PDUs, and the synthetic flow, twice:
// after the first pass has grown the buffers, Feed allocates nothing.
func TestAllocs(t *testing.T) {
	sets := map[string]struct {
		chunks []chunk
		flows  int
	}{"synthetic": {synthetic(), 1}}
	for _, f := range []string{"snap7", "s7ident", "s7comm_plus"} {
		c, n := chunksOf(t, "testdata/"+f+".pcap")
		sets[f] = struct {
			chunks []chunk
			flows  int
		}{c, n}
	}
	for name, s := range sets {
		t.Run(name, func(t *testing.T) {
			as := make([]Analyzer, s.flows)
			feedChunks(t, as, s.chunks)
			if n := testing.AllocsPerRun(20, func() { feedChunks(t, as, s.chunks) }); n != 0 {
				t.Errorf("%v allocations per pass over %d chunks", n, len(s.chunks))
			}
		})
	}
}
