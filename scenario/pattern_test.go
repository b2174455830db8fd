package scenario

import (
	"path"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, s string
		want    bool
	}{
		{"/a/*", "/a/b", true}, {"/a/*", "/a/b/c", false}, {"/a/**", "/a/b/c", true},
		{"**.csv", "/x/y.csv", true}, {"/a/?", "/a/b", true}, {"/a/?", "/a/bc", false},
		{"[a-c]x", "bx", true}, {"[^a-c]x", "dx", true}, {"[^a-c]x", "ax", false},
		{`\*`, "*", true}, {`\*`, "a", false}, {"a.b", "axb", false}, {"(x)", "(x)", true},
		{"CHMOD **", "CHMOD 755 /a/b", true}, {"", "", true}, {"", "a", false},
	} {
		re, err := compileGlob(tc.glob)
		if err != nil {
			t.Errorf("%q: %v", tc.glob, err)
			continue
		}
		if got := re.MatchString(tc.s); got != tc.want {
			t.Errorf("glob %q on %q = %v", tc.glob, tc.s, got)
		}
		if !strings.Contains(tc.glob, "**") {
			if pm, _ := path.Match(tc.glob, tc.s); pm != tc.want {
				t.Errorf("path.Match disagrees on %q %q", tc.glob, tc.s)
			}
		}
	}
}
