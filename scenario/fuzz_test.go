package scenario

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is located,
// and that whatever parses formats back (YAML with Format, JSON with
// json.Marshal) to an equal scenario, normalises to itself (internal/rules fuzzes running scenarios).
// Seeds: testdata/fuzz/FuzzParse (the example files and ready-made
// scenarios), the bad inputs of the parser tests and the rows of the step
// combination table.
func FuzzParse(f *testing.F) {
	for _, tc := range badInputs {
		f.Add([]byte(tc.in))
	}
	for _, tc := range stepCases {
		f.Add([]byte("version: 1\nsettings: {custom_commands: [XFOO], disable: [MDTM]}\nrules:\n  - " + strings.ReplaceAll(tc.rule, "\n", "\n    ") + "\n"))
	}
	f.Add([]byte(`{"version": 1, "files": [{"path": "/p", "size": "1PiB"}], "rules": [{"when": {"command": ["RETR"]}, "reply": [{"code": 450}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("f.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v", err, err)
			}
			for _, e := range list[:min(len(list), MaxErrors)] {
				if e.File != "f.yaml" || e.Line < 1 {
					t.Fatalf("unlocated error %#v", e)
				}
			}
			return
		}
		out, err := sc.Format()
		if err != nil {
			t.Fatalf("Format: %v", err)
		}
		j, err := json.Marshal(sc)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		for _, form := range [][]byte{out, j} {
			again, err := Parse("f.yaml", form)
			if err != nil {
				t.Fatalf("the scenario's YAML or JSON does not parse: %v\n%s", err, form)
			}
			if !reflect.DeepEqual(comparable(sc), comparable(again)) {
				t.Fatalf("round trip differs:\n%s", form)
			}
		}
		if n, err := sc.Normalize(); err != nil || !reflect.DeepEqual(n, sc) {
			t.Fatalf("a parsed scenario does not normalise to itself: %v", err)
		}
	})
}
