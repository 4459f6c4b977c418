// Package event holds the records that leave the packet path: protocol
// events (who did what to which device) written as JSON lines by
// `harborwatch analyze --events FILE`.
//
// Events are copy-safe values: nothing in an Event aliases a packet buffer.
// Building one allocates, so the pipeline builds events only when an event
// sink is configured; detection works from the parsers' results directly.
//
// Schema (version 1; see docs/formats/events.md):
//
//	{"ts":"RFC3339Nano","proto":"dns","dir":"request","src":"10.0.0.1","sport":53000,
//	 "dst":"10.0.0.53","dport":53,"vlan":90,"packet":12,"capture":"a.pcap",
//	 "op":"query","name":"gateway.logink.cn","status":"","detail":{…}}
//
// Changelog: 1 — first version.
package event

import (
	"net/netip"
	"time"
)

// SchemaVersion is the version of the event and report JSON schemas.
const SchemaVersion = 1

// Direction of a protocol message.
const (
	Request  = "request"
	Response = "response"
)

// Event is one protocol event.
type Event struct {
	TS      time.Time      `json:"ts"`
	Proto   string         `json:"proto"`
	Dir     string         `json:"dir"`
	Src     netip.Addr     `json:"src"`
	SPort   uint16         `json:"sport"`
	Dst     netip.Addr     `json:"dst"`
	DPort   uint16         `json:"dport"`
	VLAN    uint16         `json:"vlan"`
	Packet  int64          `json:"packet"`
	Capture string         `json:"capture"`
	Op      string         `json:"op,omitempty"`
	Func    *int           `json:"func,omitempty"`
	Name    string         `json:"name,omitempty"`
	Status  string         `json:"status,omitempty"`
	Detail  map[string]any `json:"detail,omitempty"`

	// File is the index of the capture in the run; it orders events from
	// several files and is not serialized.
	File int `json:"-"`
}

// Less orders events by time, then capture and packet number, so that the
// output of a sharded run is deterministic.
func Less(a, b *Event) bool {
	if !a.TS.Equal(b.TS) {
		return a.TS.Before(b.TS)
	}
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Packet != b.Packet {
		return a.Packet < b.Packet
	}
	if a.Dir != b.Dir {
		return a.Dir == Request
	}
	return a.Name < b.Name
}
