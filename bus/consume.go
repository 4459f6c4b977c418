package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ConsumerOptions configure a Consumer. URL is required.
type ConsumerOptions struct {
	// URL is the NATS server, as Options.URL.
	URL string
	// Durable names the durable consumer (0 → "harborwatch-serve"): a
	// server restarted under the same name goes on where it stopped.
	Durable string
	// Sites, when not empty, are the only sites consumed (subjects
	// harborwatch.SITE.>); else every site (harborwatch.>).
	Sites []string
	// AckWait is how long a delivered message may stay unacknowledged
	// before it is delivered again (0 → 10 s): after a crash of the
	// consumer, its unacknowledged messages come again after this.
	AckWait time.Duration
	// Logger receives the consumer's records (nil → discard).
	Logger *slog.Logger
}

// Consumer reads the stream with a durable pull consumer.
type Consumer struct {
	nc *nats.Conn
	js jetstream.JetStream
	// cons is one consumer, or on a NATS server older than 2.10 that
	// cannot filter one consumer on several subjects, one per site
	// (durable DURABLE-SITE), read in turn.
	cons []jetstream.Consumer
	next int // the consumer to wait on when none has a message
	// objects is the evidence bucket, once found.
	objects jetstream.ObjectStore
	opts    ConsumerOptions
	log     *slog.Logger
}

// Delivery is one message delivered: decoded (Msg), or not (Err: the
// message is hostile or broken and should be terminated, not retried).
type Delivery struct {
	Msg *Message
	Err error
	// Redelivered is how many times it was delivered before.
	Redelivered uint64
	raw         jetstream.Msg
}

// Ack acknowledges the delivery: its message is stored (or refused for
// good) and must not come again.
func (d *Delivery) Ack() error { return d.raw.Ack() }

// Term tells JetStream never to deliver the message again (it cannot be
// read).
func (d *Delivery) Term() error { return d.raw.TermWithReason(d.Err.Error()) }

// Nak asks for the message again after delay (it could not be stored
// now).
func (d *Delivery) Nak(delay time.Duration) error { return d.raw.NakWithDelay(delay) }

// NewConsumer connects (waiting up to ctx for the server), makes the
// stream unless it exists and creates or binds the durable consumer.
func NewConsumer(ctx context.Context, opts ConsumerOptions) (*Consumer, error) {
	if opts.URL == "" {
		return nil, errors.New("bus: no NATS URL")
	}
	if opts.Durable == "" {
		opts.Durable = "harborwatch-serve"
	}
	for _, s := range opts.Sites {
		if err := CheckID("site", s); err != nil {
			return nil, fmt.Errorf("bus: %w", err)
		}
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 10 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "bus")
	nc, err := nats.Connect(opts.URL, nats.Name("harborwatch serve"), nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				return // closed by us
			}
			log.Warn(fmt.Sprintf("lost the NATS link (%v): ingest waits for it", err))
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS link back to " + c.ConnectedUrlRedacted()) }))
	if err != nil {
		return nil, fmt.Errorf("bus: connect to %s: %w", opts.URL, err)
	}
	c := &Consumer{nc: nc, opts: opts, log: log}
	if c.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("bus: %w", err)
	}
	for {
		err = c.bind(ctx)
		if err == nil {
			return c, nil
		}
		log.Warn("NATS JetStream not ready: " + err.Error())
		select {
		case <-ctx.Done():
			nc.Close()
			return nil, fmt.Errorf("bus: %w", err)
		case <-time.After(time.Second):
		}
	}
}

func (c *Consumer) bind(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := EnsureStream(ctx, c.js); err != nil {
		return err
	}
	cfg := jetstream.ConsumerConfig{
		Durable: c.opts.Durable, Description: "harborwatch serve: the store's ingest",
		FilterSubject: SubjectPrefix + ".>", AckPolicy: jetstream.AckExplicitPolicy, AckWait: c.opts.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy, MaxAckPending: 4096}
	switch len(c.opts.Sites) {
	case 0:
	case 1:
		cfg.FilterSubject = SubjectPrefix + "." + c.opts.Sites[0] + ".>"
	default: // NATS 2.10 and later
		cfg.FilterSubject = ""
		for _, s := range c.opts.Sites {
			cfg.FilterSubjects = append(cfg.FilterSubjects, SubjectPrefix+"."+s+".>")
		}
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, Stream, cfg)
	if errors.Is(err, jetstream.ErrConsumerMultipleFilterSubjectsNotSupported) {
		// NATS before 2.10: a consumer per site.
		c.log.Info(fmt.Sprintf("this NATS server filters a consumer on one subject only: one durable consumer per site (%s-SITE)", c.opts.Durable))
		var all []jetstream.Consumer
		for _, s := range c.opts.Sites {
			cfg.Durable, cfg.FilterSubjects, cfg.FilterSubject = c.opts.Durable+"-"+s, nil, SubjectPrefix+"."+s+".>"
			one, err := c.js.CreateOrUpdateConsumer(ctx, Stream, cfg)
			if err != nil {
				return fmt.Errorf("consumer %s: %w", cfg.Durable, err)
			}
			all = append(all, one)
		}
		c.cons = all
		return nil
	}
	if err != nil {
		return fmt.Errorf("consumer %s: %w", c.opts.Durable, err)
	}
	c.cons = []jetstream.Consumer{cons}
	return nil
}

