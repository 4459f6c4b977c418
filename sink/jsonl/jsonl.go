// Package jsonl writes what a run hands on as it happens — protocol events,
// finding updates, flow records and observations of devices — as JSON
// lines, one stream each, the form SIEMs and log shippers read
// (docs/formats/events.md, findings.md, flows.md, observations.md).
//
// A Writer is a pipeline.Sink. The pipeline never calls it concurrently;
// it writes each record as it receives it (through the io.Writers it was
// given, which the caller buffers and flushes), so it holds nothing of the
// run in memory. The first write error stops all output and is returned by
// Err.
package jsonl

import (
	"encoding/json"
	"io"
	"net/netip"
	"time"

	"harborwatch/app"
	"harborwatch/event"
	"harborwatch/observe"
	"harborwatch/pipeline"
)

// Writer writes events, finding updates, flows and observations as JSON
// lines to four writers, any of which may be nil (that stream is then not
// written).
type Writer struct {
	events, findings, flows, observations *json.Encoder
	err                                   error
	counts                                Counts
	flow                                  Flow        // reused for each flow line
	obs                                   Observation // reused for each observation line
	names                                 []string    // the run's capture files, by index
}

// Counts are the lines a Writer wrote.
type Counts struct {
	Events, Findings, Flows, Observations uint64
}

var _ pipeline.Sink = (*Writer)(nil)

// Streams names the writers of a Writer's streams; a nil one is not
// written.
type Streams struct {
	Events, Findings, Flows, Observations io.Writer
}

// New returns a Writer of the streams whose writers are not nil.
func New(s Streams) *Writer {
	return &Writer{events: encoder(s.Events), findings: encoder(s.Findings), flows: encoder(s.Flows), observations: encoder(s.Observations)}
}

func encoder(w io.Writer) *json.Encoder {
	if w == nil {
		return nil
	}
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	return e
}

// Err returns the first write error.
func (w *Writer) Err() error { return w.err }

// Counts returns how many lines of each stream were written.
func (w *Writer) Counts() Counts { return w.counts }

func (w *Writer) write(e *json.Encoder, v any, n *uint64) {
	if e == nil || w.err != nil {
		return
	}
	if err := e.Encode(v); err != nil {
		w.err = err
		return
	}
	*n++
}

// Event implements pipeline.Sink.
func (w *Writer) Event(e *event.Event) { w.write(w.events, e, &w.counts.Events) }

// Finding implements pipeline.Sink.
func (w *Writer) Finding(u *pipeline.FindingUpdate) { w.write(w.findings, u, &w.counts.Findings) }

// Flow implements pipeline.Sink.
func (w *Writer) Flow(r *pipeline.FlowRecord) {
	if w.flows == nil || w.err != nil {
		return
	}
	w.flow.fill(r)
	w.write(w.flows, &w.flow, &w.counts.Flows)
}

// Observation implements pipeline.Sink.
func (w *Writer) Observation(o *observe.Observation) {
	if w.observations == nil || w.err != nil {
		return
	}
	w.obs = Observation{Observation: o}
	if w.names != nil && o.Mark.Packet > 0 && int(o.Mark.File) < len(w.names) {
		w.obs.Capture, w.obs.Packet = w.names[o.Mark.File], o.Mark.Packet
	}
	w.write(w.observations, &w.obs, &w.counts.Observations)
}

// Captures names the run's capture files by index, for the packet an
// observation line points at.
func (w *Writer) Captures(names []string) { w.names = names }

// Observation is one line of the observations stream: the observation and
// the packet it rests on.
type Observation struct {
	*observe.Observation
	Capture string `json:"capture,omitempty"`
	Packet  int64  `json:"packet,omitempty"`
}

// Flow is one line of the flows log: the fields of Zeek's conn.log (the
// originator is the flow's client: the side that opened the TCP handshake,
// else the first sender), with the site model's zones and assets.
type Flow struct {
	TS          time.Time  `json:"ts"`
	UID         string     `json:"uid"`
	OrigH       netip.Addr `json:"orig_h"`
	OrigP       uint16     `json:"orig_p"`
	RespH       netip.Addr `json:"resp_h"`
	RespP       uint16     `json:"resp_p"`
	Proto       string     `json:"proto"`
	Service     string     `json:"service"`
	VLAN        uint16     `json:"vlan,omitempty"`
	Duration    float64    `json:"duration"`
	LastTS      time.Time  `json:"last_ts"`
	OrigPkts    uint64     `json:"orig_pkts"`
	OrigIPBytes uint64     `json:"orig_ip_bytes"`
	OrigBytes   uint64     `json:"orig_bytes"`
	RespPkts    uint64     `json:"resp_pkts"`
	RespIPBytes uint64     `json:"resp_ip_bytes"`
	RespBytes   uint64     `json:"resp_bytes"`
	TCPState    string     `json:"tcp_state,omitempty"`
	Handshake   bool       `json:"handshake,omitempty"`
	Open        bool       `json:"open,omitempty"`
	End         string     `json:"end,omitempty"`
	OrigZone    string     `json:"orig_zone,omitempty"`
	RespZone    string     `json:"resp_zone,omitempty"`
	OrigAsset   string     `json:"orig_asset,omitempty"`
	RespAsset   string     `json:"resp_asset,omitempty"`
}

func (f *Flow) fill(r *pipeline.FlowRecord) {
	*f = Flow{
		TS: r.First, UID: r.UID,
		OrigH: r.Client.Addr(), OrigP: r.Client.Port(), RespH: r.Server.Addr(), RespP: r.Server.Port(),
		Proto: app.Transport(r.Transport), Service: r.App, VLAN: r.VLAN,
		Duration: r.Last.Sub(r.First).Seconds(), LastTS: r.Last,
		OrigPkts: r.Packets[0], OrigIPBytes: r.Bytes[0], OrigBytes: r.Payload[0],
		RespPkts: r.Packets[1], RespIPBytes: r.Bytes[1], RespBytes: r.Payload[1],
		TCPState: r.State, Handshake: r.Handshake, Open: r.Open, End: r.End,
		OrigZone: r.ClientZone, RespZone: r.ServerZone, OrigAsset: r.ClientAsset, RespAsset: r.ServerAsset,
	}
}
