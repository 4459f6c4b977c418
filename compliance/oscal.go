package compliance

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// OSCALVersion is the OSCAL version of the documents WriteOSCAL writes.
const OSCALVersion = "1.1.3"

// oscalNS is the namespace of harborwatch's OSCAL props.
const oscalNS = "urn:harborwatch:oscal"

// uuidNS is the namespace of the name-based (version 5) UUIDs of the
// OSCAL documents: the same site, control and time give the same UUID.
var uuidNS = [16]byte{0x5c, 0x2f, 0x3a, 0x61, 0x0e, 0x4b, 0x4c, 0x8e, 0x9d, 0x1a, 0x77, 0x30, 0x2c, 0x6b, 0x91, 0xf4}

// uuid5 returns the RFC 4122 version 5 UUID of name in uuidNS.
func uuid5(parts ...string) string {
	h := sha1.New()
	h.Write(uuidNS[:])
	h.Write([]byte(strings.Join(parts, "\x00")))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

type oscalProp struct {
	Name  string `json:"name"`
	NS    string `json:"ns,omitempty"`
	Value string `json:"value"`
}

type oscalDoc struct {
	AR oscalAR `json:"assessment-results"`
}

type oscalAR struct {
	UUID       string          `json:"uuid"`
	Metadata   oscalMetadata   `json:"metadata"`
	ImportAP   oscalHref       `json:"import-ap"`
	Results    []oscalResult   `json:"results"`
	BackMatter oscalBackMatter `json:"back-matter"`
}

type oscalHref struct {
	Href string `json:"href"`
}

type oscalMetadata struct {
	Title        string       `json:"title"`
	LastModified string       `json:"last-modified"`
	Version      string       `json:"version"`
	OSCALVersion string       `json:"oscal-version"`
	Roles        []oscalRole  `json:"roles"`
	Parties      []oscalParty `json:"parties"`
	Responsible  []oscalResp  `json:"responsible-parties"`
	Props        []oscalProp  `json:"props,omitempty"`
}

type oscalRole struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type oscalParty struct {
	UUID string `json:"uuid"`
	Type string `json:"type"`
	Name string `json:"name"`
}

type oscalResp struct {
	RoleID     string   `json:"role-id"`
	PartyUUIDs []string `json:"party-uuids"`
}

type oscalBackMatter struct {
	Resources []oscalResource `json:"resources"`
}

type oscalResource struct {
	UUID        string `json:"uuid"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

type oscalResult struct {
	UUID         string             `json:"uuid"`
	Title        string             `json:"title"`
	Description  string             `json:"description"`
	Start        string             `json:"start"`
	End          string             `json:"end"`
	Props        []oscalProp        `json:"props,omitempty"`
	Reviewed     oscalReviewed      `json:"reviewed-controls"`
	Observations []oscalObservation `json:"observations,omitempty"`
	Risks        []oscalRisk        `json:"risks,omitempty"`
	Findings     []oscalFinding     `json:"findings,omitempty"`
}

type oscalReviewed struct {
	Selections []oscalSelection `json:"control-selections"`
}

type oscalSelection struct {
	Include []oscalControlID `json:"include-controls"`
}

type oscalControlID struct {
	ControlID string `json:"control-id"`
}

type oscalObservation struct {
	UUID        string          `json:"uuid"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description"`
	Props       []oscalProp     `json:"props,omitempty"`
	Methods     []string        `json:"methods"`
	Types       []string        `json:"types,omitempty"`
	Evidence    []oscalEvidence `json:"relevant-evidence,omitempty"`
	Collected   string          `json:"collected"`
	Expires     string          `json:"expires,omitempty"`
}

type oscalEvidence struct {
	Href        string      `json:"href,omitempty"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
}

type oscalRisk struct {
	UUID        string `json:"uuid"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Statement   string `json:"statement"`
	Status      string `json:"status"`
}

type oscalFinding struct {
	UUID        string         `json:"uuid"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Props       []oscalProp    `json:"props,omitempty"`
	Target      oscalTarget    `json:"target"`
	RelatedObs  []oscalRelObs  `json:"related-observations,omitempty"`
	RelatedRisk []oscalRelRisk `json:"related-risks,omitempty"`
}

type oscalTarget struct {
	Type     string            `json:"type"`
	TargetID string            `json:"target-id"`
	Status   oscalTargetStatus `json:"status"`
}

type oscalTargetStatus struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

type oscalRelObs struct {
	UUID string `json:"observation-uuid"`
}

type oscalRelRisk struct {
	UUID string `json:"risk-uuid"`
}

func oscalTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// nonEmpty keeps a required text field valid (the schema wants at least
// one character that is not white space).
func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// OSCAL returns the report as an OSCAL 1.1.3 assessment-results document.
// Each control is one observation (the evidence, by method: TEST for what
// the wire showed, INTERVIEW for attestations) and one finding whose
// target status is satisfied (satisfied, attested) or not-satisfied (the
// rest, with reason "fail", or "other" for not assessed); harborwatch's
// own status and staleness are props. Not satisfied and partly satisfied
// controls carry an open risk whose statement is how to satisfy them. The
// assessment plan is not a separate document: import-ap points to a
// back-matter resource describing the continuous monitoring.
func (r *Report) OSCAL() any {
	at := oscalTime(r.At)
	party := uuid5("party", "harborwatch")
	plan := uuid5("plan", r.Site)
	res := oscalResult{
		UUID:        uuid5("result", r.Site),
		Title:       "Continuous monitoring of site " + r.Site,
		Description: fmt.Sprintf("Evaluation of %d controls from %s, the asset inventory, the access register and attestations; evidence older than %s is stale.", len(r.Results), count(r.Captures, "analyzed capture"), r.MaxAge),
		Start:       at,
		End:         at,
		Props: []oscalProp{
			{Name: "open-findings", NS: oscalNS, Value: fmt.Sprint(r.OpenFindings)},
			{Name: "captures", NS: oscalNS, Value: fmt.Sprint(r.Captures)},
		},
	}
	if !r.LastEvidence.IsZero() && r.LastEvidence.Before(r.At) {
		res.Start = oscalTime(r.LastEvidence)
		res.Props = append(res.Props, oscalProp{Name: "last-evidence", NS: oscalNS, Value: oscalTime(r.LastEvidence)})
	}
	var ids []oscalControlID
	for _, c := range r.Results {
		ids = append(ids, oscalControlID{ControlID: c.ID})
		obs := oscalObservation{
			UUID:        uuid5("observation", r.Site, c.ID, at),
			Title:       c.ID + " evidence",
			Description: nonEmpty(c.Reason, "No evidence."),
			Methods:     []string{"TEST"},
			Types:       []string{"control-objective"},
			Collected:   at,
			Props:       []oscalProp{{Name: "observed-by", NS: oscalNS, Value: nonEmpty(c.Observed, "unknown")}},
		}
		switch c.Status {
		case Attested:
			obs.Methods = []string{"INTERVIEW"}
		case NotAssessed:
			obs.Methods = []string{"UNKNOWN"}
		}
		newest := time.Time{}
		for _, it := range c.Evidence {
			ev := oscalEvidence{Description: nonEmpty(it.Kind+": "+it.Text, it.Kind)}
			if it.Kind == "finding" {
				ev.Href = "findings/" + r.Site + "/" + it.Ref
			}
			if it.Against {
				ev.Props = []oscalProp{{Name: "against", NS: oscalNS, Value: "true"}}
			}
			obs.Evidence = append(obs.Evidence, ev)
			if it.At.After(newest) && !it.At.After(r.At) {
				newest = it.At
			}
		}
		if !newest.IsZero() {
			obs.Collected = oscalTime(newest)
		}
		res.Observations = append(res.Observations, obs)

		f := oscalFinding{
			UUID:        uuid5("finding", r.Site, c.ID),
			Title:       c.ID + ": " + c.Title,
			Description: nonEmpty(c.Reason, c.Title),
			Props: []oscalProp{
				{Name: "status", NS: oscalNS, Value: string(c.Status)},
				{Name: "stale", NS: oscalNS, Value: fmt.Sprint(c.Stale)},
				{Name: "source", NS: oscalNS, Value: string(c.Source)},
			},
			Target:     oscalTarget{Type: "objective-id", TargetID: c.ID},
			RelatedObs: []oscalRelObs{{UUID: obs.UUID}},
		}
		switch c.Status {
		case Satisfied, Attested:
			f.Target.Status = oscalTargetStatus{State: "satisfied", Reason: "pass"}
		case NotAssessed:
			f.Target.Status = oscalTargetStatus{State: "not-satisfied", Reason: "other"}
		default:
			f.Target.Status = oscalTargetStatus{State: "not-satisfied", Reason: "fail"}
			risk := oscalRisk{
				UUID:        uuid5("risk", r.Site, c.ID),
				Title:       c.ID + " " + string(c.Status),
				Description: nonEmpty(c.Reason, c.Title),
				Statement:   nonEmpty(c.How, "See the control's citation."),
				Status:      "open",
			}
			res.Risks = append(res.Risks, risk)
			f.RelatedRisk = []oscalRelRisk{{UUID: risk.UUID}}
		}
		res.Findings = append(res.Findings, f)
	}
	res.Reviewed = oscalReviewed{Selections: []oscalSelection{{Include: ids}}}
	return oscalDoc{AR: oscalAR{
		UUID: uuid5("assessment-results", r.Site, at),
		Metadata: oscalMetadata{
			Title:        "harborwatch compliance assessment of site " + r.Site,
			LastModified: at,
			Version:      at,
			OSCALVersion: OSCALVersion,
			Roles:        []oscalRole{{ID: "assessor", Title: "Automated assessor"}},
			Parties:      []oscalParty{{UUID: party, Type: "organization", Name: "harborwatch"}},
			Responsible:  []oscalResp{{RoleID: "assessor", PartyUUIDs: []string{party}}},
			Props:        []oscalProp{{Name: "catalog-version", NS: oscalNS, Value: fmt.Sprint(r.Catalog)}},
		},
		ImportAP: oscalHref{Href: "#" + plan},
		Results:  []oscalResult{res},
		BackMatter: oscalBackMatter{Resources: []oscalResource{{
			UUID:        plan,
			Title:       "Continuous monitoring plan of site " + r.Site,
			Description: "harborwatch observes the site's OT networks passively and evaluates the control catalog (MSCI Advisory 2026-007, 33 CFR part 101 subpart F, MARSEC Directives 105-4/105-5) from findings, the asset inventory, zone coverage, the access register and attestations.",
		}}},
	}}
}

// WriteOSCAL writes OSCAL() as indented JSON.
func (r *Report) WriteOSCAL(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.OSCAL())
}
