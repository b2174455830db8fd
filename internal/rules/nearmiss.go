package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/scenario"
)

// nearIndex is the rules naming one verb, arranged so that finding the
// nearest one for a request does not look at every rule: a rule with an
// exact argument other than the request's fails at least that condition,
// so only those before the first such rule with no other condition can
// come nearer.
type nearIndex struct {
	rest      []*crule            // rules without an exact argument, in order
	exact     map[string][]*crule // rules with an exact argument, by argument
	ordered   []*crule            // rules with an exact argument, in order
	firstFree int                 // index in ordered of the first one without path, user, session or state (len when none)
}

func newNearIndex(rules []*crule) *nearIndex {
	x := &nearIndex{exact: map[string][]*crule{}}
	for _, c := range rules {
		a, ok := c.arg.Exact()
		if !ok {
			x.rest = append(x.rest, c)
			continue
		}
		x.exact[a] = append(x.exact[a], c)
		x.ordered = append(x.ordered, c)
	}
	x.firstFree = len(x.ordered)
	for i, c := range x.ordered {
		if w := &c.rule.When; c.user == nil && c.path == nil && w.Session == 0 && w.State == "" {
			x.firstFree = i
			break
		}
	}
	return x
}

// nearMiss finds the rule naming req's verb (or the connect rule) that came
// closest to matching, and why it did not fire. session is 0 and state nil
// when unknown. Of the rules with the fewest failed conditions, the first
// in the scenario wins.
func nearMiss(set *ruleset, req Request, session int, state *string) (*scenario.Rule, string, bool) {
	var best *crule
	var bestWhy []string
	bestScore := 1 << 30
	consider := func(c *crule) {
		hard, soft := misses(c, req, session, state)
		if s := len(hard); s < bestScore || (s == bestScore && c.pos < best.pos) {
			best, bestScore = c, s
			bestWhy = append(hard, soft...)
		}
	}
	if req.Event == scenario.EventConnect {
		for _, c := range set.connect.rules {
			consider(c)
		}
	} else if x := set.named[upper(req.Verb)]; x != nil {
		for _, c := range x.rest {
			consider(c)
		}
		for _, c := range x.exact[req.Arg] {
			consider(c)
		}
		for _, c := range x.ordered[:min(len(x.ordered), x.firstFree+1)] {
			if a, _ := c.arg.Exact(); a != req.Arg {
				consider(c)
			}
		}
	}
	if best == nil || len(bestWhy) == 0 {
		return nil, "", false
	}
	return best.rule, strings.Join(bestWhy, "; "), true
}

// misses lists the conditions of c that req fails (hard) and, when none
// does, the reasons it may still not have fired (soft).
func misses(c *crule, req Request, session int, state *string) (hard, soft []string) {
	w := &c.rule.When
	if !c.arg.Match(req.Arg) {
		hard = append(hard, c.arg.WhyNotArg(req.Arg))
	}
	if c.path != nil {
		switch {
		case req.Path == "":
			hard = append(hard, commandText(req)+" acts on no path, the rule wants a path")
		case !c.path.Match(req.Path):
			hard = append(hard, c.path.WhyNotPath(req.Path))
		}
	}
	if !c.user.Match(req.User) {
		if req.User == "" {
			hard = append(hard, "no user is logged in, the rule is for user "+w.User)
		} else {
			hard = append(hard, "user "+req.User+" does not match "+w.User)
		}
	}
	if w.Session > 0 {
		if session == 0 {
			soft = append(soft, "the rule is only for session "+strconv.Itoa(w.Session))
		} else if session != w.Session {
			hard = append(hard, fmt.Sprintf("this was session %d, the rule is only for session %d", session, w.Session))
		}
	}
	if w.State != "" {
		switch {
		case state == nil:
			soft = append(soft, "the rule is only for state "+w.State)
		case *state != w.State:
			cur := *state
			if cur == "" {
				cur = "the initial state"
			} else {
				cur = "state " + cur
			}
			hard = append(hard, "the scenario is in "+cur+", the rule needs state "+w.State)
		}
	}
	if len(hard) > 0 {
		return hard, soft
	}
	if c.nth > 0 {
		scope := "in its session"
		if c.global {
			scope = "across sessions"
		}
		soft = append(soft, fmt.Sprintf("the rule fires only on the %s matching command (counted %s)", ordinal(c.nth), scope))
	}
	if r := c.rule; r.Times > 0 && c.fires >= r.Times {
		soft = append(soft, "it already fired "+plural(c.fires, "time", "times")+" (times: "+strconv.Itoa(r.Times)+")")
	} else if c.exhausted() {
		soft = append(soft, fmt.Sprintf("its %s were used up (exhausted: pass)", plural(len(r.Steps), "response", "responses")))
	}
	if p := w.Probability; p > 0 && p < 1 {
		soft = append(soft, fmt.Sprintf("it fires with probability %v and the draw said no", p))
	}
	return hard, soft
}

// commandText writes a request's command line: "STAT", "LIST -la".
func commandText(req Request) string {
	if req.Arg == "" {
		return upper(req.Verb)
	}
	return upper(req.Verb) + " " + req.Arg
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
