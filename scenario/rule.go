package scenario

import (
	"bytes"
	"io"

	"go.yaml.in/yaml/v3"
)

// ParseRule reads one rule written as an item of a scenario's "rules:"
// list, in YAML or JSON, e.g. "when: {command: STOR}\nreply: 452 Disk full"
// (the admin API's POST /api/rules). Errors are located in data, as
// "name:line:col: message". states lists the scenario states that other
// rules already set, so that the rule may match them (and a typo of one is
// caught).
func ParseRule(name string, data []byte, states []string) (Rule, error) {
	if name == "" {
		name = "<rule>"
	}
	fail := func(line, col int, msg string) (Rule, error) {
		return Rule{}, ErrorList{{File: name, Line: max(line, 1), Col: max(col, 1), Msg: msg}}
	}
	d := &decoder{loc: &locator{file: name, pos: map[string]pos{}}, budget: nodeBudget}
	dec := yaml.NewDecoder(bytes.NewReader(detab(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return fail(1, 1, `empty rule: send one rule such as "when: {command: STOR}\nreply: 452 Insufficient storage"`)
		}
		return Rule{}, ErrorList{d.yamlError(err)}
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		return fail(next.Line, next.Column, "send one rule: found a second YAML document")
	}
	body := &doc
	if body.Kind == yaml.DocumentNode && len(body.Content) > 0 {
		body = body.Content[0]
	}
	if body.Kind != yaml.MappingNode {
		return fail(body.Line, body.Column, `send one rule: a mapping such as "when: {command: STOR}", not `+describe(body))
	}
	// The rule goes in a scenario of its own, after nothing and before
	// rules that set the states in force; positions stay the body's.
	str := func(v, tag string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	rules := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{body}}
	for _, s := range states {
		when := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("command", "!!str"), str("NOOP", "!!str")}}
		rules.Content = append(rules.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			str("when", "!!str"), when, str("next_state", "!!str"), str(s, "!!str"),
		}})
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		str("version", "!!str"), str("1", "!!int"), str("rules", "!!str"), rules,
	}}
	sc := &Scenario{Source: name}
	d.loc.sc = sc
	sc, _, err := d.decodeRoot(root, sc)
	if err != nil {
		return Rule{}, err
	}
	r := sc.Rules[0]
	r.Index = 0
	return r, nil
}
