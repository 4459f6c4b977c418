package web

import (
	"encoding/json"
	"net/http"
	"time"

	"harborwatch/server"
)

// sensorRow is one sensor on the sensors page: its latest heartbeat and
// what follows from it.
type sensorRow struct {
	Site, Sensor, Run   string
	Started, Received   time.Time
	Age, Lag            string // since the heartbeat; its delay (server clock − sensor clock)
	Packets, Drops      uint64
	Pending             int64
	Dropped             uint64
	Stopped, Late, Lost bool // Late: no heartbeat for over 2 minutes; Lost: drops or queue losses
}

// sensors shows the sensors that publish to this server (serve --nats):
// each one's site, run, last heartbeat, lag, packets, kernel drops and
// queue.
func (c *Console) sensors(w http.ResponseWriter, r *http.Request, p *server.Principal) error {
	ss, err := c.st.Sensors(r.Context(), r.URL.Query().Get("site"))
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	rows := make([]sensorRow, len(ss))
	for i, s := range ss {
		row := sensorRow{Site: s.Site, Sensor: s.Sensor, Run: s.Run, Started: s.Started, Received: s.Received,
			Age: now.Sub(s.Received).Round(time.Second).String(), Lag: s.Received.Sub(s.Sent).Round(time.Millisecond).String()}
		var hb struct {
			Packets     uint64            `json:"packets"`
			KernelDrops uint64            `json:"kernel_drops"`
			Pending     int64             `json:"pending"`
			Dropped     map[string]uint64 `json:"dropped"`
			Stopping    bool              `json:"stopping"`
		}
		if json.Unmarshal(s.Heartbeat, &hb) == nil {
			row.Packets, row.Drops, row.Pending, row.Stopped = hb.Packets, hb.KernelDrops, hb.Pending, hb.Stopping
			for _, n := range hb.Dropped {
				row.Dropped += n
			}
		}
		row.Late = !row.Stopped && now.Sub(s.Received) > 2*time.Minute
		row.Lost = row.Drops > 0 || row.Dropped > 0
		rows[i] = row
	}
	pg := c.base(r, p, "Sensors", "sensors")
	pg.Data = map[string]any{"Sensors": rows}
	c.render(w, http.StatusOK, "sensors", pg)
	return nil
}
