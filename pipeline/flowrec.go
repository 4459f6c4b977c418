package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"time"

	"harborwatch/app"
	"harborwatch/decode"
	"harborwatch/flow"
)

// record fills the shard's flow record from f and hands it to the Sink.
// why is the end reason ("" for an open flow).
func (s *shard) record(f *flow.Flow[flowX], why string, open bool) {
	c := s.fill(f)
	r := &s.rec
	r.Client = netip.AddrPortFrom(c.Client.IP, c.Client.Port)
	r.Server = netip.AddrPortFrom(c.Server.IP, c.Server.Port)
	r.Transport, r.VLAN = c.Transport, c.VLAN
	r.App = app.Name(c.App, app.Transport(c.Transport), c.Server.Port)
	r.Packets, r.Bytes = c.Packets, c.Bytes
	r.Payload = f.Payload
	if f.X.swapped {
		r.Payload[0], r.Payload[1] = r.Payload[1], r.Payload[0]
	}
	r.First, r.Last = time.Unix(0, c.First).UTC(), time.Unix(0, c.Last).UTC()
	r.State = ""
	if f.Proto == decode.ProtoTCP {
		r.State = f.State.String()
	}
	r.Handshake = f.Handshake
	r.Open, r.End = open, why
	r.UID = flowUID(r)
	zc, zs := s.site.Zone(c.Client.IP, c.VLAN), s.site.Zone(c.Server.IP, c.VLAN)
	r.ClientZone, r.ServerZone = zc.ID, zs.ID
	r.ClientAsset, r.ServerAsset = "", ""
	if a := s.site.AssetByIP(c.Client.IP); a != nil {
		r.ClientAsset = a.ID
	}
	if a := s.site.AssetByIP(c.Server.IP); a != nil {
		r.ServerAsset = a.ID
	}
	s.out.flow(r)
}

// flowUID derives a flow's name from what makes it one: its first packet's
// time, VLAN, transport and endpoints: "C" and 20 hex digits of their
// SHA-256, as short as Zeek's uids and the same in every run over the
// same capture.
func flowUID(r *FlowRecord) string {
	var b [8 + 2 + 1 + 2*18]byte
	binary.BigEndian.PutUint64(b[0:], uint64(r.First.UnixNano()))
	binary.BigEndian.PutUint16(b[8:], r.VLAN)
	b[10] = r.Transport
	c, sv := r.Client.Addr().As16(), r.Server.Addr().As16()
	copy(b[11:], c[:])
	binary.BigEndian.PutUint16(b[27:], r.Client.Port())
	copy(b[29:], sv[:])
	binary.BigEndian.PutUint16(b[45:], r.Server.Port())
	sum := sha256.Sum256(b[:])
	return "C" + hex.EncodeToString(sum[:10])
}
