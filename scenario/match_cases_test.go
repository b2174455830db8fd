package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// matchCases are the rule lists the runtime's tests run
// (internal/rules/testdata/match-cases.yaml); the schema test checks that
// they are valid scenarios.
var matchCases = func() []struct{ name, rules string } {
	b, err := os.ReadFile(filepath.Join("..", "internal", "rules", "testdata", "match-cases.yaml"))
	if err != nil {
		panic(err)
	}
	var cases []struct{ Name, Rules string }
	if err := yaml.Unmarshal(b, &cases); err != nil {
		panic(err)
	}
	out := make([]struct{ name, rules string }, len(cases))
	for i, c := range cases {
		out[i].name, out[i].rules = c.Name, c.Rules
	}
	return out
}()

func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func mustParse(t testing.TB, src string) *Scenario {
	t.Helper()
	sc, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return sc
}
