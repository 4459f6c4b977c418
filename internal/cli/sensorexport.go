package cli

import (
	"context"
	"fmt"
	"time"

	"harborwatch/export"
	"harborwatch/pipeline"
	"harborwatch/store"
)

// exportSink sends each finding the sensor raises to the SIEM (--export)
// as it is raised: once a run, as serve sends a run's findings (the
// later updates of a finding in the run only grow its count). The
// exporters queue without blocking; what their queues cannot hold is
// counted in their stats and reported at the stop.
type exportSink struct {
	pipeline.Sink
	xs   []export.Exporter
	site string
	warn func(string)
}

func (x exportSink) Finding(u *pipeline.FindingUpdate) {
	x.Sink.Finding(u)
	if u.Kind != pipeline.FindingNew {
		return
	}
	at := u.At
	if at.IsZero() {
		at = time.Now()
	}
	f := store.Finding{Finding: u.Finding, Site: x.site, State: store.Open, Occurrences: 1, Updated: at.UTC()}
	for _, e := range x.xs {
		if err := e.Export(context.Background(), export.Change{Kind: export.KindNew, At: at.UTC(), Actor: "system", F: f}); err != nil {
			x.warn("export: " + err.Error())
		}
	}
}

// closeExporters delivers what the exporters hold (each within its close
// timeout) and says per destination what was sent and what was not.
func closeExporters(e *env, specs []string, xs []export.Exporter) {
	for i, x := range xs {
		err := x.Close()
		st := x.Stats()
		line := fmt.Sprintf("harborwatch sensor: export to %s: %d findings sent, %d dropped, %d failed attempts", specs[i], st.Sent, st.Dropped, st.Errors)
		if err != nil {
			line += ": " + err.Error()
		}
		fmt.Fprintln(e.stderr, line)
	}
}
