package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	uploads    prometheus.Counter
	runs       *prometheus.CounterVec
	runSeconds prometheus.Histogram
	packets    prometheus.Counter
	events     prometheus.Counter
	pruned     prometheus.Counter
	// what sensors publish (serve --nats)
	busStored, busDuplicates, busBad, busSkipped prometheus.Counter
	// findings' evidence files fetched from the object store, and those
	// named by a finding but not there (dropped by the sensor's queue)
	busEvidence, busEvidenceMissing prometheus.Counter
	h                               http.Handler
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "harborwatch_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "harborwatch_http_request_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10)}, []string{"route"})
	m.uploads = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_captures_queued_total", Help: "Captures queued for analysis (uploads and the watch folder)."})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "harborwatch_runs_total", Help: "Analysis runs finished, by status (done, failed)."}, []string{"status"})
	m.runSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "harborwatch_run_seconds", Help: "Time to analyze and record a capture.", Buckets: prometheus.ExponentialBuckets(0.1, 3, 10)})
	m.packets = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_packets_total", Help: "Packets analyzed."})
	m.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_events_stored_total", Help: "Protocol events stored."})
	m.pruned = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_events_pruned_total", Help: "Events deleted by the retention policy."})
	m.busStored = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_bus_messages_stored_total", Help: "Sensor messages stored from NATS."})
	m.busDuplicates = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_bus_messages_duplicate_total", Help: "Sensor messages delivered again (or older than one stored) and skipped."})
	m.busBad = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_bus_messages_bad_total", Help: "Messages on the bus that could not be read (terminated)."})
	m.busSkipped = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_bus_messages_skipped_total", Help: "Sensor messages not stored by policy (events, observations without an address)."})
	m.busEvidence = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_bus_evidence_stored_total", Help: "Findings' evidence files fetched from the NATS object store and stored."})
	m.busEvidenceMissing = prometheus.NewCounter(prometheus.CounterOpts{Name: "harborwatch_bus_evidence_missing_total", Help: "Evidence files findings name that the NATS object store does not hold (or that are refused)."})
	m.reg.MustRegister(m.busEvidence, m.busEvidenceMissing)
	m.reg.MustRegister(m.requests, m.latency, m.uploads, m.runs, m.runSeconds, m.packets, m.events, m.pruned,
		m.busStored, m.busDuplicates, m.busBad, m.busSkipped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.h = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) request(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) handler(_ *Server) http.Handler { return m.h }

// MetricsHandler serves the metrics without authentication, for a
// separate listener on loopback (serve --metrics-addr).
func (s *Server) MetricsHandler() http.Handler { return s.metrics.h }
