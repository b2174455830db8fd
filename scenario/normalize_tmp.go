package scenario

import "slices"

// Normalize returns a validated deep copy of sc with its defaults filled
// in; sc itself is never changed, so one scenario may be shared by servers
// running at the same time. A nil sc is an empty scenario.
//
// (Temporary: the file-format rewrite makes Validate pure and provides
// Normalize; until then it copies and validates the copy.)
func (sc *Scenario) Normalize() (*Scenario, error) {
	if sc == nil {
		sc = &Scenario{Version: FormatVersion}
	}
	c := sc.clone()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// clone is a deep copy of sc: nothing reachable from it is shared.
func (sc *Scenario) clone() *Scenario {
	c := *sc
	c.Users = slices.Clone(sc.Users)
	c.Files = slices.Clone(sc.Files)
	c.Settings.Features = slices.Clone(sc.Settings.Features)
	c.Settings.Disable = slices.Clone(sc.Settings.Disable)
	c.Rules = make([]Rule, len(sc.Rules))
	for i := range sc.Rules {
		c.Rules[i] = sc.Rules[i].clone()
	}
	if sc.Rules == nil {
		c.Rules = nil
	}
	c.Expect = make([]Expectation, len(sc.Expect))
	for i, e := range sc.Expect {
		e.Arg = clonePtr(e.Arg)
		e.Exactly, e.AtLeast, e.AtMost = clonePtr(e.Exactly), clonePtr(e.AtLeast), clonePtr(e.AtMost)
		c.Expect[i] = e
	}
	if sc.Expect == nil {
		c.Expect = nil
	}
	return &c
}

// clone is a deep copy of r.
func (r Rule) clone() Rule {
	r.When.Commands = slices.Clone(r.When.Commands)
	r.When.Arg = clonePtr(r.When.Arg)
	r.errs = slices.Clone(r.errs)
	steps := make([]Step, len(r.Steps))
	for i, s := range r.Steps {
		s.Replies = slices.Clone(s.Replies)
		s.Preliminary, s.Final = clonePtr(s.Preliminary), clonePtr(s.Final)
		if s.Data != nil {
			d := *s.Data
			d.Reply, d.KeepPartial = clonePtr(d.Reply), clonePtr(d.KeepPartial)
			s.Data = &d
		}
		steps[i] = s
	}
	if r.Steps == nil {
		steps = nil
	}
	r.Steps = steps
	return r
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
