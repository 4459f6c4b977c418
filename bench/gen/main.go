// Command gen writes a benchmark capture of the generated terminal mix
// (see internal/synth.Mix): go run ./bench/gen -out mix.pcap -packets 1000000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"harborwatch/capture"
	"harborwatch/internal/synth"
)

func main() {
	out := flag.String("out", "mix.pcap", "capture `FILE` to write")
	packets := flag.Int("packets", 1_000_000, "number of packets")
	flows := flag.Int("flows", 20_000, "approximate number of distinct flows")
	seed := flag.Int64("seed", 1, "random seed (same seed, same bytes)")
	flag.Parse()
	if err := run(*out, *packets, *flows, *seed); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

func run(out string, packets, flows int, seed int64) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := capture.NewPcapWriter(bw, capture.LinkEthernet, 65535, false)
	if err != nil {
		return err
	}
	start := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	if err := synth.Mix(w, synth.MixOptions{Packets: packets, Flows: flows, Seed: seed, Start: start}); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
