package auth

import (
	"container/list"
	"sync"
	"time"
)

// LimiterOptions configures a Limiter; zero fields take the defaults.
type LimiterOptions struct {
	// Free is how many failures in a row a key may have without delay
	// (0 → 5; negative → none).
	Free int
	// Base is the delay after the first failure beyond the free ones; each
	// further failure doubles it (0 → 1 s).
	Base time.Duration
	// Max caps the delay (0 → 5 min).
	Max time.Duration
	// MaxKeys bounds how many keys are remembered; when a new key would
	// exceed it, the key whose last failure is oldest is forgotten
	// (0 → 10,000).
	MaxKeys int
	// Quiet is how long after its last failure, and once its delay is
	// over, a key is forgotten (0 → 15 min).
	Quiet time.Duration
}

// Limiter throttles login attempts: after the free failures of a key, each
// further failure makes the key wait twice as long as the one before,
// from Base up to Max, before its next attempt is examined; a success
// forgets the key. A server keys it by the user name and, separately, by
// the remote address, and refuses an attempt when either key must wait.
//
// Memory is bounded (MaxKeys), so a flood of fresh keys can push out an
// old one; keying by address as well as by name keeps that flood itself
// throttled. A Limiter is safe for concurrent use; times are passed in,
// so it holds no clock of its own.
type Limiter struct {
	opts LimiterOptions

	mu   sync.Mutex
	keys map[string]*list.Element // of *limitEntry
	lru  *list.List               // front: most recent failure
}

type limitEntry struct {
	key      string
	failures int
	last     time.Time // last failure
	until    time.Time // no attempt examined before
}

// NewLimiter returns a Limiter with opts, defaults filled in.
func NewLimiter(opts LimiterOptions) *Limiter {
	if opts.Free == 0 {
		opts.Free = 5
	} else if opts.Free < 0 {
		opts.Free = 0
	}
	if opts.Base <= 0 {
		opts.Base = time.Second
	}
	if opts.Max <= 0 {
		opts.Max = 5 * time.Minute
	}
	if opts.Max < opts.Base {
		opts.Max = opts.Base
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 10000
	}
	if opts.Quiet <= 0 {
		opts.Quiet = 15 * time.Minute
	}
	return &Limiter{opts: opts, keys: make(map[string]*list.Element), lru: list.New()}
}

// Delay returns how long key must still wait, at now, before its next
// attempt is examined; 0 means it may try now. It never exceeds Max, even
// if the clock went back.
func (l *Limiter) Delay(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.keys[key]
	if !ok {
		return 0
	}
	e := el.Value.(*limitEntry)
	if l.expired(e, now) {
		l.remove(el)
		return 0
	}
	d := e.until.Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d, l.opts.Max)
}

// Failure records a failed attempt of key at now and sets its delay.
func (l *Limiter) Failure(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.keys[key]
	if ok && l.expired(el.Value.(*limitEntry), now) {
		l.remove(el)
		ok = false
	}
	if !ok {
		l.makeRoom(now)
		el = l.lru.PushFront(&limitEntry{key: key})
		l.keys[key] = el
	} else {
		l.lru.MoveToFront(el)
	}
	e := el.Value.(*limitEntry)
	e.failures++
	e.last = now
	e.until = now.Add(l.delayAfter(e.failures))
}

// Success forgets key: its next failure starts from the beginning.
func (l *Limiter) Success(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.keys[key]; ok {
		l.remove(el)
	}
}

// Len returns how many keys the Limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// delayAfter is the delay after n failures in a row.
func (l *Limiter) delayAfter(n int) time.Duration {
	over := n - l.opts.Free
	if over <= 0 {
		return 0
	}
	d := l.opts.Base
	for i := 1; i < over && d < l.opts.Max; i++ {
		d *= 2
	}
	return min(d, l.opts.Max)
}

func (l *Limiter) expired(e *limitEntry, now time.Time) bool {
	return now.Sub(e.last) >= l.opts.Quiet && !now.Before(e.until)
}

// makeRoom forgets expired keys, oldest first, then the oldest key if the
// Limiter is still full.
func (l *Limiter) makeRoom(now time.Time) {
	for el := l.lru.Back(); el != nil && l.expired(el.Value.(*limitEntry), now); el = l.lru.Back() {
		l.remove(el)
	}
	for len(l.keys) >= l.opts.MaxKeys {
		l.remove(l.lru.Back())
	}
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.keys, el.Value.(*limitEntry).key)
	l.lru.Remove(el)
}
