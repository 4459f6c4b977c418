package compliance

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const arSchema = "testdata/oscal/oscal_assessment-results_schema.json"

func compileAR(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(arSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("file:///oscal-ar.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("file:///oscal-ar.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// TestOSCALValidates writes the example terminal's evaluation as OSCAL
// and validates it against the OSCAL 1.1.3 assessment-results schema;
// it checks the validator rejects a broken copy, and the document's
// content.
func TestOSCALValidates(t *testing.T) {
	s := compileAR(t)
	st := terminal(t)
	attest(t, st)
	g, err := Gather(ctx, st, siteID, evalAt, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := g.Report.WriteOSCAL(&b); err != nil {
		t.Fatal(err)
	}
	if err := validate(t, s, b.Bytes()); err != nil {
		t.Fatalf("the OSCAL document does not validate:\n%v", err)
	}
	// The validator is not blind: a uuid of the wrong version, a missing
	// required field and an unknown key are each refused.
	for name, broken := range map[string]string{
		"uuid version": regexp.MustCompile(`("uuid": "[0-9a-f]{8}-[0-9a-f]{4}-)5`).ReplaceAllString(b.String(), "${1}1"),
		"no metadata":  strings.Replace(b.String(), `"metadata"`, `"metadata-x"`, 1),
		"unknown key":  strings.Replace(b.String(), `"import-ap"`, `"extra": 1, "import-ap"`, 1),
	} {
		if broken == b.String() {
			t.Fatalf("%s: nothing changed", name)
		}
		if err := validate(t, s, []byte(broken)); err == nil {
			t.Errorf("%s: the broken document validates", name)
		}
	}
	var doc struct {
		AR struct {
			Results []struct {
				Findings []struct {
					Target struct {
						TargetID string `json:"target-id"`
						Status   struct{ State string }
					}
					Props []struct{ Name, Value string }
				}
				Risks        []struct{ Status string }
				Observations []struct{ UUID string }
			}
		} `json:"assessment-results"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	res := doc.AR.Results[0]
	if len(res.Findings) != 65 || len(res.Observations) != 65 {
		t.Fatalf("%d findings, %d observations, want 65 each", len(res.Findings), len(res.Observations))
	}
	states := map[string]string{}
	for _, f := range res.Findings {
		states[f.Target.TargetID] = f.Target.Status.State + "/" + f.Props[0].Value
	}
	for id, want := range map[string]string{
		"MSCI-SEG-1": "not-satisfied/not-satisfied", "MARSEC-105-4": "satisfied/attested",
		"USCG-ACCT-1": "satisfied/satisfied", "MSCI-GOV-1": "not-satisfied/not-assessed", "USCG-DEV-4": "not-satisfied/partly",
	} {
		if states[id] != want {
			t.Errorf("%s: %q, want %q", id, states[id], want)
		}
	}
	if want := g.Report.Counts[NotSatisfied] + g.Report.Counts[Partly]; len(res.Risks) != want {
		t.Errorf("%d risks, want %d (not satisfied and partly)", len(res.Risks), want)
	}
	// Deterministic: the same evaluation writes the same bytes.
	var b2 bytes.Buffer
	g.Report.WriteOSCAL(&b2)
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("two writes differ")
	}
}

func TestUUID5(t *testing.T) {
	u := uuid5("a", "b")
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u) {
		t.Fatalf("uuid5 = %s", u)
	}
	if uuid5("a", "b") != u || uuid5("a", "c") == u || uuid5("ab") == u {
		t.Fatal("uuid5 is not a function of its parts")
	}
}
