package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"harborwatch/capture"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"harborwatch/bus"
	"harborwatch/event"
	"harborwatch/export"
	"harborwatch/inventory"
	"harborwatch/observe"
	"harborwatch/site"
	"harborwatch/store"
)

// busBatch is how many messages one store transaction takes at most.
const busBatch = 512

// busLoop consumes what sensors publish (Config.NATS) into the store
// until ctx is done: a batch of messages is stored in one transaction and
// acknowledged only after its commit. A batch that cannot be stored is
// asked for again (Nak) after a pause; a message that cannot be read is
// terminated (never delivered again), counted and logged.
func (s *Server) busLoop(ctx context.Context) {
	log := s.log.With("component", "nats")
	c, err := bus.NewConsumer(ctx, bus.ConsumerOptions{URL: s.cfg.NATS, Durable: s.cfg.NATSDurable, Sites: s.cfg.NATSSites, Logger: s.log})
	if err != nil {
		if ctx.Err() == nil {
			log.Error("NATS ingest does not run: " + err.Error())
		}
		return
	}
	defer c.Close()
	log.Info("storing what sensors publish on " + s.cfg.NATS)
	for ctx.Err() == nil {
		ds, err := c.Fetch(busBatch, time.Second)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn(err.Error())
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(ds) == 0 {
			continue
		}
		s.ingestDeliveries(ctx, ds, c, log)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// evidenceSource reads the evidence files sensors put in the NATS
// object store (a *bus.Consumer).
type evidenceSource interface {
	Evidence(ctx context.Context, name string) ([]byte, error)
}

// ingestDeliveries stores one fetched batch and acknowledges it: the
// evidence files its findings name first (fetched from objects), then
// its messages.
func (s *Server) ingestDeliveries(ctx context.Context, ds []bus.Delivery, objects evidenceSource, log interface {
	Warn(string, ...any)
	Error(string, ...any)
}) {
	now := s.now().UTC()
	ms := make([]store.FleetMessage, 0, len(ds))
	keep := make([]*bus.Delivery, 0, len(ds))
	for i := range ds {
		d := &ds[i]
		if d.Err != nil {
			s.metrics.busBad.Inc()
			log.Warn("a message on the bus cannot be read; it is dropped: "+d.Err.Error(), "error", d.Err.Error())
			d.Term()
			continue
		}
		fm, ok := s.fleetMessage(d.Msg, now)
		if !ok {
			s.metrics.busSkipped.Inc()
			d.Ack() // nothing of it is stored (policy), nothing to retry
			continue
		}
		ms = append(ms, fm)
		keep = append(keep, d)
	}
	if len(ms) == 0 {
		return
	}
	if err := s.storeEvidence(ctx, ms, objects, log); err != nil {
		if ctx.Err() != nil {
			return
		}
		log.Error(fmt.Sprintf("store the evidence files of %d sensor messages: %v; they are delivered again", len(ms), err), "error", err.Error())
		for _, d := range keep {
			d.Nak(2 * time.Second)
		}
		sleep(ctx, time.Second)
		return
	}
	sum, err := s.st.Ingest(ctx, ms)
	if err != nil {
		if ctx.Err() != nil {
			return // delivered again after the restart
		}
		log.Error(fmt.Sprintf("store %d sensor messages: %v; they are delivered again", len(ms), err), "error", err.Error())
		for _, d := range keep {
			d.Nak(2 * time.Second)
		}
		sleep(ctx, time.Second)
		return
	}
	for _, d := range keep {
		if err := d.Ack(); err != nil {
			// Delivered again later: stored once all the same.
			log.Warn("acknowledge a stored message: " + err.Error())
		}
	}
	s.exportChanges(ctx, sum.Changes)
	s.metrics.busStored.Add(float64(sum.Stored))
	s.metrics.busDuplicates.Add(float64(sum.Duplicates + sum.Stale))
	s.metrics.events.Add(float64(sum.Events))
}

// exportChanges hands the findings a batch from the sensors made new,
// seen by another run or reopened, as now stored, to the exporters: a
// sensor's finding reaches the SIEM when serve stores it, once per run.
func (s *Server) exportChanges(ctx context.Context, cs []store.FindingChange) {
	if len(s.cfg.Exporters) == 0 {
		return
	}
	now := s.now().UTC()
	for _, c := range cs {
		f, err := s.st.Finding(ctx, c.Site, c.ID)
		if err != nil {
			continue
		}
		kind := export.KindSeen
		switch c.Kind {
		case "new":
			kind = export.KindNew
		case "reopened":
			kind = export.KindReopened
		}
		s.export(export.Change{Kind: kind, At: now, Actor: "system", F: f})
	}
}

// storeEvidence fetches and stores the evidence file each finding of ms
// names (finding.PcapFile.Object), unless the one stored for it is the
// same. An object that is not there (the sensor's queue dropped it), or
// that is not the sensor's own (its name is not SITE/SENSOR/…), is
// counted and logged, not fetched; other errors are returned (the batch
// is tried again).
func (s *Server) storeEvidence(ctx context.Context, ms []store.FleetMessage, objects evidenceSource, log interface {
	Warn(string, ...any)
	Error(string, ...any)
}) error {
	if objects == nil {
		return nil
	}
	for i := range ms {
		m := &ms[i]
		if m.Finding == nil || m.Finding.Pcap == nil || m.Finding.Pcap.Object == "" {
			continue
		}
		p, id := m.Finding.Pcap, m.Finding.ID
		format := ""
		switch {
		case p.Object == bus.EvidenceObject(m.Site, m.Sensor, id, "pcap"):
			format = "pcap"
		case p.Object == bus.EvidenceObject(m.Site, m.Sensor, id, "pcapng"):
			format = "pcapng"
		default:
			s.metrics.busEvidenceMissing.Inc()
			log.Warn(fmt.Sprintf("finding %s of site %s, sensor %s names the evidence object %q, not its own: not fetched", id, m.Site, m.Sensor, p.Object))
			continue
		}
		if old, err := s.st.Evidence(ctx, m.Site, id); err == nil && old.SHA256 == p.SHA256 {
			continue // stored already
		}
		data, err := objects.Evidence(ctx, p.Object)
		if errors.Is(err, bus.ErrNoEvidence) || errors.Is(err, bus.ErrEvidenceTooLarge) {
			s.metrics.busEvidenceMissing.Inc()
			log.Warn(fmt.Sprintf("finding %s of site %s: its evidence file: %v", id, m.Site, err))
			continue
		}
		if err != nil {
			return err
		}
		// The object may be newer than the update (a later update of the
		// finding replaced it): the newest is kept, with its own count of
		// packets (the update's is of its own file).
		if err := s.st.PutEvidence(ctx, store.EvidenceFile{Site: m.Site, FindingID: id, Sensor: m.Sensor, Run: m.Run,
			Object: p.Object, Format: format, Packets: countPackets(data, p.Packets), Data: data}); err != nil {
			return err
		}
		s.metrics.busEvidence.Inc()
	}
	return nil
}

// fleetMessage is a bus message as the store takes it; false when nothing
// of it is kept (an event the storage policy leaves out, a device
// observation without an address).
func (s *Server) fleetMessage(m *bus.Message, now time.Time) (store.FleetMessage, bool) {
	fm := store.FleetMessage{ID: m.ID(), Site: m.Site, Sensor: m.Sensor, Run: m.Run, Seq: m.Seq, Sent: m.Sent, Received: now}
	switch m.Kind {
	case bus.KindFinding:
		f := m.Finding.Finding
		fm.Finding = &f
	case bus.KindEvent:
		if s.cfg.StoreEvents == EventsNone || s.cfg.StoreEvents == EventsChanges && m.Event.Op == event.OpRead {
			return fm, false
		}
		fm.Event = m.Event
	case bus.KindObservation:
		a, ok := seenAsset(m.Observation)
		if !ok {
			return fm, false
		}
		fm.Seen = a
	case bus.KindAsset:
		var a inventory.Asset
		if err := json.Unmarshal(m.Asset, &a); err != nil {
			return fm, false
		}
		ad := assetData(&inventory.Inventory{Assets: []inventory.Asset{a}})
		if len(ad) != 1 {
			return fm, false
		}
		fm.Asset = &ad[0]
	case bus.KindHeartbeat:
		raw, err := json.Marshal(m.Heartbeat)
		if err != nil {
			return fm, false
		}
		fm.Heartbeat, fm.Started = raw, m.Heartbeat.Started
	default:
		return fm, false
	}
	return fm, true
}

// seenAsset is the asset an observation of a device names — the declared
// asset, else the device by MAC, else by IP address, as the inventory
// names them — with what the observation tells of it.
func seenAsset(o *observe.Observation) (*store.AssetData, bool) {
	id := o.Asset
	switch {
	case id != "":
	case o.MAC != "":
		id = "mac:" + o.MAC
	case o.IP.IsValid():
		id = "ip:" + o.IP.String()
	default:
		return nil, false
	}
	a := inventory.Asset{ID: id, Observed: true, Sources: []string{"sensor"}}
	fields := map[string]string{}
	if o.IP.IsValid() {
		a.IPs = append(a.IPs, o.IP)
		fields["ips"] = o.IP.String()
	}
	if o.MAC != "" {
		a.MACs = append(a.MACs, o.MAC)
		fields["macs"] = o.MAC
	}
	if o.Zone != "" {
		a.Zones = []string{o.Zone}
	}
	if o.VLAN != 0 {
		a.VLANs = []uint16{o.VLAN}
	}
	if len(o.Identity) > 0 {
		a.Identity = o.Identity
	}
	t := o.Seen.UTC()
	a.FirstSeen, a.LastSeen = &t, &t
	raw, err := json.Marshal(&a)
	if err != nil {
		return nil, false
	}
	return &store.AssetData{ID: id, Data: raw, FirstSeen: t, LastSeen: t, Fields: fields}, true
}

// fleetSite is the fleet view of one site.
type fleetSite struct {
	Site string `json:"site"`
	// Cranes of the site model, and their count by manufacturer.
	Cranes               []fleetCrane   `json:"cranes"`
	CranesByManufacturer map[string]int `json:"cranes_by_manufacturer"`
	// Assets of a supplier of concern, and their count by supplier.
	SuppliersOfConcern map[string]int `json:"suppliers_of_concern"`
	AssetsOfConcern    []fleetAsset   `json:"assets_of_concern"`
	// NotIsolated are the assets of concern the inventory found not
	// isolated (sharing a VLAN or talking across zones).
	NotIsolated []fleetAsset `json:"not_isolated"`
	// OpenFindingsByRule counts the open findings (not acknowledged,
	// resolved or suppressed).
	OpenFindingsByRule map[string]int `json:"open_findings_by_rule"`
	OpenFindings       int            `json:"open_findings"`
	Sensors            []sensorView   `json:"sensors"`
}

type fleetCrane struct {
	ID               string `json:"id"`
	Name             string `json:"name,omitempty"`
	Manufacturer     string `json:"manufacturer,omitempty"`
	Model            string `json:"model,omitempty"`
	Origin           string `json:"origin,omitempty"`
	RemoteManagement bool   `json:"remote_management"`
}

type fleetAsset struct {
	ID        string   `json:"id"`
	Vendor    string   `json:"vendor,omitempty"`
	Suppliers []string `json:"suppliers"`
	Isolation string   `json:"isolation,omitempty"`
	Crane     string   `json:"crane,omitempty"`
	IPs       []string `json:"ips"`
}

// sensorView is a sensor with its latest heartbeat and what follows from
// it: how long ago it came (age), how late it came (lag: the server's
// clock minus the sensor's when it was sent), what the sensor dropped.
type sensorView struct {
	store.Sensor
	AgeSeconds  float64 `json:"age_seconds"`
	LagSeconds  float64 `json:"lag_seconds"`
	Packets     uint64  `json:"packets"`
	KernelDrops uint64  `json:"kernel_drops"`
	Pending     int64   `json:"pending"`
	Dropped     uint64  `json:"dropped"`
	Stopped     bool    `json:"stopped"`
}

func (s *Server) sensorViews(ctx context.Context, siteID string) ([]sensorView, error) {
	ss, err := s.st.Sensors(ctx, siteID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := make([]sensorView, len(ss))
	for i, x := range ss {
		v := sensorView{Sensor: x, AgeSeconds: now.Sub(x.Received).Seconds(), LagSeconds: x.Received.Sub(x.Sent).Seconds()}
		var hb bus.Heartbeat
		if json.Unmarshal(x.Heartbeat, &hb) == nil {
			v.Packets, v.KernelDrops, v.Pending, v.Stopped = hb.Packets, hb.KernelDrops, hb.Pending, hb.Stopping
			for _, n := range hb.Dropped {
				v.Dropped += n
			}
		}
		out[i] = v
	}
	return out, nil
}

// fleetView builds the fleet view of the sites asked for ("" → every site
// the store knows: by model, assets, findings or sensors).
func (s *Server) fleetView(ctx context.Context, only string) ([]fleetSite, error) {
	views := map[string]*fleetSite{}
	get := func(id string) *fleetSite {
		v := views[id]
		if v == nil {
			v = &fleetSite{Site: id, Cranes: []fleetCrane{}, CranesByManufacturer: map[string]int{}, SuppliersOfConcern: map[string]int{},
				AssetsOfConcern: []fleetAsset{}, NotIsolated: []fleetAsset{}, OpenFindingsByRule: map[string]int{}, Sensors: []sensorView{}}
			views[id] = v
		}
		return v
	}
	sites, err := s.st.Sites(ctx)
	if err != nil {
		return nil, err
	}
	for _, row := range sites {
		if only != "" && row.ID != only {
			continue
		}
		v := get(row.ID)
		model, err := site.Parse(row.ID+".yaml", []byte(row.YAML))
		if err != nil {
			continue // stored models were checked when put
		}
		for _, c := range model.Cranes {
			v.Cranes = append(v.Cranes, fleetCrane{ID: c.ID, Name: c.Name, Manufacturer: c.Manufacturer, Model: c.Model, Origin: c.Origin, RemoteManagement: c.RemoteManagement})
			m := c.Manufacturer
			if m == "" {
				m = "unknown"
			}
			v.CranesByManufacturer[m]++
		}
	}
	assets, err := s.st.Assets(ctx, only)
	if err != nil {
		return nil, err
	}
	for _, a := range assets {
		var d struct {
			Vendor    string   `json:"vendor"`
			Isolation string   `json:"isolation"`
			Crane     string   `json:"crane"`
			IPs       []string `json:"ips"`
			Concern   []struct {
				Name string `json:"name"`
			} `json:"concern"`
		}
		if json.Unmarshal(a.Data, &d) != nil {
			continue
		}
		v := get(a.Site)
		if len(d.Concern) == 0 {
			continue
		}
		fa := fleetAsset{ID: a.ID, Vendor: d.Vendor, Isolation: d.Isolation, Crane: d.Crane, IPs: d.IPs}
		if fa.IPs == nil {
			fa.IPs = []string{}
		}
		for _, c := range d.Concern {
			if !slices.Contains(fa.Suppliers, c.Name) {
				fa.Suppliers = append(fa.Suppliers, c.Name)
				v.SuppliersOfConcern[c.Name]++
			}
		}
		v.AssetsOfConcern = append(v.AssetsOfConcern, fa)
		if d.Isolation == "not-isolated" {
			v.NotIsolated = append(v.NotIsolated, fa)
		}
	}
	counts, err := s.st.FindingCounts(ctx, only, s.now())
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		v := get(c.Site)
		if c.State == store.Open {
			v.OpenFindingsByRule[c.Rule] += c.N
			v.OpenFindings += c.N
		}
	}
	sensors, err := s.sensorViews(ctx, only)
	if err != nil {
		return nil, err
	}
	for _, x := range sensors {
		v := get(x.Site)
		v.Sensors = append(v.Sensors, x)
	}
	out := make([]fleetSite, 0, len(views))
	for _, v := range views {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b fleetSite) int { return strings.Compare(a.Site, b.Site) })
	return out, nil
}

// fleet answers the fleet view across sites: each site's, and the totals.
func (s *Server) fleet(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	views, err := s.fleetView(r.Context(), "")
	if err != nil {
		return err
	}
	total := struct {
		Sites                int            `json:"sites"`
		Cranes               int            `json:"cranes"`
		CranesByManufacturer map[string]int `json:"cranes_by_manufacturer"`
		SuppliersOfConcern   map[string]int `json:"suppliers_of_concern"`
		AssetsOfConcern      int            `json:"assets_of_concern"`
		NotIsolated          int            `json:"not_isolated"`
		OpenFindingsByRule   map[string]int `json:"open_findings_by_rule"`
		OpenFindings         int            `json:"open_findings"`
		Sensors              int            `json:"sensors"`
	}{Sites: len(views), CranesByManufacturer: map[string]int{}, SuppliersOfConcern: map[string]int{}, OpenFindingsByRule: map[string]int{}}
	for _, v := range views {
		total.Cranes += len(v.Cranes)
		for k, n := range v.CranesByManufacturer {
			total.CranesByManufacturer[k] += n
		}
		for k, n := range v.SuppliersOfConcern {
			total.SuppliersOfConcern[k] += n
		}
		for k, n := range v.OpenFindingsByRule {
			total.OpenFindingsByRule[k] += n
		}
		total.AssetsOfConcern += len(v.AssetsOfConcern)
		total.NotIsolated += len(v.NotIsolated)
		total.OpenFindings += v.OpenFindings
		total.Sensors += len(v.Sensors)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "sites": views})
	return nil
}

