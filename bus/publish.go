package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"harborwatch/bus/spool"
	"harborwatch/event"
	"harborwatch/observe"
	"harborwatch/pipeline"
)

// Options configure a Publisher. URL, Site, Sensor and Spool are
// required.
type Options struct {
	// URL is the NATS server: nats://HOST:PORT (several: comma-separated).
	URL string
	// Site and Sensor name the site and this sensor (see CheckID).
	Site, Sensor string
	// Spool is the folder of the local queue; SpoolMax bounds it in bytes
	// (0 → 256 MiB).
	Spool    string
	SpoolMax int64
	// Window is how many messages are sent before waiting for their
	// acknowledgements (0 → 256); AckWait how long one is waited for
	// (0 → 5 s).
	Window  int
	AckWait time.Duration
	// Retry is the pause after a failed send or while the link is down
	// (0 → 1 s).
	Retry time.Duration
	// Logger receives the publisher's records (nil → discard).
	Logger *slog.Logger
}

// Stats count a Publisher's messages.
type Stats struct {
	Queued    uint64            // messages made and queued
	Published uint64            // acknowledged by JetStream
	Evidence  uint64            // evidence files stored in the object store
	Pending   int64             // in the local queue
	Bytes     int64             // the local queue's bytes on disk
	Dropped   map[string]uint64 // by kind: the queue could not hold them
	Damaged   uint64            // damaged records skipped in the queue
	Failures  uint64            // windows that failed (link down, no ack)
	Connected bool
}

// DroppedTotal is the sum of Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// Publisher publishes a sensor's findings, events, observations, assets
// and heartbeats to JetStream through its local queue. It is a
// pipeline.Sink (flows are not published).
type Publisher struct {
	opts  Options
	log   *slog.Logger
	spool *spool.Spool
	nc    *nats.Conn
	js    jetstream.JetStream
	run   string

	mu      sync.Mutex // orders seq and the queue's appends
	seq     uint64
	buf     []byte
	dropped map[string]uint64
	queued  uint64

	published atomic.Uint64
	evidence  atomic.Uint64 // evidence files stored in the object store
	damaged   atomic.Uint64
	failures  atomic.Uint64
	ready     bool                  // the stream is known to exist (sender only)
	objects   jetstream.ObjectStore // the evidence bucket, once made (sender only)
	// evFail and evFails: the evidence file whose store failed last with
	// the link up, and how many times in a row (sender only).
	evFail  string
	evFails int

	wake    chan struct{} // a message was queued
	back    chan struct{} // the link is back
	stop    chan struct{}
	drainBy atomic.Int64 // unix ns: the sender gives up draining then
	done    chan struct{}
}

var _ pipeline.Sink = (*Publisher)(nil)

// NewPublisher opens the local queue — messages left in it by an earlier
// run are sent first — and starts connecting to NATS in the background:
// it returns at once, connected or not.
func NewPublisher(opts Options) (*Publisher, error) {
	if opts.URL == "" {
		return nil, errors.New("bus: no NATS URL")
	}
	if err := CheckID("site", opts.Site); err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	if err := CheckID("sensor", opts.Sensor); err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	if opts.Spool == "" {
		return nil, errors.New("bus: no spool folder")
	}
	if opts.Window <= 0 {
		opts.Window = 256
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 5 * time.Second
	}
	if opts.Retry <= 0 {
		opts.Retry = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "bus")
	sp, err := spool.Open(opts.Spool, spool.Options{Max: opts.SpoolMax})
	if err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	p := &Publisher{opts: opts, log: log, spool: sp, run: newRun(), dropped: map[string]uint64{},
		wake: make(chan struct{}, 1), back: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if st := sp.Stats(); st.Pending > 0 {
		log.Info(fmt.Sprintf("%d messages of an earlier run wait in the local queue: they are sent first", st.Pending), "pending", st.Pending)
	}
	p.nc, err = nats.Connect(opts.URL,
		nats.Name("harborwatch sensor "+opts.Site+"/"+opts.Sensor),
		nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(opts.Retry),
		// No buffering in the client while reconnecting: the local queue
		// is the buffer, with its bound and its counts.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				return // closed by us
			}
			log.Warn(fmt.Sprintf("lost the NATS link (%v): queueing locally", err))
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("NATS link back to " + c.ConnectedUrlRedacted() + ": sending the queue, oldest first")
			select {
			case p.back <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		sp.Close()
		return nil, fmt.Errorf("bus: connect to %s: %w", opts.URL, err)
	}
	if p.js, err = jetstream.New(p.nc, jetstream.WithPublishAsyncMaxPending(opts.Window)); err != nil {
		p.nc.Close()
		sp.Close()
		return nil, fmt.Errorf("bus: %w", err)
	}
	go p.send()
	return p, nil
}

// newRun names one start of a sensor: the UTC time and 4 random bytes.
func newRun() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Run is the name of this run (the RUN of the message ids).
func (p *Publisher) Run() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run
}

