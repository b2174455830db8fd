package scenario

import (
	"sort"
	"strconv"
	"strings"

	suggestpkg "github.com/mockftpd/mockftpd/internal/suggest"
)

// MaxErrors is how many errors Parse, Load and Validate report at most; a
// last entry says how many more were found.
const MaxErrors = 20

// Error is one problem found in a scenario, located in its source when the
// location is known.
type Error struct {
	File string // the scenario's name or file path
	Line int    // 1-based; 0 when unknown (a scenario built in Go)
	Col  int    // 1-based; 0 when unknown
	Msg  string // what is wrong, and how to fix it when that is clear
}

// Error returns "file:line:col: msg", dropping the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		if e.Col > 0 {
			b.WriteString(strconv.Itoa(e.Col))
			b.WriteByte(':')
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a scenario, in source order. Parse,
// Load and Validate return one (never an empty one) when they fail.
type ErrorList []*Error

// Error returns the errors, one a line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// finish sorts located errors by position (unlocated ones keep their order,
// after them), removes duplicates and applies MaxErrors; it returns nil for
// no errors.
func finish(l ErrorList) error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := l[:0:0]
	seen := map[string]bool{}
	for _, e := range l {
		s := e.Error()
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, e)
	}
	if len(out) > MaxErrors {
		more := len(out) - MaxErrors
		file := out[0].File
		out = append(out[:MaxErrors:MaxErrors], &Error{File: file, Msg: "too many errors (" + strconv.Itoa(more) + " more not shown)"})
	}
	return out
}

// suggest returns the known word closest to w, or "" when none is close
// enough to be a likely typo (see suggest.Closest).
func suggest(w string, known []string) string { return suggestpkg.Closest(w, known) }

// didYouMean returns ` (did you mean "x"?)` or "".
func didYouMean(w string, known []string) string {
	if s := suggest(w, known); s != "" {
		return ` (did you mean "` + s + `"?)`
	}
	return ""
}
