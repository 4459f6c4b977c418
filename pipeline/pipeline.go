package pipeline

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"time"

	"harborwatch/capture"
	"harborwatch/decode"
	"harborwatch/detect"
	"harborwatch/event"
	"harborwatch/finding"
	"harborwatch/observe"
	"harborwatch/runstats"
	"harborwatch/site"
)

// Options configure a run. The zero value is usable: default site, one
// worker per CPU, 256 MiB of flow memory, no events.
type Options struct {
	// Site is the facility's site model (nil → site.Default()).
	Site *site.Site
	// Workers is the number of shards working in parallel (0 → NumCPU).
	Workers int
	// FlowMemory is the run's memory budget in bytes, over all shards
	// (0 → DefaultFlowMemory): the flow tables, the TCP reassembly charged
	// against them and the host tables (see memory.go). When the flow
	// table is full the least recently used flow is evicted
	// (Stats.EvictedFlows); when reassembly is, the pending bytes of the
	// stream that waited longest are dropped (Stats.TCPShedBytes); when
	// the host tables are, new entries are not remembered
	// (Stats.HostsDropped). MemoryLimit is what the whole run then stays
	// under.
	FlowMemory int64
	// Batches is how many batches of packets (512 packets, 1 MiB each) a
	// worker may have in flight (0 → 8). A live sensor, fed at the wire's
	// pace with the kernel's ring before it, takes fewer to keep its
	// memory down.
	Batches int
	// Events asks for protocol events in Result.Events.
	Events bool
	// KeepEvent, when not nil, makes for each shard a filter of its
	// events, called in packet-time order from the shard's goroutine
	// (the events of a pair of addresses all go to one shard): events it
	// refuses are counted (Stats.EventsFiltered) and go no further,
	// which spares the merge across shards. The event is valid only
	// during the call.
	KeepEvent func() func(*event.Event) bool
	// SkipEventOps are industrial operations (event.Ops) whose events are
	// not made at all — not even their details — and are counted in
	// Stats.EventsFiltered: polling reads, for a store that keeps
	// operations.
	SkipEventOps []string
	// OnDamage is called (from the reading goroutine) for each damaged
	// capture, with the *capture.DamageError.
	OnDamage func(error)
	// OnUnknownLink, when not nil, is called (from the reading goroutine)
	// the first time the run meets a packet of a link type no decoder
	// knows, with the link type and the capture it came from. Such
	// packets are counted in Result.Stats.UnknownLinkTypes and not
	// analyzed.
	OnUnknownLink func(link capture.LinkType, file string)
	// Progress, when not nil, is updated as packets are read.
	Progress *Progress
	// Sink, when not nil, receives events (with Events), finding updates
	// (with Findings) and flows (with Flows) as they happen. Result.Events
	// stays empty then: the events went to the Sink.
	Sink Sink
	// Findings hands finding updates to Sink.Finding; Flows hands every
	// flow to Sink.Flow; Observations hands news of devices to
	// Sink.Observation.
	Findings, Flows, Observations bool
	// Epoch is the step of packet time at which findings that changed are
	// handed to the Sink and open flows are judged (0 → 1s): a finding
	// reaches the Sink no later than one epoch of packet time after the
	// packet that makes or changes it, even on a connection that never
	// ends.
	Epoch time.Duration
	// FlowInterval is how often, in packet time, an open flow is handed to
	// Sink.Flow while it lasts (0 → 1m; negative: only when it ends).
	FlowInterval time.Duration
}

const (
	defaultEpoch        = time.Second
	defaultFlowInterval = time.Minute
	// tickPackets bounds how many packets the reader reads before every
	// shard is given a batch (empty if need be) when the run streams:
	// the events' watermark then never waits long for an idle shard.
	tickPackets = 8192
)

// streaming reports whether a run hands results on as they happen.
func (o *Options) streaming() bool { return o.Sink != nil || o.Events }

