//go:build linux

package cli

import (
	"fmt"
	"io"

	"harborwatch/capture"
	"harborwatch/capture/filter"
	"harborwatch/capture/live"
)

// sensorBPF is the sensor's --bpf: compiled for the sockets (the kernel
// drops what it rejects before the ring) and for --file (read through a
// filter.Source, which counts what it leaves out).
type sensorBPF struct {
	expr       string
	sock, file *filter.Program
	src        *filter.Source
}

func newSensorBPF(expr string) (*sensorBPF, error) {
	b := &sensorBPF{expr: expr}
	var err error
	if b.sock, err = compileBPF("sensor", expr, filter.Socket); err != nil {
		return nil, err
	}
	if b.file, err = compileBPF("sensor", expr, filter.Bytes); err != nil {
		return nil, err
	}
	return b, nil
}

// liveOptions are the options of a live source: the ring, and the
// socket's filter when there is one.
func (b *sensorBPF) liveOptions(ring int) live.Options {
	o := live.Options{Ring: ring}
	if b.sock != nil {
		o.Filter = b.sock.Raw
	}
	return o
}

// wrap reads a capture file through the filter, when there is one.
func (b *sensorBPF) wrap(s capture.Source) capture.Source {
	if b.file == nil {
		return s
	}
	b.src = filter.NewSource(s, b.file)
	return b.src
}

// report says what the filter did: on interfaces the kernel drops what
// it rejects (counted nowhere: the kernel's counts are of the packets it
// accepted), on a file the packets left out are counted.
func (b *sensorBPF) report(w io.Writer, ifaces int) {
	if b.src != nil {
		reportFiltered(w, "sensor", b.expr, b.src.Filtered())
	}
	if b.sock != nil && ifaces > 0 {
		fmt.Fprintf(w, "harborwatch sensor: --bpf %q ran in the kernel: the counts above are of the packets it selected\n", b.expr)
	}
}
