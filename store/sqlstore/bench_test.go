package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/store"
)

// The scale of the store the query benchmarks run on.
const (
	scaleFindings = 100_000
	scaleEvents   = 1_000_000
)

var (
	scaleSites  = []string{"north", "south", "east", "west", "quay"}
	scaleStates = []string{store.Open, store.Open, store.Open, store.Acknowledged, store.Resolved}
	scaleRules  = []string{finding.RuleCrossZone, finding.RuleICSWrite, finding.RuleEgressExternal,
		finding.RuleRemoteAccess, finding.RuleFileTransfer, finding.RuleUnknownDevice}
)

// scaleStore is the store the query benchmarks share, filled once per
// test binary (its directory is removed by TestMain).
var scaleStore struct {
	once sync.Once
	dir  string
	db   *DB
	err  error
	deep string // a cursor half-way through the unfiltered list
}

func TestMain(m *testing.M) {
	code := m.Run()
	if scaleStore.db != nil {
		scaleStore.db.Close()
	}
	if scaleStore.dir != "" {
		os.RemoveAll(scaleStore.dir)
	}
	os.Exit(code)
}

// scaleDB returns the shared store of 100,000 findings and 1,000,000
// events, filling it on first use.
func scaleDB(tb testing.TB) *DB {
	tb.Helper()
	scaleStore.once.Do(func() {
		scaleStore.dir, scaleStore.err = os.MkdirTemp("", "harborwatch-store-scale")
		if scaleStore.err != nil {
			return
		}
		scaleStore.db, scaleStore.err = Open(context.Background(), filepath.Join(scaleStore.dir, "scale.db"))
		if scaleStore.err == nil {
			scaleStore.err = fillScale(tb, scaleStore.db)
		}
	})
	if scaleStore.err != nil {
		tb.Fatal(scaleStore.err)
	}
	return scaleStore.db
}

