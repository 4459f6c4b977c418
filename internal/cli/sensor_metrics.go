//go:build linux

package cli

import (
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"harborwatch/bus"
	"harborwatch/capture/live"
	"harborwatch/pipeline"
)

// sensorMetrics serves the sensor's counters for Prometheus, read at each
// scrape: packets and bytes analyzed, the kernel's drops per interface,
// findings, the evidence ring's overwrites, and with --publish the bus's
// queue and counts.
//
// The kernel's counts are those of the interface's current socket: a
// reload (SIGHUP) opens new ones, which count from zero (a counter reset
// to Prometheus).
func sensorMetrics(ln net.Listener, progress func() *pipeline.Progress, ifaces []string, srcs func() []*live.Source, findings func() uint64, pub func() *bus.Publisher, ringOverwrites func() uint64) *http.Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counter := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter("harborwatch_sensor_packets_total", "Packets read and analyzed.", func() float64 { return float64(progress().Snapshot().Packets) })
	counter("harborwatch_sensor_bytes_total", "Bytes of the packets read.", func() float64 { return float64(progress().Snapshot().Bytes) })
	counter("harborwatch_sensor_findings_total", "Findings raised (new ones; not their updates).", func() float64 { return float64(findings()) })
	counter("harborwatch_sensor_ring_overwrites_total", "Packets pushed out of the evidence ring (--ring) before a finding claimed them.", func() float64 { return float64(ringOverwrites()) })
	for _, name := range ifaces {
		labels := prometheus.Labels{"interface": name}
		stat := func(f func(live.Stats) uint64) func() float64 {
			return func() float64 {
				for _, s := range srcs() {
					if s.Name() == name {
						if ks, err := s.Stats(); err == nil {
							return float64(f(ks))
						}
					}
				}
				return 0
			}
		}
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "harborwatch_sensor_kernel_packets_total",
			Help: "Packets the kernel passed to the capture ring (PACKET_STATISTICS).", ConstLabels: labels}, stat(func(k live.Stats) uint64 { return k.Packets })))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "harborwatch_sensor_kernel_drops_total",
			Help: "Packets the kernel dropped because the capture ring was full (PACKET_STATISTICS).", ConstLabels: labels}, stat(func(k live.Stats) uint64 { return k.Drops })))
	}
	if pub() != nil {
		st := func(f func(bus.Stats) float64) func() float64 {
			return func() float64 {
				if p := pub(); p != nil {
					return f(p.Stats())
				}
				return 0
			}
		}
		counter("harborwatch_bus_queued_total", "Messages made and queued for NATS.", st(func(s bus.Stats) float64 { return float64(s.Queued) }))
		counter("harborwatch_bus_published_total", "Messages JetStream acknowledged.", st(func(s bus.Stats) float64 { return float64(s.Published) }))
		counter("harborwatch_bus_dropped_total", "Messages the local queue could not hold (dropped, counted).", st(func(s bus.Stats) float64 { return float64(s.DroppedTotal()) }))
		counter("harborwatch_bus_send_failures_total", "Send attempts that failed (link down, no acknowledgement).", st(func(s bus.Stats) float64 { return float64(s.Failures) }))
		gauge("harborwatch_bus_pending", "Messages waiting in the local queue.", st(func(s bus.Stats) float64 { return float64(s.Pending) }))
		gauge("harborwatch_bus_spool_bytes", "Bytes of the local queue on disk.", st(func(s bus.Stats) float64 { return float64(s.Bytes) }))
		gauge("harborwatch_bus_connected", "1 while connected to NATS.", st(func(s bus.Stats) float64 {
			if s.Connected {
				return 1
			}
			return 0
		}))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv
}
