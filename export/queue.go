package export

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// sink is where an exporter's goroutine delivers formatted changes. Only
// that goroutine calls its methods, except disconnect, which Close may call
// at once to unblock a write.
type sink interface {
	// connect makes sure the destination can be written to.
	connect(ctx context.Context) error
	// write delivers one formatted change whole, or fails.
	write(b []byte) error
	// flush makes what was written durable (the queue ran empty).
	flush() error
	// disconnect drops the connection or file after a failure; connect
	// makes a new one.
	disconnect()
	// close releases the destination for good.
	close() error
	String() string
}

// exporter is the Exporter of every destination: a bounded queue of
// formatted changes drained into a sink by one goroutine.
type exporter struct {
	spec   string
	o      Options
	s      sink
	format func(Change) ([]byte, error)

	mu     sync.Mutex
	q      [][]byte // ring buffer of len o.Queue
	head   int      // index of the oldest queued change
	n      int      // queued changes
	closed bool
	burst  uint64 // changes dropped since the queue last ran empty

	wake   chan struct{} // a change was queued, or Close was called
	ctx    context.Context
	cancel context.CancelFunc // Close's deadline passed
	done   chan struct{}      // the goroutine returned

	sent, dropped, errs atomic.Uint64
	lost                atomic.Uint64 // dropped by Close
}

// start returns an exporter of formatted changes into s and starts its
// goroutine.
func start(spec string, o Options, s sink, format func(Change) ([]byte, error)) *exporter {
	ctx, cancel := context.WithCancel(context.Background())
	e := &exporter{
		spec: spec, o: o, s: s, format: format, q: make([][]byte, o.Queue),
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	go e.run()
	return e
}

// Export implements Exporter.
func (e *exporter) Export(ctx context.Context, c Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.At.IsZero() {
		c.At = time.Now()
	}
	b, err := e.format(c)
	if err != nil {
		return fmt.Errorf("export %s: finding %s: %w", e.spec, c.F.ID, err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return fmt.Errorf("export %s: %w", e.spec, ErrClosed)
	}
	firstDrop := false
	if e.n == len(e.q) {
		e.q[e.head] = nil
		e.head = (e.head + 1) % len(e.q)
		e.n--
		e.dropped.Add(1)
		e.burst++
		firstDrop = e.burst == 1
	}
	e.q[(e.head+e.n)%len(e.q)] = b
	e.n++
	e.mu.Unlock()
	if firstDrop {
		e.log(slog.LevelWarn, "export queue full: dropping the oldest changes until it drains", "queue", len(e.q))
	}
	e.signal()
	return nil
}

func (e *exporter) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Stats implements Exporter.
func (e *exporter) Stats() Stats {
	e.mu.Lock()
	n := e.n
	e.mu.Unlock()
	return Stats{Sent: e.sent.Load(), Dropped: e.dropped.Load(), Errors: e.errs.Load(), Queued: n}
}

// Close implements Exporter.
func (e *exporter) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.signal()
	t := time.NewTimer(e.o.CloseTimeout)
	defer t.Stop()
	select {
	case <-e.done:
	case <-t.C:
		e.cancel()
		e.s.disconnect() // unblocks a write in progress
		<-e.done
	}
	e.cancel()
	err := e.s.close()
	if n := e.lost.Load(); n > 0 {
		return fmt.Errorf("export %s: closed after %v with %d changes undelivered", e.spec, e.o.CloseTimeout, n)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", e.spec, err)
	}
	return nil
}

// run delivers queued changes until Close, reconnecting with capped
// exponential backoff while the destination fails.
func (e *exporter) run() {
	defer close(e.done)
	backoff := e.o.MinBackoff
	failing := false
	dirty := false
	for {
		b, ok := e.next(&dirty)
		if !ok {
			return
		}
		for {
			err := e.s.connect(e.ctx)
			if err == nil {
				err = e.s.write(b)
			}
			if err == nil {
				e.sent.Add(1)
				dirty = true
				backoff = e.o.MinBackoff
				if failing {
					failing = false
					e.log(slog.LevelInfo, "export delivering again", "to", e.s.String())
				}
				break
			}
			if e.ctx.Err() != nil { // Close's deadline passed
				e.dropped.Add(1)
				e.lost.Add(1)
				break
			}
			e.errs.Add(1)
			if !failing {
				failing = true
				e.log(slog.LevelWarn, "export cannot deliver, retrying", "to", e.s.String(), "err", err)
			}
			e.s.disconnect()
			e.sleep(backoff)
			backoff = min(backoff*2, e.o.MaxBackoff)
		}
	}
}

// next returns the oldest queued change, waiting for one; it flushes the
// sink when the queue runs empty after writes (*dirty). It returns false
// when the exporter is closed and the queue empty, or Close's deadline
// passed (the changes left are dropped).
func (e *exporter) next(dirty *bool) ([]byte, bool) {
	for {
		e.mu.Lock()
		if e.ctx.Err() != nil {
			e.dropped.Add(uint64(e.n))
			e.lost.Add(uint64(e.n))
			clear(e.q)
			e.n = 0
			e.mu.Unlock()
			return nil, false
		}
		if e.n > 0 {
			b := e.q[e.head]
			e.q[e.head] = nil
			e.head = (e.head + 1) % len(e.q)
			e.n--
			e.mu.Unlock()
			return b, true
		}
		closed, burst := e.closed, e.burst
		e.burst = 0
		e.mu.Unlock()
		if burst > 0 {
			e.log(slog.LevelWarn, "export queue drained", "dropped", burst)
		}
		if *dirty {
			*dirty = false
			if err := e.s.flush(); err != nil {
				e.errs.Add(1)
				e.log(slog.LevelWarn, "export flush failed", "to", e.s.String(), "err", err)
			}
		}
		if closed {
			return nil, false
		}
		select {
		case <-e.wake:
		case <-e.ctx.Done():
		}
	}
}

// sleep waits d or until Close's deadline passes.
func (e *exporter) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.ctx.Done():
	}
}

func (e *exporter) log(level slog.Level, msg string, args ...any) {
	if e.o.Logger != nil {
		e.o.Logger.Log(context.Background(), level, msg, append([]any{"spec", e.spec}, args...)...)
	}
}
