package bus

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/observe"
)

// Stream is the JetStream stream of every harborwatch message.
const Stream = "HARBORWATCH"

// SubjectPrefix begins every subject: harborwatch.SITE.KIND.SENSOR.
const SubjectPrefix = "harborwatch"

// Kinds of messages (the third token of the subject).
const (
	KindFinding     = "finding"
	KindEvent       = "event"
	KindObservation = "observation"
	KindAsset       = "asset"
	KindHeartbeat   = "heartbeat"
)

// Kinds lists the kinds of messages.
var Kinds = []string{KindFinding, KindEvent, KindObservation, KindAsset, KindHeartbeat}

// KindEvidence is the kind of a finding's evidence file in the local
// queue and in Stats.Dropped: it goes to the object store EvidenceBucket,
// never to the stream.
const KindEvidence = "evidence"

// EvidenceBucket is the JetStream object store of the findings' evidence
// files (pcap or pcapng), one object per site, sensor and finding:
// SITE/SENSOR/FINDING-ID.pcap (EvidenceObject). A finding whose evidence
// is there names the object in finding.PcapFile.Object.
const EvidenceBucket = "harborwatch-evidence"

// EvidenceObject is the object name of a finding's evidence file.
func EvidenceObject(site, sensor, findingID, format string) string {
	return site + "/" + sensor + "/" + findingID + "." + format
}

// Version is the version of the message format.
const Version = 1

// Message is one message on the bus: a header saying where it comes from
// and one body, by Kind.
type Message struct {
	V      int    `json:"v"`
	Kind   string `json:"kind"`
	Site   string `json:"site"`
	Sensor string `json:"sensor"`
	// Run names one start of the sensor; Seq counts its messages from 1.
	Run string `json:"run"`
	Seq uint64 `json:"seq"`
	// Sent is the sensor's wall clock when the message was made (queued).
	Sent time.Time `json:"sent"`

	Finding     *FindingUpdate       `json:"finding,omitempty"`
	Event       *event.Event         `json:"event,omitempty"`
	Observation *observe.Observation `json:"observation,omitempty"`
	// Asset is one asset of the sensor's inventory (inventory.Asset as
	// JSON), sent when the sensor stops.
	Asset     json.RawMessage `json:"asset,omitempty"`
	Heartbeat *Heartbeat      `json:"heartbeat,omitempty"`
}

// FindingUpdate is a finding as it stands at a moment of packet time
// (pipeline.FindingUpdate on the wire): Kind "new" for the first update
// of the finding in a run, "changed" for the later ones. Count, the
// times and the evidence are the run's so far, so the last update a
// consumer holds of a run replaces the earlier ones.
type FindingUpdate struct {
	Kind    string          `json:"kind"`
	At      time.Time       `json:"at"`
	Finding finding.Finding `json:"finding"`
}

// Heartbeat is a sensor's state, sent every Options.Heartbeat and at the
// start and end of a run.
type Heartbeat struct {
	Started    time.Time `json:"started"`
	Interfaces []string  `json:"interfaces,omitempty"`
	Version    string    `json:"version,omitempty"`
	// Stopping is set on the last heartbeat of a run.
	Stopping bool `json:"stopping,omitempty"`
	// Packets and Bytes read so far; KernelDrops are the packets the
	// kernel dropped (its ring full), RingOverwrites the packets pushed out
	// of the evidence ring.
	Packets        uint64 `json:"packets"`
	Bytes          uint64 `json:"bytes"`
	KernelDrops    uint64 `json:"kernel_drops"`
	RingOverwrites uint64 `json:"ring_overwrites,omitempty"`
	Findings       uint64 `json:"findings"`
	// Published counts messages JetStream acknowledged; Pending those
	// waiting in the local queue (SpoolBytes on disk); Dropped those the
	// queue could not hold, by kind.
	Published  uint64            `json:"published"`
	Pending    int64             `json:"pending"`
	SpoolBytes int64             `json:"spool_bytes"`
	Dropped    map[string]uint64 `json:"dropped,omitempty"`
}

// ID is the message's id (the Nats-Msg-Id header): SITE.SENSOR.RUN.SEQ.
func (m *Message) ID() string {
	return m.Site + "." + m.Sensor + "." + m.Run + "." + strconv.FormatUint(m.Seq, 10)
}