// Fetch returns up to n deliveries, waiting at most wait for the first.
// No message in that time is no error. With a consumer per site, each is
// asked without waiting, in turn, and if none has a message the wait is
// spent on one of them (the next, the next time).
func (c *Consumer) Fetch(n int, wait time.Duration) ([]Delivery, error) {
	if len(c.cons) == 1 {
		return fetch(c.cons[0].Fetch(n, jetstream.FetchMaxWait(wait)))
	}
	var out []Delivery
	for i := range c.cons {
		k := (c.next + i) % len(c.cons)
		ds, err := fetch(c.cons[k].FetchNoWait(n - len(out)))
		out = append(out, ds...)
		if err != nil || len(out) >= n {
			c.next = k + 1
			return out, err
		}
	}
	if len(out) > 0 {
		c.next++
		return out, nil
	}
	k := c.next % len(c.cons)
	c.next = k + 1
	return fetch(c.cons[k].Fetch(n, jetstream.FetchMaxWait(max(wait/time.Duration(len(c.cons)), 100*time.Millisecond))))
}

func fetch(b jetstream.MessageBatch, err error) ([]Delivery, error) {
	if err != nil {
		return nil, fmt.Errorf("bus: fetch: %w", err)
	}
	var out []Delivery
	for m := range b.Messages() {
		d := Delivery{raw: m}
		if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
			d.Redelivered = md.NumDelivered - 1
		}
		d.Msg, d.Err = Decode(m.Subject(), m.Headers().Get(jetstream.MsgIDHeader), m.Data())
		out = append(out, d)
	}
	if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		return out, fmt.Errorf("bus: fetch: %w", err)
	}
	return out, nil
}

// Lag is how many messages of the stream the consumer has not yet had
// acknowledged (pending plus delivered and unacknowledged).
func (c *Consumer) Lag(ctx context.Context) (uint64, error) {
	var lag uint64
	for _, cons := range c.cons {
		info, err := cons.Info(ctx)
		if err != nil {
			return 0, err
		}
		lag += info.NumPending + uint64(info.NumAckPending)
	}
	return lag, nil
}

// MaxEvidenceFile bounds the evidence files a consumer reads: a sensor's
// are at most 20 packets (and its queue takes 8 MiB records at most).
const MaxEvidenceFile = 8 << 20

// ErrNoEvidence is returned by Evidence when the object store does not
// hold the file (the sensor's queue dropped it, or it was removed).
var ErrNoEvidence = errors.New("not in the object store")

// ErrEvidenceTooLarge is returned by Evidence for an object over
// MaxEvidenceFile.
var ErrEvidenceTooLarge = errors.New("larger than an evidence file can be")

// Evidence returns the evidence file stored under name (a
// finding.PcapFile.Object) in the object store EvidenceBucket;
// ErrNoEvidence (wrapped) when there is none, ErrEvidenceTooLarge for
// one over MaxEvidenceFile.
func (c *Consumer) Evidence(ctx context.Context, name string) ([]byte, error) {
	if c.objects == nil {
		obs, err := c.js.ObjectStore(ctx, EvidenceBucket)
		if err != nil {
			if errors.Is(err, jetstream.ErrBucketNotFound) {
				return nil, fmt.Errorf("bus: evidence %s: %w", name, ErrNoEvidence)
			}
			return nil, fmt.Errorf("bus: evidence %s: %w", name, err)
		}
		c.objects = obs
	}
	info, err := c.objects.GetInfo(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("bus: evidence %s: %w", name, ErrNoEvidence)
	}
	if err != nil {
		return nil, fmt.Errorf("bus: evidence %s: %w", name, err)
	}
	if info.Size > MaxEvidenceFile {
		return nil, fmt.Errorf("bus: evidence %s: %d bytes: %w", name, info.Size, ErrEvidenceTooLarge)
	}
	b, err := c.objects.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bus: evidence %s: %w", name, err)
	}
	return b, nil
}

// Close disconnects.
func (c *Consumer) Close() { c.nc.Close() }
