// Package jsonl writes what a run hands on as it happens — protocol events,
// finding updates and flow records — as JSON lines, one stream each, the
// form SIEMs and log shippers read (docs/formats/events.md, findings.md,
// flows.md).
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
	"harborwatch/pipeline"
)

// Writer writes events, finding updates and flows as JSON lines to three
// writers, any of which may be nil (that stream is then not written).
type Writer struct {
	events, findings, flows *json.Encoder
	err                     error
	counts                  Counts
	flow                    Flow // reused for each flow line
}

// Counts are the lines a Writer wrote.
type Counts struct {
	Events, Findings, Flows uint64
}

var _ pipeline.Sink = (*Writer)(nil)

// New returns a Writer of the streams whose writers are not nil.
func New(events, findings, flows io.Writer) *Writer {
	w := &Writer{}
	w.events, w.findings, w.flows = encoder(events), encoder(findings), encoder(flows)
	return w
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
