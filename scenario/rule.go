package scenario

import (
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ParseRule reads one rule written as an item of a scenario's "rules:"
// list, in YAML or JSON, e.g. "when: {command: STOR}\nreply: 452 Disk full"
// (the admin API's POST /api/rules), and returns it normalised. Errors are
// located in data, as "name:line:col: message". in is the scenario the rule
// joins (nil for none): the rule may match the states its rules set (and a
// typo of one is caught) and name its custom commands; in is not changed.
func ParseRule(name string, data []byte, in *Scenario) (Rule, error) {
	if name == "" {
		name = "<rule>"
	}
	body, err := document(name, data, `empty rule: send one rule such as "when: {command: STOR}\nreply: 452 Insufficient storage"`, "send one rule: found a second YAML document")
	if err != nil {
		return Rule{}, err
	}
	if body.Kind != yaml.MappingNode {
		return Rule{}, ErrorList{{File: name, Line: max(body.Line, 1), Col: max(body.Column, 1),
			Msg: `send one rule: a mapping such as "when: {command: STOR}", not ` + describe(body)}}
	}
	const path = "rules[0]"
	d := newDecoder(name, len(data))
	sc := &Scenario{Version: FormatVersion, Source: name, Rules: make([]Rule, 1)}
	d.push("rules")
	d.item(0)
	d.value(body, reflect.ValueOf(&sc.Rules[0]).Elem(), nil)
	var states []string
	if in != nil { // copies: normalize upper-cases them in place
		sc.Settings.CustomCommands = slices.Clone(in.Settings.CustomCommands)
		sc.Settings.Disable = slices.Clone(in.Settings.Disable)
		for _, r := range in.Rules {
			states = append(states, r.NextState)
		}
	}
	loc := &locator{file: name, root: body, prefix: path, bad: d.bad}
	sc, errs := normalize(sc, loc, states)
	if err := finish(append(d.errs, errs...)); err != nil {
		return Rule{}, err
	}
	return sc.Rules[0], nil
}
