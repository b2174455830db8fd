package admin

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// ruleView is one rule of the scenario in force with its counters, as
// GET /api/rules and the live page show it.
type ruleView struct {
	Index int    `json:"index"` // position in the scenario, from 0
	Label string `json:"label"` // its name, or "rule #N": what the journal's entries name
	Pos   string `json:"pos,omitempty"`
	// YAML is the rule as a scenario file writes it.
	YAML      string `json:"yaml"`
	Responses int    `json:"responses"`
	// Faults says, per response, what it does to a transfer's data
	// connection ("" for nothing); absent when no response has a fault.
	Faults []string `json:"faults,omitempty"`
	// Exhausted is what the rule does once its responses run out: pass,
	// repeat or cycle ("" for a single response, which repeats).
	Exhausted string `json:"exhausted,omitempty"`
	Times     int    `json:"times,omitempty"` // 0: no limit
	// Remaining is how many more times it may fire (times less its
	// firings); absent without times.
	Remaining *int   `json:"remaining,omitempty"`
	Fires     int    `json:"fires"`
	Next      int    `json:"next"` // the response its next firing uses, from 0
	Done      bool   `json:"done"` // it can fire no more
	NextState string `json:"next_state,omitempty"`
}

type rulesStatus struct {
	Scenario scenarioInfo `json:"scenario"`
	State    string       `json:"state"`
	Rules    []ruleView   `json:"rules"`
	// RulesTotal is the scenario's number of rules: more than len(Rules)
	// when a stream left some out.
	RulesTotal int `json:"rules_total"`
}

type scenarioInfo struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Source      string `json:"source,omitempty"`
}

// ruleTexts caches the YAML of the rules of one scenario: a scenario in
// force is never changed, only replaced.
type ruleTexts struct {
	mu    sync.Mutex
	sc    *scenario.Scenario
	texts []string
}

func (c *ruleTexts) get(sc *scenario.Scenario) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sc != sc {
		c.sc, c.texts = sc, make([]string, len(sc.Rules))
		for i := range sc.Rules {
			c.texts[i] = ruleYAML(sc.Rules[i])
		}
	}
	return c.texts
}

// ruleYAML writes one rule as an item of a scenario's rules: list.
func ruleYAML(r scenario.Rule) string {
	one := scenario.Scenario{Version: scenario.FormatVersion, Rules: []scenario.Rule{r}}
	text, err := one.Format()
	if err != nil {
		return "# " + err.Error()
	}
	s := string(text)
	_, s, _ = strings.Cut(s, "rules:\n")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = l[min(len(l), 4):] // "  - " and the indent under it
	}
	return strings.Join(lines, "\n")
}

// rulesStatus is the scenario in force, its state and at most limit of
// its rules (0: all) with their counters.
func (a *API) rulesStatus(st server.ScenarioStatus, limit int) rulesStatus {
	sc := st.Scenario
	n := len(sc.Rules)
	if limit > 0 && n > limit {
		n = limit
	}
	texts := a.ruleTexts.get(sc)
	out := rulesStatus{
		Scenario:   scenarioInfo{Name: sc.Name, Description: sc.Description, Source: sc.Source},
		State:      st.State,
		Rules:      make([]ruleView, n),
		RulesTotal: len(sc.Rules),
	}
	for i := range n {
		r, c := &sc.Rules[i], st.Rules[i]
		v := ruleView{Index: i, Label: r.Label(), Pos: r.Pos, YAML: texts[i], Responses: len(r.Steps), Exhausted: string(r.Exhausted),
			Times: r.Times, Fires: c.Fires, Next: c.Next, Done: c.Exhausted, NextState: r.NextState}
		for k, st := range r.Steps {
			if st.Data != nil {
				if v.Faults == nil {
					v.Faults = make([]string, len(r.Steps))
				}
				v.Faults[k] = describeFault(st.Data)
			}
		}
		if r.Times > 0 {
			left := max(0, r.Times-c.Fires)
			v.Remaining = &left
		}
		out.Rules[i] = v
	}
	return out
}

// getRules answers the rules in force with their counters, and the state.
func (a *API) getRules(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.rulesStatus(a.srv.ScenarioStatus(), 0))
}

// describeFault says in a line what a data fault does.
func describeFault(d *scenario.DataFault) string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	delay := func(name string, ds scenario.DelaySpec) {
		switch {
		case ds.IsZero():
		case ds.Max > ds.Min:
			add("%s %s to %s", name, ds.Min, ds.Max)
		default:
			add("%s %s", name, ds.Min)
		}
	}
	switch d.Refuse {
	case scenario.RefuseIgnore:
		add("data connection never accepted")
	case scenario.RefuseClose:
		add("data connection closed at once")
	case scenario.RefuseReset:
		add("data connection reset at once")
	case scenario.Refuse425:
		add("refused with 425")
	}
	if after, cut := d.Cut(); cut {
		end := d.End
		if end == "" {
			end = scenario.EndClose
		}
		add("cut after %s (%s)", scenario.FormatSize(after), end)
	}
	if _, ok := d.Bytes(); ok {
		add("scripted content")
	}
	if d.Rate > 0 {
		add("%s/s", scenario.FormatSize(d.Rate))
	}
	if d.Chunk > 0 {
		add("chunks of %s every %s", scenario.FormatSize(d.Chunk), d.ChunkDelay)
	}
	if d.Corrupt > 0 {
		add("1 byte in %d corrupted", d.Corrupt)
	}
	delay("preliminary reply after", d.DelayPreliminary)
	delay("first byte after", d.DelayData)
	delay("final reply after", d.DelayFinal)
	if d.Reply != nil {
		if d.Reply.Code == 0 && d.Reply.Raw == "" {
			add("no final reply")
		} else {
			add("final reply %d", d.Reply.Code)
		}
	}
	if d.KeepPartial != nil && !*d.KeepPartial {
		add("partial upload removed")
	}
	if d.AdvertiseHost != "" {
		add("PASV advertises %s", d.AdvertiseHost)
	}
	if d.AdvertisePort > 0 {
		add("PASV advertises port %d", d.AdvertisePort)
	}
	if len(parts) == 0 {
		return "no fault"
	}
	return strings.Join(parts, ", ")
}