// FlowRecord is a flow as the detectors judged it: at its end, or while
// it is open (Open set).
type FlowRecord struct {
	// UID names the flow: the same in its open and final records, and
	// the same in every run over the same capture.
	UID            string
	Client, Server netip.AddrPort
	Transport      uint8 // IP protocol number
	VLAN           uint16
	App            string    // app name, "tcp/PORT" or "udp/PORT" when unidentified
	Packets        [2]uint64 // from client, from server
	Bytes          [2]uint64 // IP bytes from client, from server
	Payload        [2]uint64 // captured payload bytes from client, from server
	First, Last    time.Time
	State          string // TCP state at the end ("" for other protocols)
	Handshake      bool   // the client is known from the TCP handshake (else: the first packet)
	// Open is set on a record of a flow that has not ended; End says why
	// a flow ended: "expired" (idle past its timeout, or closed),
	// "evicted" (flow memory full) or "flushed" (end of the input).
	Open bool
	End  string
	// Zones and assets of the client and server in the site model ("" when
	// the address is in no declared asset).
	ClientZone, ServerZone   string
	ClientAsset, ServerAsset string
}

// Result is what a run produced.
type Result struct {
	// Stats counts what the run read, followed and could not decode.
	Stats    runstats.Stats
	Findings []finding.Finding
	Assets   []observe.Asset
	Events   []event.Event // in packet-time order; only with Options.Events and no Sink
	// Detection is the whole detection result (Findings are its own).
	Detection *detect.Result
	// Observation is what was seen of hosts and devices (Assets are its
	// own), with the discovery stations, routers and multi-homed MACs:
	// what the inventory is built from.
	Observation *observe.Result
}

// Run reads every source to its end as one timeline (merged by timestamp),
// and returns the findings, assets, statistics and, if asked, events.
// Damaged captures are not fatal: they are reported through OnDamage and in
// Stats.
//
// When ctx is cancelled Run stops reading within a few thousand packets
// (it looks at ctx every 4,096 packets) and finishes with what it read:
// the open flows are flushed and judged, the findings and statistics are
// those of the packets read, and Result.Stats.Partial is set with the
// reason (context.Cause of ctx). The error is nil then: the result is
// whole for what it covers. Finishing costs time in proportion to what
// is held (flows, hosts), not to what was left unread.
func Run(ctx context.Context, srcs []capture.Source, opts Options) (*Result, error) {
	if len(srcs) == 0 {
		return nil, errors.New("no capture to read")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	bud := budgetOf(opts.FlowMemory, workers)
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Name()
	}
	eng := detect.New(detect.Options{Site: opts.Site})
	oe := observe.New(observe.Options{Site: opts.Site, MaxBytes: bud.hostBytes})
	var out *syncSink
	var col *collector
	var mg *merger
	if opts.streaming() {
		sink := opts.Sink
		if sink == nil {
			col = &collector{}
			sink = col
		}
		out = &syncSink{sink: sink, prog: opts.Progress}
		mg = newMerger(out, workers)
	}
	shards := make([]*shard, workers)
	for i := range shards {
		shards[i] = newShard(eng, oe, bud, opts.Events, names)
		if opts.KeepEvent != nil {
			shards[i].keep = opts.KeepEvent()
		}
		for _, op := range opts.SkipEventOps {
			shards[i].skipOps |= event.OpBit(op)
		}
		if out != nil {
			shards[i].stream(i, out, mg, &opts)
		}
	}
	if opts.Progress != nil {
		opts.Progress.attach(shards)
	}
	var src capture.Source = srcs[0]
	if len(srcs) > 1 {
		src = capture.Merge(srcs...)
	}
	rd := reader{src: src, names: names, opts: &opts, stats: make([]runstats.Capture, len(srcs))}
	for i, n := range names {
		rd.stats[i].File = n
	}
	var err error
	if workers == 1 {
		s0 := shards[0]
		err = rd.run(ctx, func(p *capture.Packet) {
			s0.seq = rd.packets
			s0.handle(p)
			if s0.mg != nil && (len(s0.evbuf) > 0 || len(s0.upbuf) > 0 || (s0.news && s0.obs.Pending() > 0)) {
				s0.pushEvents(rd.packets)
			}
		})
	} else {
		err = runSharded(ctx, &rd, shards, opts.streaming(), epochOf(&opts), opts.Batches)
	}
	for _, s := range shards {
		s.flows.Flush()
		if s.out != nil {
			s.pushEvents(^uint64(0))
		}
		s.publish()
	}
	if err != nil {
		return nil, err
	}
	res := finish(eng, oe, shards, &rd, names)
	if rd.stopped {
		res.Stats.Partial = true
		res.Stats.PartialReason = context.Cause(ctx).Error()
	}
	at := time.Unix(0, rd.last).UTC()
	for _, s := range shards {
		s.drain(at, ^uint64(0))
		s.pushEvents(^uint64(0))
	}
	if mg != nil {
		mg.flush()
		res.Stats.EventsLate = mg.late
	}
	for _, s := range shards {
		res.Stats.EventsFiltered += s.filtered
	}
	if col != nil {
		res.Events = col.events
	}
	if out != nil && opts.Sink != nil && opts.Findings {
		for i := range res.Findings {
			if detect.HostLevel(res.Findings[i].Rule) {
				out.finding(&FindingUpdate{Kind: FindingNew, At: at, Finding: res.Findings[i]})
			}
		}
	}
	return res, nil
}

