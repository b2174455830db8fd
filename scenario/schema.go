package scenario

import _ "embed"

//go:generate go test -run ^TestSchemaUpToDate$ -update .

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the scenario file
// format. Editors can use it for completion and checks of YAML and JSON
// scenarios; Parse remains the reference (it also checks what a schema
// cannot, e.g. regular expressions and references between rules).
func Schema() []byte {
	return append([]byte(nil), schemaJSON...)
}
