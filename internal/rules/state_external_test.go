package rules

import (
	"testing"

	"github.com/mockftpd/mockftpd/scenario"
)

// A state set only from outside (admin API, Runtime.SetState) is fine.
func TestStateSetFromOutside(t *testing.T) {
	sc, err := scenario.Parse("t.yaml", []byte("version: 1\nrules:\n  - when: {command: \"*\", state: maintenance}\n    reply: 421 Down for maintenance\n    then: close\n"))
	if err != nil {
		t.Fatal(err)
	}
	rt := newRuntime(sc)
	s := rt.NewSession()
	if _, ok := s.Match(Request{Event: scenario.EventCommand, Verb: "NOOP"}); ok {
		t.Fatal("fired before the state was set")
	}
	rt.SetState("maintenance")
	if d, ok := s.Match(Request{Event: scenario.EventCommand, Verb: "NOOP"}); !ok || d.Step.Replies[0].Code != 421 {
		t.Fatalf("after SetState: %+v, %v", d, ok)
	}
}