// fleetSiteView answers one site's fleet view (404 when the store knows
// nothing of the site).
func (s *Server) fleetSiteView(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	id, err := pathID(r, "site")
	if err != nil {
		return err
	}
	views, err := s.fleetView(r.Context(), id)
	if err != nil {
		return err
	}
	if len(views) == 0 {
		return errorf(http.StatusNotFound, "site %q: no model, asset, finding or sensor", id)
	}
	writeJSON(w, http.StatusOK, views[0])
	return nil
}

// listSensors answers the sensors with their latest heartbeat (?site=).
func (s *Server) listSensors(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	siteID := r.URL.Query().Get("site")
	if siteID != "" && !idPattern.MatchString(siteID) {
		return errorf(http.StatusBadRequest, "site %q is not an id", siteID)
	}
	vs, err := s.sensorViews(r.Context(), siteID)
	if err != nil {
		return err
	}
	writeList(w, "sensors", vs)
	return nil
}

// countPackets counts the packets of an evidence file (pcap or pcapng
// bytes); def when it does not read as a capture to its end.
func countPackets(data []byte, def int) int {
	src, err := capture.NewReader(bytes.NewReader(data), "evidence")
	if err != nil {
		return def
	}
	defer src.Close()
	n := 0
	var p capture.Packet
	for {
		switch err := src.Next(&p); {
		case err == io.EOF:
			return n
		case err != nil:
			return def
		}
		n++
	}
}