func epochOf(o *Options) int64 {
	if o.Epoch > 0 {
		return int64(o.Epoch)
	}
	return int64(defaultEpoch)
}

// runSharded reads in this goroutine and hands packets, in batches, to one
// goroutine per shard. A flow's packets all go to the shard chosen by the
// symmetric hash of its address pair, so each shard owns its flows
// (and every flow between two hosts, which keeps TFTP and FTP data flows
// beside their control flows) and no flow state is shared.
func runSharded(ctx context.Context, rd *reader, shards []*shard, stream bool, epoch int64, batches int) error {
	n := len(shards)
	var wg sync.WaitGroup
	work := make([]chan *batch, n)
	per := cmp.Or(batches, batchesPerShard)
	free := make(chan *batch, n*per)
	for i := 0; i < n*per; i++ {
		free <- newBatch()
	}
	for i := range shards {
		work[i] = make(chan *batch, per)
		wg.Add(1)
		go func(s *shard, in <-chan *batch) {
			defer wg.Done()
			for b := range in {
				for j := range b.n {
					s.seq = b.seqs[j]
					s.handle(&b.pkts[j])
				}
				if s.out != nil {
					s.advance(b.ts, b.through)
				}
				s.publish()
				b.reset()
				free <- b
			}
		}(shards[i], work[i])
	}
	cur := make([]*batch, n)
	var dec decode.Decoder
	var dp decode.Packet
	// When the run streams, every shard is given a batch, empty if need
	// be, each epoch of packet time and every tickPackets packets, so
	// that each shard's findings and watermark move on with the timeline.
	var nextTick int64
	var sinceTick int
	tick := func(ts int64, through uint64) {
		for i := range cur {
			b := cur[i]
			if b == nil {
				b = <-free
			}
			b.through, b.ts = through, ts
			work[i] <- b
			cur[i] = nil
		}
		sinceTick = 0
		nextTick = (ts/epoch + 1) * epoch
	}
	err := rd.run(ctx, func(p *capture.Packet) {
		if stream {
			if sinceTick >= tickPackets || p.TS >= nextTick {
				if nextTick != 0 || sinceTick > 0 {
					// rd.packets counts p already: the tick covers the packets before it.
					tick(p.TS, rd.packets-1)
				} else {
					nextTick = (p.TS/epoch + 1) * epoch
				}
			}
			sinceTick++
		}
		i := 0
		if h, ok := rawPairHash(p.Link, p.Data); ok {
			i = int(h % uint64(n))
		} else if dec.Decode(p.Link, p.Data, &dp); dp.L3 == decode.L3IPv4 || dp.L3 == decode.L3IPv6 || dp.L3 == decode.L3ARP {
			i = int(pairHash(&dp) % uint64(n))
		}
		b := cur[i]
		if b == nil {
			b = <-free
			cur[i] = b
		}
		if !b.add(p, rd.packets) {
			b.through, b.ts = rd.packets-1, p.TS
			work[i] <- b
			b = <-free
			cur[i] = b
			b.add(p, rd.packets)
		}
		if b.n == len(b.pkts) {
			b.through, b.ts = rd.packets, p.TS
			work[i] <- b
			cur[i] = nil
		}
	})
	for i, b := range cur {
		if b != nil && b.n > 0 {
			b.through, b.ts = rd.packets, rd.last
			work[i] <- b
		}
		close(work[i])
	}
	wg.Wait()
	return err
}

const (
	batchPackets    = 512
	batchBytes      = 1 << 20
	batchesPerShard = 8 // Options.Batches when 0
)

