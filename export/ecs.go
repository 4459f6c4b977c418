package export

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"harborwatch/finding"
)

// ecsVersion is the version of the Elastic Common Schema the lines follow.
const ecsVersion = "8.11.0"

// ecsSeverity maps a finding's severity to ECS event.severity on the scale
// of Elastic's detection rules: low → 21, medium → 47, high → 73,
// critical → 99, anything else → 0.
func ecsSeverity(s finding.Severity) int {
	switch s {
	case finding.Critical:
		return 99
	case finding.High:
		return 73
	case finding.Medium:
		return 47
	case finding.Low:
		return 21
	}
	return 0
}

// ecsDoc is one change as an ECS document. Fields ECS does not define are
// under "harborwatch".
type ecsDoc struct {
	Timestamp   time.Time         `json:"@timestamp"`
	ECS         ecsVersionField   `json:"ecs"`
	Event       ecsEvent          `json:"event"`
	Rule        ecsRule           `json:"rule"`
	Source      *ecsHost          `json:"source,omitempty"`
	Destination *ecsHost          `json:"destination,omitempty"`
	Network     *ecsNetwork       `json:"network,omitempty"`
	Observer    ecsObserver       `json:"observer"`
	Labels      map[string]string `json:"labels,omitempty"`
	Threat      *ecsThreat        `json:"threat,omitempty"`
	Message     string            `json:"message"`
	Harborwatch ecsHarborwatch    `json:"harborwatch"`
}

type ecsVersionField struct {
	Version string `json:"version"`
}

type ecsEvent struct {
	Kind     string     `json:"kind"`
	Category []string   `json:"category"`
	Type     []string   `json:"type"`
	Action   string     `json:"action"`
	Severity int        `json:"severity"`
	ID       string     `json:"id"`
	Dataset  string     `json:"dataset"`
	Start    *time.Time `json:"start,omitempty"`
	End      *time.Time `json:"end,omitempty"`
}

type ecsRule struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Ruleset string `json:"ruleset"`
}

type ecsHost struct {
	IP   string `json:"ip,omitempty"`
	Port uint16 `json:"port,omitempty"`
	MAC  string `json:"mac,omitempty"`
}

type ecsNetwork struct {
	Transport string `json:"transport,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
}

type ecsObserver struct {
	Vendor   string `json:"vendor"`
	Product  string `json:"product"`
	Version  string `json:"version"`
	Hostname string `json:"hostname,omitempty"`
}

type ecsThreat struct {
	Framework string       `json:"framework"`
	Technique ecsTechnique `json:"technique"`
}

type ecsTechnique struct {
	ID []string `json:"id"`
}

type ecsHarborwatch struct {
	FindingID   string         `json:"finding_id"`
	Site        string         `json:"site"`
	State       string         `json:"state"`
	Reason      string         `json:"reason,omitempty"`
	Suppression string         `json:"suppression,omitempty"`
	Actor       string         `json:"actor,omitempty"`
	Count       uint64         `json:"count"`
	Occurrences int64          `json:"occurrences"`
	Controls    []string       `json:"controls"`
	SrcZone     string         `json:"source_zone,omitempty"`
	SrcAsset    string         `json:"source_asset,omitempty"`
	DstZone     string         `json:"destination_zone,omitempty"`
	DstAsset    string         `json:"destination_asset,omitempty"`
	Detail      map[string]any `json:"detail,omitempty"`
}

// ecsFormatter returns the formatter of ECS JSON lines.
func ecsFormatter(o Options) func(Change) ([]byte, error) {
	return func(c Change) ([]byte, error) { return formatECS(o.Version, o.Hostname, c) }
}

// formatECS returns a change as one ECS JSON line, newline included.
func formatECS(version, hostname string, c Change) ([]byte, error) {
	f := &c.F
	d := ecsDoc{
		Timestamp: c.At.UTC(),
		ECS:       ecsVersionField{ecsVersion},
		Event: ecsEvent{
			Kind: "alert", Category: []string{"network", "intrusion_detection"}, Type: []string{"info"},
			Action: c.Kind, Severity: ecsSeverity(f.Severity), ID: f.ID, Dataset: "harborwatch.finding",
			Start: timePtr(f.FirstSeen), End: timePtr(f.LastSeen),
		},
		Rule:        ecsRule{ID: f.Rule, Name: f.Title, Ruleset: "harborwatch"},
		Source:      host(f.Src, 0),
		Destination: host(f.Dst, f.DPort),
		Observer:    ecsObserver{Vendor: "harborwatch", Product: "harborwatch", Version: version, Hostname: hostname},
		Message:     message(c),
		Harborwatch: ecsHarborwatch{
			FindingID: f.ID, Site: f.Site, State: f.State, Reason: f.Reason, Suppression: f.Suppression,
			Actor: c.Actor, Count: f.Count, Occurrences: f.Occurrences, Controls: nonNil(f.Controls),
			SrcZone: f.Src.Zone, SrcAsset: f.Src.Asset, DstZone: f.Dst.Zone, DstAsset: f.Dst.Asset,
			Detail: f.Detail,
		},
	}
	if f.Transport != "" || f.App != "" {
		d.Network = &ecsNetwork{Transport: strings.ToLower(f.Transport), Protocol: strings.ToLower(f.App)}
	}
	if f.Site != "" {
		d.Labels = map[string]string{"site": f.Site}
	}
	if len(f.Techniques) > 0 {
		d.Threat = &ecsThreat{Framework: "MITRE ATT&CK for ICS", Technique: ecsTechnique{ID: f.Techniques}}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// host returns an ECS source or destination, nil when it has no address.
func host(h finding.Host, port uint16) *ecsHost {
	if !h.IP.IsValid() && h.MAC == "" {
		return nil
	}
	e := &ecsHost{Port: port, MAC: ecsMAC(h.MAC)}
	if h.IP.IsValid() {
		e.IP = h.IP.Unmap().String()
	}
	return e
}

// ecsMAC writes a MAC address as ECS wants it: upper case, '-' between
// the bytes.
func ecsMAC(mac string) string {
	return strings.ToUpper(strings.ReplaceAll(mac, ":", "-"))
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
