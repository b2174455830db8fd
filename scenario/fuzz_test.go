package scenario

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is located,
// and that whatever parses formats back to an equal scenario (internal/rules
// fuzzes running scenarios). Seeds: testdata/fuzz/FuzzParse (from the example files) and the bad
// inputs of the parser tests.
func FuzzParse(f *testing.F) {
	for _, tc := range badInputs {
		f.Add([]byte(tc.in))
	}
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
		again, err := Parse("f.yaml", out)
		if err != nil {
			t.Fatalf("formatted scenario does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(comparable(sc), comparable(again)) {
			t.Fatalf("round trip differs:\n%s", out)
		}
	})
}