// NewRun begins a new run (a new analysis: its findings count from zero
// again) and returns its name; its messages are numbered from 1.
func (p *Publisher) NewRun() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.run, p.seq = newRun(), 0
	return p.run
}

func (p *Publisher) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// publish queues m (its header filled in here).
func (p *Publisher) publish(m *Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	m.V, m.Site, m.Sensor, m.Run, m.Seq, m.Sent = Version, p.opts.Site, p.opts.Sensor, p.run, p.seq, time.Now().UTC()
	data, err := json.Marshal(m)
	if err != nil {
		p.dropped[m.Kind]++
		p.log.Warn(fmt.Sprintf("a %s message cannot be encoded: %v", m.Kind, err))
		return
	}
	p.buf = appendSpooled(p.buf[:0], m.Subject(), m.ID(), data)
	if err := p.spool.Append(p.buf); err != nil {
		if p.dropped[m.Kind] == 0 {
			p.log.Warn(fmt.Sprintf("the local queue cannot hold a %s message (%v): it is dropped and counted; so are the next ones", m.Kind, err), "kind", m.Kind)
		}
		p.dropped[m.Kind]++
		return
	}
	p.queued++
	p.poke()
}

// Event implements pipeline.Sink.
func (p *Publisher) Event(e *event.Event) {
	c := *e
	c.Detail = maps.Clone(e.Detail)
	p.publish(&Message{Kind: KindEvent, Event: &c})
}

// Finding implements pipeline.Sink.
func (p *Publisher) Finding(u *pipeline.FindingUpdate) {
	p.publish(&Message{Kind: KindFinding, Finding: &FindingUpdate{Kind: u.Kind.String(), At: u.At, Finding: u.Finding}})
}

// Flow implements pipeline.Sink: flows are not published.
func (p *Publisher) Flow(*pipeline.FlowRecord) {}

// Observation implements pipeline.Sink.
func (p *Publisher) Observation(o *observe.Observation) {
	c := *o
	c.Identity = maps.Clone(o.Identity)
	p.publish(&Message{Kind: KindObservation, Observation: &c})
}

// Asset publishes one asset of the inventory (an inventory.Asset, or
// anything that encodes as one).
func (p *Publisher) Asset(a any) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("bus: asset: %w", err)
	}
	p.publish(&Message{Kind: KindAsset, Asset: raw})
	return nil
}

// Evidence queues a finding's evidence file (pcap or pcapng bytes) for the
// object store EvidenceBucket under the name object (EvidenceObject),
// through the local queue as every message: queued before the finding
// that names it, it is stored before that finding is published. One the
// queue cannot hold is counted in Stats.Dropped as KindEvidence. data is
// copied.
func (p *Publisher) Evidence(object string, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = appendSpooled(p.buf[:0], evidenceSubject(p.opts.Site, p.opts.Sensor), object, data)
	if err := p.spool.Append(p.buf); err != nil {
		p.dropped[KindEvidence]++
		return fmt.Errorf("bus: evidence %s: %w", object, err)
	}
	p.poke()
	return nil
}

