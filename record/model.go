package record

import (
	"encoding/base64"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mockftpd/mockftpd/scenario"
)

// A recording is an ordinary scenario (scenario.Scenario): Scenario builds
// it from the scenario model, and scenario's Format writes it. The helpers
// below make the parts of the model a recording uses.

// sameStep reports whether two steps do the same, their delays aside.
func sameStep(a, b scenario.Step) bool {
	a.Delay, b.Delay = scenario.DelaySpec{}, scenario.DelaySpec{}
	return reflect.DeepEqual(a, b)
}

// delaySpec is a fixed delay.
func delaySpec(d time.Duration) scenario.DelaySpec { return scenario.DelaySpec{Min: d} }

// dataContent is a data connection that carries exactly b (a listing as
// the server sent it): as text where YAML keeps it, else as base64.
func dataContent(b []byte) *scenario.DataFault {
	if textOK(b) {
		s := string(b)
		return &scenario.DataFault{Content: &s}
	}
	return &scenario.DataFault{Base64: base64.StdEncoding.EncodeToString(b)}
}

// refusedData closes the client's data connection at once, the final
// reply then being r: a transfer whose data connection the server refused
// (a TLS session not resumed, say).
func refusedData(r scenario.Reply) *scenario.DataFault {
	return &scenario.DataFault{Refuse: scenario.RefuseClose, Reply: &r}
}

// exact matches a command's argument (or path) exactly.
func exact(s string) *scenario.ArgMatch { return &scenario.ArgMatch{Exact: s} }

// globEscape makes a user name match itself only in a glob.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// textOK reports whether b can be written as YAML text rather than base64.
func textOK(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}
