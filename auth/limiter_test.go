package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func TestLimiterBackoff(t *testing.T) {
	l := NewLimiter(LimiterOptions{})
	now := t0
	var got []time.Duration
	for range 20 {
		if d := l.Delay("alice", now); d != 0 {
			t.Fatalf("at %v: Delay = %v before waiting is over", now, d)
		}
		l.Failure("alice", now)
		d := l.Delay("alice", now)
		got = append(got, d)
		now = now.Add(d) // the caller waits exactly as long as told
	}
	s, m := time.Second, time.Minute
	want := []time.Duration{0, 0, 0, 0, 0, s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 128 * s, 256 * s, 5 * m, 5 * m, 5 * m, 5 * m, 5 * m, 5 * m}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delays after each failure:\n got %v\nwant %v", got, want)
	}
	// Half way through a delay, half of it is left.
	if d := l.Delay("alice", now.Add(-150*time.Second)); d != 150*time.Second {
		t.Fatalf("Delay half way = %v, want 2m30s", d)
	}
	// Another key is not affected.
	if d := l.Delay("bob", now); d != 0 {
		t.Fatalf("Delay(bob) = %v, want 0", d)
	}
	// Success resets: the free failures are free again.
	l.Success("alice", now)
	if d := l.Delay("alice", now); d != 0 {
		t.Fatalf("Delay after success = %v, want 0", d)
	}
	for i := range 5 {
		l.Failure("alice", now)
		if d := l.Delay("alice", now); d != 0 {
			t.Fatalf("failure %d after success: Delay = %v, want 0", i+1, d)
		}
	}
	l.Failure("alice", now)
	if d := l.Delay("alice", now); d != time.Second {
		t.Fatalf("6th failure after success: Delay = %v, want 1s", d)
	}
}

func TestLimiterOptions(t *testing.T) {
	l := NewLimiter(LimiterOptions{Free: -1, Base: 100 * time.Millisecond, Max: 250 * time.Millisecond})
	var got []time.Duration
	for range 4 {
		l.Failure("k", t0)
		got = append(got, l.Delay("k", t0))
	}
	if want := "[100ms 200ms 250ms 250ms]"; fmt.Sprint(got) != want {
		t.Fatalf("delays %v, want %s", got, want)
	}
}

func TestLimiterExpiry(t *testing.T) {
	l := NewLimiter(LimiterOptions{Free: 1, Quiet: 10 * time.Minute})
	l.Failure("k", t0)
	l.Failure("k", t0)
	if d := l.Delay("k", t0); d != time.Second {
		t.Fatalf("Delay = %v, want 1s", d)
	}
	// Just before the quiet period ends, the failures still count.
	l.Failure("k", t0.Add(9*time.Minute))
	if d := l.Delay("k", t0.Add(9*time.Minute)); d != 2*time.Second {
		t.Fatalf("Delay = %v, want 2s", d)
	}
	// After it, the key is forgotten.
	later := t0.Add(20 * time.Minute)
	if d := l.Delay("k", later); d != 0 {
		t.Fatalf("Delay after quiet period = %v, want 0", d)
	}
	if n := l.Len(); n != 0 {
		t.Fatalf("Len = %d after expiry, want 0", n)
	}
	l.Failure("k", later)
	if d := l.Delay("k", later); d != 0 {
		t.Fatalf("first failure after expiry: Delay = %v, want 0 (one free)", d)
	}
}

func TestLimiterClockBack(t *testing.T) {
	l := NewLimiter(LimiterOptions{Free: -1, Max: time.Minute})
	for range 10 {
		l.Failure("k", t0)
	}
	if d := l.Delay("k", t0.Add(-24*time.Hour)); d != time.Minute {
		t.Fatalf("Delay with the clock a day back = %v, want the cap 1m", d)
	}
}

func TestLimiterEviction(t *testing.T) {
	l := NewLimiter(LimiterOptions{Free: -1, MaxKeys: 3})
	for i, k := range []string{"a", "b", "c"} {
		l.Failure(k, t0.Add(time.Duration(i)*time.Millisecond))
	}
	// "a" fails again: now "b" is the oldest.
	l.Failure("a", t0.Add(3*time.Millisecond))
	l.Failure("d", t0.Add(4*time.Millisecond))
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	now := t0.Add(5 * time.Millisecond)
	for k, kept := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if d := l.Delay(k, now); (d > 0) != kept {
			t.Errorf("Delay(%s) = %v; want kept=%v", k, d, kept)
		}
	}
	// Many fresh keys never grow it past the bound.
	for i := range 1000 {
		l.Failure(fmt.Sprint("spray", i), now)
	}
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d after 1000 keys, want 3", n)
	}
}

func TestLimiterExpiredMakeRoom(t *testing.T) {
	l := NewLimiter(LimiterOptions{Free: -1, MaxKeys: 2, Quiet: time.Minute})
	l.Failure("old", t0)
	l.Failure("new", t0.Add(2*time.Minute))
	l.Failure("newer", t0.Add(2*time.Minute))
	// "old" expired, so it made room: "new" is still there.
	if d := l.Delay("new", t0.Add(2*time.Minute)); d != time.Second {
		t.Fatalf("Delay(new) = %v, want 1s", d)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := NewLimiter(LimiterOptions{MaxKeys: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				k := fmt.Sprint(g, "-", i%70)
				now := t0.Add(time.Duration(i) * time.Millisecond)
				l.Failure(k, now)
				l.Delay(k, now)
				if i%7 == 0 {
					l.Success(k, now)
				}
			}
		}()
	}
	wg.Wait()
	if n := l.Len(); n > 50 {
		t.Fatalf("Len = %d, want at most 50", n)
	}
}
