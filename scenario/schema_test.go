package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("schema.json is not a valid JSON Schema: %v", err)
	}
	return sch
}

// schemaValidate checks a YAML or JSON scenario against schema.json.
func schemaValidate(t testing.TB, sch *jsonschema.Schema, src []byte) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(detab(src), &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// goodInputs are scenario sources the tests parse successfully.
func goodInputs(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range exampleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	for _, tc := range matchCases {
		out["match: "+tc.name] = []byte("version: 1\nrules:\n" + indent(tc.rules))
	}
	return out
}

// TestSchemaAcceptsWhatParses validates every scenario the tests parse
// against schema.json, and checks that the formatted form validates too.
func TestSchemaAcceptsWhatParses(t *testing.T) {
	sch := compileSchema(t)
	for name, src := range goodInputs(t) {
		sc, err := Parse(name, src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := schemaValidate(t, sch, src); err != nil {
			t.Errorf("%s: parses but the schema rejects it: %v", name, err)
		}
		out, err := sc.Format()
		if err != nil {
			t.Fatal(err)
		}
		if err := schemaValidate(t, sch, out); err != nil {
			t.Errorf("%s: formatted form rejected by the schema: %v\n%s", name, err, out)
		}
	}
}

// TestSchemaRejectsUnknownKeys checks that the schema, like the parser,
// rejects unknown and misplaced keys.
func TestSchemaRejectsUnknownKeys(t *testing.T) {
	sch := compileSchema(t)
	for _, src := range []string{
		"version: 1\nrules:\n  - when: {command: STOR}\n    reply: {cod: 452}\n",
		"version: 1\nrules:\n  - when: {evnt: connect}\n",
		"version: 1\nrules:\n  - when: {command: RETR}\n    reply: 450\n    responses: [{reply: 450}]\n",
		"version: 1\nsettings: {bannner: x}\n",
		"version: 2\n",
		"name: x\n",
		"version: 1\nrules:\n  - {when: {command: STOR}, reply: 99}\n",
		"version: 1\nexpect:\n  - {command: STOR, time: 1}\n",
	} {
		if err := schemaValidate(t, sch, []byte(src)); err == nil {
			t.Errorf("schema accepts:\n%s", src)
		}
		if _, err := Parse("x.yaml", []byte(src)); err == nil {
			t.Errorf("parser accepts:\n%s", src)
		}
	}
}