// evidenceSubject marks an evidence file in the local queue (it is never
// published on it).
func evidenceSubject(site, sensor string) string { return Subject(site, KindEvidence, sensor) }

// Heartbeat publishes h with the publisher's own counts filled in.
func (p *Publisher) Heartbeat(h Heartbeat) {
	st := p.Stats()
	h.Published, h.Pending, h.SpoolBytes, h.Dropped = st.Published, st.Pending, st.Bytes, st.Dropped
	p.publish(&Message{Kind: KindHeartbeat, Heartbeat: &h})
}

// Stats returns the publisher's counts.
func (p *Publisher) Stats() Stats {
	sp := p.spool.Stats()
	p.mu.Lock()
	d := make(map[string]uint64, len(p.dropped))
	for k, v := range p.dropped {
		if v > 0 {
			d[k] = v
		}
	}
	q := p.queued
	p.mu.Unlock()
	return Stats{Queued: q, Published: p.published.Load(), Evidence: p.evidence.Load(), Pending: sp.Pending, Bytes: sp.Bytes, Dropped: d,
		Damaged: sp.Damaged + p.damaged.Load(), Failures: p.failures.Load(), Connected: p.nc.IsConnected()}
}

// Close stops taking messages, sends what is queued for at most drain
// (the rest stays in the local queue for the next run), disconnects and
// returns the final counts.
func (p *Publisher) Close(drain time.Duration) Stats {
	p.drainBy.Store(time.Now().Add(drain).UnixNano())
	close(p.stop)
	<-p.done
	st := p.Stats()
	p.nc.Close()
	st.Connected = false
	if err := p.spool.Close(); err != nil {
		p.log.Error("close the local queue: " + err.Error())
	}
	return st
}

// send is the sender: it sends the queue's oldest messages a window at a
// time and removes them once acknowledged.
func (p *Publisher) send() {
	defer close(p.done)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	stopping := false
	stopC := p.stop
	for {
		if stopping && (time.Now().UnixNano() > p.drainBy.Load() || p.spool.Stats().Pending == 0) {
			return
		}
		sent, err := p.sendWindow()
		if err == nil && sent > 0 {
			continue // more may wait
		}
		if err != nil {
			p.failures.Add(1)
			p.log.Debug("send: " + err.Error())
			// Wait out the pause, or the link's return.
			select {
			case <-time.After(p.opts.Retry):
			case <-p.back:
			case <-stopC:
				stopping, stopC = true, nil
			}
			continue
		}
		select {
		case <-tick.C:
		case <-p.wake:
		case <-stopC:
			stopping, stopC = true, nil
		}
	}
}

// errDown is a send attempted while the link is down.
var errDown = errors.New("bus: not connected")