// fillScale stores the findings with multi-row inserts (FinishRun, one
// finding at a time, is not what is measured here) and the events through
// AddEvents.
func fillScale(tb testing.TB, db *DB) error {
	ctx := context.Background()
	start := time.Now()
	const sup = "Sscale0000000001"
	if _, err := db.w.ExecContext(ctx, `INSERT INTO suppressions (`+suppressionColumns+`) VALUES (?, '', ?, '', '', '', '', 'scale', 'bench', 1, 0)`,
		sup, finding.RuleCrossZone); err != nil {
		return err
	}
	const batch = 200
	row := `(?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`
	err := db.tx(ctx, func(tx *sql.Tx) error {
		args := make([]any, 0, 13*batch)
		for lo := 0; lo < scaleFindings; lo += batch {
			args = args[:0]
			n := min(batch, scaleFindings-lo)
			for i := lo; i < lo+n; i++ {
				f := finding.New(finding.Spec{
					Rule: scaleRules[i%len(scaleRules)], Severity: finding.Severity(1 + (i/7)%4),
					Src:   finding.Host{IP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), Zone: "crane", Asset: fmt.Sprint("sts-", i%300)},
					Dst:   finding.Host{IP: netip.AddrFrom4([4]byte{172, 16, byte(i % 40), 1}), Zone: "office"},
					First: int64(i) * 1e9, Last: int64(i+60) * 1e9, Count: uint64(1 + i%50),
					Evidence: []finding.Evidence{{Capture: "scale.pcap", Packets: []int64{int64(i)}}},
					Key:      fmt.Sprint(i),
				})
				b, err := json.Marshal(&f)
				if err != nil {
					return err
				}
				var s any
				if i%20 == 0 && f.Rule == finding.RuleCrossZone {
					s = sup
				}
				args = append(args, scaleSites[i%len(scaleSites)], f.ID, f.Rule, int(f.Severity), scaleStates[(i/len(scaleSites))%len(scaleStates)],
					micros(f.FirstSeen), micros(f.LastSeen), int64(f.Count), 1+i%9, s, searchText(&f), int64(i)+1, string(b))
			}
			query := `INSERT INTO findings (site, id, rule, severity, state, first_seen, last_seen, count, occurrences, reason,
				suppression, search, updated, data) VALUES ` + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	tb.Logf("stored %d findings in %v", scaleFindings, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	evs := make([]event.Event, 0, 10_000)
	for i := range scaleEvents {
		evs = append(evs, event.Event{TS: time.Unix(0, int64(i)*1e6).UTC(), Proto: []string{"modbus", "s7comm", "dns", "enip"}[i%4],
			Dir: event.Request, Src: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), SPort: 40000, Dst: netip.AddrFrom4([4]byte{10, 1, 0, 1}),
			DPort: 502, Packet: int64(i + 1), Capture: "scale.pcap", Op: []string{"read", "write", "query", "identity", "read"}[i%5]})
		if len(evs) == cap(evs) {
			if err := db.AddEvents(ctx, scaleSites[(i/10_000)%len(scaleSites)], "Cscale", evs); err != nil {
				return err
			}
			evs = evs[:0]
		}
	}
	tb.Logf("stored %d events through AddEvents in %v", scaleEvents, time.Since(start).Round(time.Millisecond))

	// The deep cursor: the key of the finding half-way through the list.
	var c findingCursor
	if err := db.r.QueryRowContext(ctx, `SELECT severity, site, id FROM findings ORDER BY severity DESC, site, id LIMIT 1 OFFSET ?`,
		scaleFindings/2).Scan(&c.Severity, &c.Site, &c.ID); err != nil {
		return err
	}
	scaleStore.deep = encodeCursor(c)
	return nil
}

// scaleQueries are the queries measured: typical filters and a page deep
// in the list.
func scaleQueries() map[string]store.FindingQuery {
	return map[string]store.FindingQuery{
		"site+state":          {Site: "south", State: store.Open, Limit: 100},
		"site+suppressed":     {Site: "north", State: store.Suppressed, Limit: 100},
		"deep-cursor":         {Cursor: scaleStore.deep, Limit: 100},
		"site+state+deep":     {Site: "east", State: store.Acknowledged, Cursor: scaleStore.deep, Limit: 100},
		"rule+severity+state": {Rule: finding.RuleICSWrite, Severity: "high", State: store.Open, Limit: 100},
		"text":                {Text: "sts-17", Site: "quay", Limit: 100},
	}
}

func BenchmarkFindingsQuery(b *testing.B) {
	db := scaleDB(b)
	qs := scaleQueries()
	names := make([]string, 0, len(qs))
	for n := range qs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				fs, _, err := db.Findings(context.Background(), qs[name])
				if err != nil {
					b.Fatal(err)
				}
				if len(fs) == 0 {
					b.Fatalf("%s: no findings", name)
				}
			}
		})
	}
}

// TestFindingsQueryScale measures 200 queries of each kind on the
// 100,000-finding store: p99 must stay under 50 ms. It runs with
// HARBORWATCH_STORE_SCALE=1 only (the fill takes a while).
func TestFindingsQueryScale(t *testing.T) {
	if testing.Short() || os.Getenv("HARBORWATCH_STORE_SCALE") != "1" {
		t.Skip("set HARBORWATCH_STORE_SCALE=1 (and no -short) to measure queries on 100,000 findings and 1,000,000 events")
	}
	db := scaleDB(t)
	qs := scaleQueries()
	names := make([]string, 0, len(qs))
	for n := range qs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		d := make([]time.Duration, 200)
		for i := range d {
			start := time.Now()
			fs, next, err := db.Findings(context.Background(), qs[name])
			d[i] = time.Since(start)
			if err != nil || len(fs) != 100 || next == "" {
				t.Fatalf("%s: %d findings, next %q, err %v; want a full page", name, len(fs), next, err)
			}
		}
		slices.Sort(d)
		p50, p99 := d[len(d)/2], d[len(d)*99/100]
		t.Logf("%-20s p50 %8v  p99 %8v", name, p50.Round(time.Microsecond), p99.Round(time.Microsecond))
		if p99 > 50*time.Millisecond {
			t.Errorf("%s: p99 %v, want under 50ms", name, p99)
		}
	}
	start := time.Now()
	evs, _, err := db.Events(context.Background(), store.EventQuery{Site: "west", Proto: "modbus", Since: time.Unix(500, 0), Limit: 1000})
	if err != nil || len(evs) != 1000 {
		t.Fatalf("events: %d, %v", len(evs), err)
	}
	t.Logf("events page of 1000 (site, proto, since) in %v", time.Since(start).Round(time.Microsecond))
}