// batch carries packets from the reader to a shard; its buffer is reused.
type batch struct {
	n    int
	pkts [batchPackets]capture.Packet
	seqs [batchPackets]uint64 // the packets' sequence numbers in the run's reading order
	buf  []byte
	// through is the reader's sequence number when the batch was sent:
	// every packet up to it that belongs to the shard is in this batch or
	// an earlier one. ts is the packet time then.
	through uint64
	ts      int64
}

func newBatch() *batch { return &batch{buf: make([]byte, 0, batchBytes)} }

func (b *batch) reset() {
	b.n = 0
	b.through, b.ts = 0, 0
	b.buf = b.buf[:0]
	clear(b.pkts[:])
}

// add copies p into the batch; it reports false when the batch is full.
func (b *batch) add(p *capture.Packet, seq uint64) bool {
	if b.n == len(b.pkts) {
		return false
	}
	b.seqs[b.n] = seq
	q := &b.pkts[b.n]
	*q = *p
	if len(p.Data) > cap(b.buf)-len(b.buf) {
		if len(p.Data) <= cap(b.buf) {
			return false
		}
		q.Data = slices.Clone(p.Data) // larger than a whole batch: rare
	} else {
		off := len(b.buf)
		b.buf = append(b.buf, p.Data...)
		q.Data = b.buf[off:len(b.buf):len(b.buf)]
	}
	b.n++
	return true
}

// pairHash is symmetric in the two addresses (and, for ARP, uses the sender).
// The VLAN does not enter it: every flow between two addresses, on any
// VLAN, lands in one shard, so each finding (keyed by its address pair) is
// owned by one shard, which can hand it on whole as it changes.
func pairHash(p *decode.Packet) uint64 { return mixPair(p.Src, p.Dst) }

// rawPairHash is pairHash read straight from an Ethernet frame carrying
// IPv4 or IPv6 (the common case), without decoding the rest: the reader
// only needs the shard. It gives the same value as pairHash on the decoded
// packet; ok is false for anything else, which takes the decoder's path.
func rawPairHash(link capture.LinkType, b []byte) (uint64, bool) {
	if link != capture.LinkEthernet || len(b) < 14 {
		return 0, false
	}
	off := 12
	et := uint16(b[off])<<8 | uint16(b[off+1])
	for et == 0x8100 || et == 0x88a8 || et == 0x9100 {
		if len(b) < off+6 {
			return 0, false
		}
		off += 4
		et = uint16(b[off])<<8 | uint16(b[off+1])
	}
	ip := b[off+2:]
	var src, dst netip.Addr
	switch {
	case et == 0x0800 && len(ip) >= 20 && ip[0]>>4 == 4:
		src, dst = netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
	case et == 0x86dd && len(ip) >= 40 && ip[0]>>4 == 6:
		src, dst = netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
	default:
		return 0, false
	}
	return mixPair(src, dst), true
}

func mixPair(a, b netip.Addr) uint64 {
	h := addrHash(a) + addrHash(b)
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return h
}

func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	x := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	y := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	x = (x ^ (x >> 31)) * 0x94d049bb133111eb
	y = (y ^ (y >> 27)) * 0x9e3779b97f4a7c15
	return x ^ y ^ (x >> 17)
}

// reader pulls packets from the source, keeps per-file statistics and
// reports damage. It stops, and sets stopped, when ctx is cancelled: ctx is
// looked at every 4,096 packets (a cheap atomic load, but not one to make
// per packet).
type reader struct {
	src         capture.Source
	names       []string
	opts        *Options
	stats       []runstats.Capture
	first, last int64
	packets     uint64
	bytes       uint64
	// stopped is set when run stopped before the end of the input
	// because ctx was cancelled.
	stopped bool
	// links counts the packets of each link type no decoder knows (a
	// map: such types are few, and inserting one allocates only once).
	links map[capture.LinkType]uint64
}