// sendWindow sends up to a window of queued messages and waits for their
// acknowledgements; the messages acknowledged before the first failure
// are removed from the queue.
func (p *Publisher) sendWindow() (int, error) {
	if !p.nc.IsConnected() {
		return 0, errDown
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.AckWait)
	defer cancel()
	if !p.ready {
		if err := EnsureStream(ctx, p.js); err != nil {
			return 0, err
		}
		p.ready = true
	}
	recs, err := p.spool.Read(p.opts.Window, 1<<20)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	var sendErr error
	for _, rec := range recs {
		subject, id, data, ok := parseSpooled(rec)
		if !ok {
			p.damaged.Add(1)
			futures = append(futures, nil) // nothing to send: removed
			continue
		}
		if subject == evidenceSubject(p.opts.Site, p.opts.Sensor) {
			// Stored before anything queued after it is sent.
			if err := p.putEvidence(ctx, id, data); err != nil {
				if !p.refused(id, err) {
					sendErr = err
					break
				}
				futures = append(futures, nil) // given up: removed
				continue
			}
			futures = append(futures, nil)
			p.evidence.Add(1)
			continue
		}
		m := nats.NewMsg(subject)
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, id)
		f, err := p.js.PublishMsgAsync(m)
		if err != nil {
			sendErr = err
			break
		}
		futures = append(futures, f)
	}
	acked := 0
	timeout := time.NewTimer(p.opts.AckWait)
	defer timeout.Stop()
	for _, f := range futures {
		if f == nil {
			if sendErr == nil {
				acked++
			}
			continue
		}
		select {
		case <-f.Ok():
			if sendErr == nil {
				acked++
			}
		case err := <-f.Err():
			if sendErr == nil {
				sendErr = err
			}
		case <-timeout.C:
			if sendErr == nil {
				sendErr = errors.New("bus: no acknowledgement in time")
			}
		}
	}
	if acked > 0 {
		if err := p.spool.Commit(acked); err != nil {
			return acked, err
		}
		n := uint64(0)
		for _, f := range futures[:acked] {
			if f != nil {
				n++
			}
		}
		p.published.Add(n)
	}
	return acked, sendErr
}

// maxEvidenceTries is how many times in a row, with the link up, the
// object store may refuse an evidence file before the sender gives it up:
// a file the store will never take (over a limit of the bucket's) must
// not hold back the findings queued after it.
const maxEvidenceTries = 5

// refused records a failed store of the evidence file id and reports
// whether the file is now given up: counted as dropped, and logged.
func (p *Publisher) refused(id string, err error) bool {
	if !p.nc.IsConnected() {
		return false // the link, not the file: tried again when it is back
	}
	if id != p.evFail {
		p.evFail, p.evFails = id, 0
	}
	p.evFails++
	if p.evFails < maxEvidenceTries {
		return false
	}
	p.evFail, p.evFails = "", 0
	p.mu.Lock()
	p.dropped[KindEvidence]++
	p.mu.Unlock()
	p.log.Warn(fmt.Sprintf("the object store refused the evidence file %s %d times (%v): it is dropped and counted; the finding names it all the same", id, maxEvidenceTries, err), "object", id)
	return true
}

// putEvidence stores one evidence file in the object store, making the
// bucket on first use.
func (p *Publisher) putEvidence(ctx context.Context, name string, data []byte) error {
	if p.objects == nil {
		obs, err := EnsureEvidence(ctx, p.js)
		if err != nil {
			return err
		}
		p.objects = obs
	}
	if _, err := p.objects.PutBytes(ctx, name, data); err != nil {
		return fmt.Errorf("evidence %s: %w", name, err)
	}
	return nil
}

// EnsureEvidence makes the object store EvidenceBucket (on disk) unless it
// exists, and returns it.
func EnsureEvidence(ctx context.Context, js jetstream.JetStream) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, EvidenceBucket)
	if err == nil {
		return obs, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("bus: object store %s: %w", EvidenceBucket, err)
	}
	obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: EvidenceBucket, Storage: jetstream.FileStorage,
		Description: "harborwatch sensors' evidence files of findings (pcap)"})
	if err != nil {
		if obs, err2 := js.ObjectStore(ctx, EvidenceBucket); err2 == nil {
			return obs, nil // made meanwhile by another
		}
		return nil, fmt.Errorf("bus: create object store %s: %w", EvidenceBucket, err)
	}
	return obs, nil
}

// EnsureStream makes the stream HARBORWATCH (subjects harborwatch.>, on
// disk, a 10-minute duplicate window) unless it exists; an existing one
// is left as it is.
func EnsureStream(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.Stream(ctx, Stream)
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("bus: stream %s: %w", Stream, err)
	}
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: Stream, Subjects: []string{SubjectPrefix + ".>"},
		Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute,
		Description: "harborwatch sensors' findings, events, observations, assets and heartbeats"})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("bus: create stream %s: %w", Stream, err)
	}
	return nil
}
