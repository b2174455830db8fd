package server

import "github.com/mockftpd/mockftpd/scenario"

// What the admin API's live page reads of the scenario while the server
// runs: the rules' counters and the state, read together.

// RuleCounter is one rule's live counters.
type RuleCounter struct {
	// Fires counts the rule's firings since the scenario was put in force
	// or the server reset.
	Fires int
	// Next is the index in the rule's responses of the one its next firing
	// uses (before exhausted: repeat or cycle applies).
	Next int
	// Exhausted is true when the rule can fire no more: its times are
	// used, or its responses with exhausted: pass.
	Exhausted bool
}

// ScenarioStatus is the scenario in force, its state and its rules'
// counters, read at one moment.
type ScenarioStatus struct {
	// Scenario is the scenario in force; it must not be changed. A new
	// one (another pointer) means it was replaced or rules were added.
	Scenario *scenario.Scenario
	State    string
	Rules    []RuleCounter // one per rule of Scenario, in order
}

// ScenarioStatus reads the scenario in force, its state and its rules'
// counters at once.
func (s *Server) ScenarioStatus() ScenarioStatus {
	snap := s.rt.Snapshot()
	out := ScenarioStatus{Scenario: snap.Scenario, State: snap.State, Rules: make([]RuleCounter, len(snap.Rules))}
	for i, c := range snap.Rules {
		out.Rules[i] = RuleCounter{Fires: c.Fires, Next: c.Next, Exhausted: c.Exhausted}
	}
	return out
}