func (r *reader) run(ctx context.Context, handle func(*capture.Packet)) error {
	var p capture.Packet
	var pending, pendingBytes int64
	for {
		err := r.src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			var de *capture.DamageError
			if errors.As(err, &de) {
				r.damage(de)
				continue
			}
			return err
		}
		if p.File >= 0 && p.File < len(r.stats) {
			r.stats[p.File].Packets++
			r.stats[p.File].Bytes += uint64(p.OrigLen)
		}
		r.packets++
		r.bytes += uint64(p.OrigLen)
		if r.first == 0 || p.TS < r.first {
			r.first = p.TS
		}
		if p.TS > r.last {
			r.last = p.TS
		}
		if !decode.Supports(p.Link) {
			r.unknownLink(&p)
		}
		handle(&p)
		pending++
		pendingBytes += int64(p.OrigLen)
		if pending == 4096 {
			if r.opts.Progress != nil {
				r.opts.Progress.Packets.Add(pending)
				r.opts.Progress.Bytes.Add(pendingBytes)
			}
			pending, pendingBytes = 0, 0
			if ctx.Err() != nil {
				r.stopped = true
				return nil
			}
		}
	}
	if r.opts.Progress != nil {
		r.opts.Progress.Packets.Add(pending)
		r.opts.Progress.Bytes.Add(pendingBytes)
	}
	return nil
}

// unknownLink counts a packet of a link type no decoder knows, and tells
// OnUnknownLink of the first one of each type.
func (r *reader) unknownLink(p *capture.Packet) {
	n, seen := r.links[p.Link]
	if r.links == nil {
		r.links = make(map[capture.LinkType]uint64)
	}
	r.links[p.Link] = n + 1
	if !seen && r.opts.OnUnknownLink != nil {
		file := ""
		if p.File >= 0 && p.File < len(r.names) {
			file = r.names[p.File]
		}
		r.opts.OnUnknownLink(p.Link, file)
	}
}

func (r *reader) damage(de *capture.DamageError) {
	for i := range r.stats {
		if r.stats[i].File == de.File && r.stats[i].Error == "" {
			r.stats[i].Error = de.Error()
			r.stats[i].DamageOffset = de.Offset
			break
		}
	}
	if r.opts.OnDamage != nil {
		r.opts.OnDamage(de)
	}
}

func finish(eng *detect.Engine, oe *observe.Engine, shards []*shard, rd *reader, names []string) *Result {
	res := &Result{}
	st := &res.Stats
	st.Captures = rd.stats
	st.Packets, st.Bytes = rd.packets, rd.bytes
	var errs decode.Errors
	states := make([]*detect.State, len(shards))
	obs := make([]*observe.State, len(shards))
	for i, s := range shards {
		states[i], obs[i] = s.det, s.obs
		errs.Add(&s.dec.Errors)
		fs := s.flows.Stats()
		st.Flows += fs.Created
		st.EvictedFlows += fs.Evicted
		st.ExpiredFlows += fs.Expired
		st.PeakFlows += fs.Peak
		c := s.dec.Counters
		st.Fragments += c.Fragments
		st.Truncated += c.Truncated
		st.NonIP += c.NonIP
	}
	st.DecodeErrors = errs.Map()
	if st.DecodeErrors == nil {
		st.DecodeErrors = map[string]uint64{}
	}
	// A link type no decoder knows is not a malformed header: its packets
	// are counted per link type instead (the decoders' "link" errors are
	// exactly those packets).
	delete(st.DecodeErrors, decode.LayerLink.String())
	for l, n := range rd.links {
		if st.UnknownLinkTypes == nil {
			st.UnknownLinkTypes = make(map[string]uint64, len(rd.links))
		}
		st.UnknownLinkTypes[l.String()] += n
	}
	st.Analyzers = map[string]runstats.Analyzer{}
	for _, s := range shards {
		s.analyzerStats(st)
		if s.disc.errs > 0 {
			st.DecodeErrors["discovery"] += s.disc.errs
		}
		if s.pn.l2 != nil && s.pn.l2.Errors > 0 {
			st.DecodeErrors["profinet"] += s.pn.l2.Errors
		}
		st.TCPGaps += s.tcpGaps
		st.TCPDroppedBytes += s.tcpDropped
		st.ExpectDropped += s.expectDropped
		st.TCPShedBytes += s.shedBytes
	}
	pnStats(st, shards)
	if rd.packets > 0 {
		f, l := time.Unix(0, rd.first).UTC(), time.Unix(0, rd.last).UTC()
		st.FirstTS, st.LastTS = &f, &l
	}
	ob := oe.Finish(obs)
	dr := eng.Finish(states, ob, names)
	res.Findings, res.Detection = dr.Findings, dr
	res.Assets, res.Observation = ob.Assets, ob
	st.HostsDropped = ob.Stats.HostsDropped
	st.ExternalDropped = ob.Stats.ExternalDropped
	st.Routers = ob.Routers
	return res
}