// Subject is the subject the message is published to.
func (m *Message) Subject() string { return Subject(m.Site, m.Kind, m.Sensor) }

// Subject is harborwatch.SITE.KIND.SENSOR.
func Subject(site, kind, sensor string) string {
	return SubjectPrefix + "." + site + "." + kind + "." + sensor
}

// CheckID reports what is wrong with a site or sensor id: it must be 1 to
// 64 letters, digits, '-' or '_' (a subject token, and a safe file name).
func CheckID(what, id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("%s id %q: want 1 to 64 letters, digits, '-' or '_'", what, id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%s id %q: %q is not allowed (letters, digits, '-' and '_')", what, id, c)
		}
	}
	return nil
}

// Decode errors.
var (
	ErrVersion = errors.New("bus: unknown message version")
	ErrMessage = errors.New("bus: bad message")
)

// Decode reads a message received on subject with the id header msgID,
// and checks that they agree with its content: the subject's site, kind
// and sensor are the message's, the id is the message's, and the body of
// its kind is there. A message that fails is hostile or broken; the
// error says why.
func Decode(subject, msgID string, data []byte) (*Message, error) {
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMessage, subject, err)
	}
	if m.V != Version {
		return nil, fmt.Errorf("%w %d on %s (this harborwatch reads %d)", ErrVersion, m.V, subject, Version)
	}
	if err := CheckID("site", m.Site); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMessage, subject, err)
	}
	if err := CheckID("sensor", m.Sensor); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMessage, subject, err)
	}
	if err := CheckID("run", m.Run); err != nil || m.Seq == 0 {
		return nil, fmt.Errorf("%w: %s: no run and sequence number", ErrMessage, subject)
	}
	if want := m.Subject(); subject != want {
		return nil, fmt.Errorf("%w: a %s message of site %s, sensor %s came on subject %q, not %q", ErrMessage, m.Kind, m.Site, m.Sensor, subject, want)
	}
	if msgID != m.ID() {
		return nil, fmt.Errorf("%w: %s: message id %q does not match its content (%q)", ErrMessage, subject, msgID, m.ID())
	}
	var ok bool
	switch m.Kind {
	case KindFinding:
		ok = m.Finding != nil && m.Finding.Finding.ID != "" && m.Finding.Finding.Rule != ""
	case KindEvent:
		ok = m.Event != nil
	case KindObservation:
		ok = m.Observation != nil
	case KindAsset:
		var a struct{ ID string }
		ok = len(m.Asset) > 0 && json.Unmarshal(m.Asset, &a) == nil && a.ID != ""
	case KindHeartbeat:
		ok = m.Heartbeat != nil
	default:
		return nil, fmt.Errorf("%w: %s: unknown kind %q", ErrMessage, subject, m.Kind)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s: a %s message without its %s", ErrMessage, subject, m.Kind, m.Kind)
	}
	return &m, nil
}

// spooled is a message as the local queue keeps it: subject, id and body,
// each after its length (uvarint).
func appendSpooled(b []byte, subject, id string, data []byte) []byte {
	b = appendField(b, []byte(subject))
	b = appendField(b, []byte(id))
	return append(b, data...)
}

func appendField(b, f []byte) []byte {
	for n := uint64(len(f)); ; n >>= 7 {
		if n < 0x80 {
			b = append(b, byte(n))
			break
		}
		b = append(b, byte(n)|0x80)
	}
	return append(b, f...)
}

func field(b []byte) (f, rest []byte, ok bool) {
	var n uint64
	for i := 0; i < len(b) && i < 4; i++ {
		n |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			b = b[i+1:]
			if n > uint64(len(b)) {
				return nil, nil, false
			}
			return b[:n], b[n:], true
		}
	}
	return nil, nil, false
}

// parseSpooled splits a queued record.
func parseSpooled(rec []byte) (subject, id string, data []byte, ok bool) {
	s, rest, ok := field(rec)
	if !ok {
		return "", "", nil, false
	}
	i, rest, ok := field(rest)
	if !ok || len(s) == 0 || len(i) == 0 || strings.ContainsAny(string(s), " \t\r\n") {
		return "", "", nil, false
	}
	return string(s), string(i), rest, true
}
