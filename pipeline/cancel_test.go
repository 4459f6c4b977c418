package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

// cancelAt is a Source that cancels a context when packet n is read, as a
// signal would while the run reads.
type cancelAt struct {
	capture.Source
	n      uint64
	read   uint64
	cancel func()
}

func (c *cancelAt) Next(p *capture.Packet) error {
	err := c.Source.Next(p)
	if err == nil {
		c.read++
		if c.read == c.n {
			c.cancel()
		}
	}
	return err
}

// cancelCheck is how many packets the reader reads between two looks at
// its context: the most a run reads after it is cancelled.
const cancelCheck = 4096

// TestCancelPartial: a run whose context is cancelled part way stops
// within cancelCheck packets, and still finishes with what it read: its
// flows flushed and judged, its statistics, marked partial with the
// cause. With one worker and with several.
func TestCancelPartial(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.NewPcapWriter(&buf, capture.LinkEthernet, 65535, true)
	if err != nil {
		t.Fatal(err)
	}
	const total = 200_000
	if err := synth.Mix(w, synth.MixOptions{Packets: total, Flows: 2000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stopped by the test")
	for _, workers := range []int{1, 3} {
		for _, at := range []uint64{1, 50_000} {
			t.Run(fmt.Sprintf("workers=%d at=%d", workers, at), func(t *testing.T) {
				src, err := capture.NewReader(bytes.NewReader(buf.Bytes()), "mix.pcap")
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				var mu sync.Mutex
				ends := map[string]int{}
				res, err := Run(ctx, []capture.Source{&cancelAt{Source: src, n: at, cancel: func() { cancel(stop) }}},
					Options{Workers: workers, Flows: true, FlowInterval: -1, Sink: SinkFuncs{OnFlow: func(r *FlowRecord) {
						mu.Lock()
						ends[r.End]++
						mu.Unlock()
					}}})
				if err != nil {
					t.Fatalf("Run: %v (a cancelled run ends with its partial result, not an error)", err)
				}
				st := &res.Stats
				if !st.Partial || st.PartialReason != stop.Error() {
					t.Errorf("partial %v %q, want true %q", st.Partial, st.PartialReason, stop)
				}
				if st.Packets < at || st.Packets > at+cancelCheck || st.Captures[0].Packets != st.Packets {
					t.Errorf("read %d packets (capture %d) after a cancel at %d: want at most %d more", st.Packets, st.Captures[0].Packets, at, cancelCheck)
				}
				if st.Flows == 0 || ends["flushed"] == 0 || uint64(ends["flushed"]+ends["expired"]+ends["evicted"]) != st.Flows {
					t.Errorf("%d flows, ended %v: every flow read must be flushed and judged", st.Flows, ends)
				}
				if st.FirstTS == nil || st.LastTS == nil || len(res.Assets) == 0 {
					t.Errorf("first %v last %v, %d assets", st.FirstTS, st.LastTS, len(res.Assets))
				}
			})
		}
	}
	t.Run("not cancelled", func(t *testing.T) {
		src, err := capture.NewReader(bytes.NewReader(buf.Bytes()), "mix.pcap")
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), []capture.Source{src}, Options{Workers: 2})
		if err != nil || res.Stats.Partial || res.Stats.PartialReason != "" || res.Stats.Packets != total {
			t.Errorf("err %v, partial %v %q, %d packets", err, res.Stats.Partial, res.Stats.PartialReason, res.Stats.Packets)
		}
	})
}
