package observe

import (
	"net/netip"
	"slices"

	"harborwatch/finding"
	"harborwatch/site"
)

// station is what a device said of itself at layer 2 (LLDP, CDP, PROFINET
// DCP) or over DHCP, keyed by its MAC.
type station struct {
	mac         [6]byte
	ips         []netip.Addr // sorted, at most maxStationIPs
	vlans       vlanSet
	id          map[string]any
	sources     uint8 // bit per discovery source
	first, last int64
	mark        finding.Mark
	frames      uint64
}

const maxStationIPs = 8

// Discovery sources of Station.
const (
	SourceLLDP = "lldp"
	SourceCDP  = "cdp"
	SourceDCP  = "profinet-dcp"
	SourceDHCP = "dhcp"
)

var sourceNames = [...]string{SourceLLDP, SourceCDP, SourceDCP, SourceDHCP}

func sourceBit(src string) uint8 {
	for i, n := range sourceNames {
		if n == src {
			return 1 << i
		}
	}
	return 0
}

// Again reports whether the station mac already told source what it is,
// and then counts this message (its frames and last time): the caller
// builds an identity record, and calls Station, only for news.
func (s *State) Again(mac [6]byte, source string, ts int64) bool {
	st := s.stns[mac]
	if st == nil || st.sources&sourceBit(source) == 0 {
		return false
	}
	st.frames++
	if ts > st.last {
		st.last = ts
	}
	return true
}

// Station records what a device said of itself in a discovery message
// (source: SourceLLDP, SourceCDP, SourceDCP or SourceDHCP): its MAC, an
// address it uses or asks for (may be invalid), the VLAN the frame came
// on, and identity fields (system name, description, station name,
// hostname, vendor class…). Keys already known for the MAC are kept.
func (s *State) Station(mac [6]byte, ip netip.Addr, vlan uint16, source string, id map[string]any, m finding.Mark, ts int64) {
	st := s.stns[mac]
	if st == nil {
		if len(s.stns) >= s.e.maxHosts {
			s.stats.HostsDropped++
			return
		}
		if !s.room(StationBytes) {
			return
		}
		st = &station{mac: mac, first: ts, last: ts, mark: m, id: map[string]any{}}
		s.stns[mac] = st
	}
	st.observe(ip, vlan, ts, m)
	if st.sources&sourceBit(source) == 0 {
		s.newStation(st, ip, vlan, source, id, m, ts)
	}
	st.sources |= sourceBit(source)
	st.frames++
	for k, v := range id {
		if _, ok := st.id[k]; !ok && s.room(fieldBytes(k, v)) {
			st.id[k] = v
		}
	}
}

func (st *station) observe(ip netip.Addr, vlan uint16, ts int64, m finding.Mark) {
	if ts < st.first || (ts == st.first && m.Compare(st.mark) < 0) {
		st.first, st.mark = ts, m
	}
	if ts > st.last {
		st.last = ts
	}
	st.vlans.add(vlan)
	st.addIP(ip)
}

func (st *station) addIP(ip netip.Addr) {
	if !ip.IsValid() || ip.IsUnspecified() {
		return
	}
	if i, found := slices.BinarySearchFunc(st.ips, ip, netip.Addr.Compare); !found && len(st.ips) < maxStationIPs {
		st.ips = slices.Insert(st.ips, i, ip)
	}
}

func (st *station) merge(o *station) {
	if o.first < st.first || (o.first == st.first && o.mark.Compare(st.mark) < 0) {
		st.first, st.mark = o.first, o.mark
	}
	if o.last > st.last {
		st.last = o.last
	}
	for _, ip := range o.ips {
		st.addIP(ip)
	}
	st.vlans.merge(&o.vlans)
	st.sources |= o.sources
	st.frames += o.frames
	for k, v := range o.id {
		if _, ok := st.id[k]; !ok {
			st.id[k] = v
		}
	}
}

// export is the station as Finish reports it.
func (st *station) export() Station {
	out := Station{
		MAC: site.MAC(st.mac).String(), MACBytes: st.mac, IPs: slices.Clone(st.ips),
		VLANs: st.vlans.list(), Identity: st.id, Frames: st.frames,
		FirstSeen: ts(st.first), LastSeen: ts(st.last), Evidence: st.mark,
	}
	for i, n := range sourceNames {
		if st.sources&(1<<i) != 0 {
			out.Sources = append(out.Sources, n)
		}
	}
	return out
}
