package scenario

import (
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The shorthand forms of the file format: each model type that has one
// reads and writes it here; everything else is generic (decode.go,
// encode.go).

// decodeNode reads the root: "x-" keys are ignored (a place for YAML
// anchors and notes) and "version" is required.
func (sc *Scenario) decodeNode(d *decoder, n *yaml.Node, _ *fieldInfo) bool {
	si := infoOf(reflect.TypeFor[Scenario]())
	pairs, ok := d.pairs(n, si.typ, si.names, func(k string) bool { return strings.HasPrefix(k, "x-") })
	if !ok {
		return false
	}
	d.fields(pairs, reflect.ValueOf(sc).Elem())
	if !has(pairs, "version") {
		d.errorAt(n, "version", `missing "version: 1" (the scenario format version)`)
	}
	return true
}

func (sc Scenario) encodeNode(e *encoder, _ *fieldInfo) *yaml.Node {
	if sc.Version == 0 {
		sc.Version = FormatVersion
	}
	return e.mapping(reflect.ValueOf(&sc).Elem()) // Scenario's own fields: no hook on the struct value path
}

// stepKeys are the keys of a step, also allowed beside "when" as the
// shorthand for a rule with that single step.
var stepKeys = infoOf(reflect.TypeFor[Step]()).names

// ruleKeys are the keys a rule mapping may hold.
var ruleKeys = append(append([]string(nil), infoOf(reflect.TypeFor[Rule]()).names...), stepKeys...)

// decodeNode reads a rule: its own keys, and either "responses" or the
// keys of its single step.
func (r *Rule) decodeNode(d *decoder, n *yaml.Node, _ *fieldInfo) bool {
	t := reflect.TypeFor[Rule]()
	pairs, ok := d.pairs(n, t, ruleKeys, nil)
	if !ok {
		return false
	}
	r.Pos = d.file + ":" + strconv.Itoa(n.Line) + ":" + strconv.Itoa(n.Column)
	var own, short []pair
	var responses *pair
	for i, p := range pairs {
		switch {
		case p.key == "responses":
			responses = &pairs[i]
		case contains(stepKeys, p.key):
			short = append(short, p)
		default:
			own = append(own, p)
		}
	}
	d.fields(own, reflect.ValueOf(r).Elem())
	for _, p := range pairs {
		switch {
		case responses != nil && contains(stepKeys, p.key):
			d.errorAt(p.kn, p.key, "%q cannot be combined with \"responses\" at the rule level: put it inside a response", p.key)
		case responses == nil && p.key == "exhausted":
			d.errorAt(p.kn, p.key, `"exhausted" applies only to a rule with "responses"`)
		}
	}
	d.push("steps")
	defer d.pop()
	switch {
	case responses != nil && len(short) > 0:
	case responses != nil:
		items := resolve(responses.v)
		if items == nil || !d.spend() {
			return false
		}
		if items.Kind != yaml.SequenceNode {
			d.errorf(items, "expected a list of responses, got %s", describe(items))
			return false
		}
		if len(items.Content) == 0 {
			d.errorf(items, "expected at least one response, got an empty list")
		}
		r.Steps = make([]Step, len(items.Content))
		for i, e := range items.Content {
			d.item(i)
			d.value(e, reflect.ValueOf(&r.Steps[i]).Elem(), nil)
			d.pop()
		}
		if r.Exhausted == "" {
			r.Exhausted = ExhaustedPass
		}
	default:
		r.Steps = []Step{{}}
		d.item(0)
		d.step(short, &r.Steps[0], n)
		d.pop()
	}
	return true
}

func (r Rule) encodeNode(e *encoder, _ *fieldInfo) *yaml.Node {
	steps, exhausted := r.Steps, r.Exhausted
	r.Steps, r.Exhausted = nil, ""
	m := e.mapping(reflect.ValueOf(&r).Elem())
	switch {
	case len(steps) == 1 && exhausted == "":
		sm := steps[0].encodeNode(e, nil)
		m.Content = append(m.Content, sm.Content...)
	case len(steps) > 0:
		l := e.value(reflect.ValueOf(steps), nil)
		l.Style = 0
		add(m, "responses", l)
		if exhausted != "" {
			add(m, "exhausted", strNode(string(exhausted)))
		}
	}
	return m
}

// decodeNode reads an item of "responses".
func (s *Step) decodeNode(d *decoder, n *yaml.Node, _ *fieldInfo) bool {
	pairs, ok := d.pairs(n, reflect.TypeFor[Step](), stepKeys, nil)
	if ok {
		d.step(pairs, s, n)
	}
	return ok
}

// step reads the keys of a step. A step with neither reply nor then passes
// the command on.
func (d *decoder) step(pairs []pair, s *Step, n *yaml.Node) {
	d.fields(pairs, reflect.ValueOf(s).Elem())
	if !has(pairs, "reply") && !has(pairs, "then") {
		if has(pairs, "pass") && !s.Pass {
			d.errorf(n, `"pass: false" with no reply and no then does nothing: add a reply, or "then: stall" to stop answering`)
		}
		s.Pass = true
	}
}

func (s Step) encodeNode(e *encoder, _ *fieldInfo) *yaml.Node {
	implied := len(s.Replies) == 0 && s.Then == ""
	if !e.long && implied {
		s.Pass = false // implied; written only when the step has nothing else
	}
	m := e.mapping(reflect.ValueOf(&s).Elem())
	if len(m.Content) == 0 {
		add(m, "pass", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	return m
}

const replyWant = `a reply like "452 Insufficient storage space", a code, or {code: 452, text: "..."}`

// decodeNode reads "CODE text", a bare code, or a {code, text, raw}
// mapping; "none" (send no reply) where the field allows it.
func (r *Reply) decodeNode(d *decoder, n *yaml.Node, f *fieldInfo) bool {
	allowNone := f != nil && f.form == "none"
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			d.errorf(n, "a reply needs a code or raw")
			return false
		}
		t := reflect.TypeFor[Reply]()
		pairs, ok := d.pairs(n, t, infoOf(t).names, nil)
		d.fields(pairs, reflect.ValueOf(r).Elem())
		return ok
	case yaml.ScalarNode:
		switch {
		case n.ShortTag() == "!!null":
		case n.ShortTag() == "!!int":
			code, err := strconv.Atoi(n.Value)
			if err != nil {
				d.errorf(n, "expected a reply code between 100 and 699, got %s", n.Value)
				return false
			}
			*r = Reply{Code: code}
			return true
		case allowNone && strings.EqualFold(n.Value, "none"):
			*r = Reply{}
			return true
		default:
			rep, err := parseReplyString(n.Value)
			if err == nil {
				*r = rep
				return true
			}
			hint := ""
			if allowNone {
				hint = `, or none`
			}
			if len(n.Value) > 3 && isDigits(n.Value[:3]) && n.Value[3] == '-' {
				hint += ` (for a multi-line reply give a text of several lines; to send bytes as they are use {raw: "..."})`
			}
			d.errorf(n, "expected %s%s, got %s", replyWant, hint, describe(n))
			return false
		}
	}
	d.errorf(n, "expected %s, got %s", replyWant, describe(n))
	return false
}

// encodeNode writes "CODE text" (or the code alone) when that reads back
// the same, else a mapping; "none" for no reply.
func (r Reply) encodeNode(e *encoder, f *fieldInfo) *yaml.Node {
	if r.Code == 0 && r.Raw == "" && f != nil && f.form == "none" {
		return strNode("none")
	}
	if !e.long && r.Raw == "" && r.Code >= 100 && r.Code <= 999 && !strings.ContainsAny(r.Text, "\r\n") {
		if r.Text == "" {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(r.Code)}
		}
		return strNode(strconv.Itoa(r.Code) + " " + r.Text)
	}
	if !e.long && r.Raw != "" && rawCode(r.Raw) == r.Code {
		r.Code = 0 // read from the raw reply
	}
	return e.mapping(reflect.ValueOf(&r).Elem())
}

// decodeNode reads an exact argument, or {exact|glob|regex}. An empty
// string matches an empty argument.
func (a *ArgMatch) decodeNode(d *decoder, n *yaml.Node, _ *fieldInfo) bool {
	if n.Kind == yaml.MappingNode {
		t := reflect.TypeFor[ArgMatch]()
		pairs, ok := d.pairs(n, t, infoOf(t).names, nil)
		d.fields(pairs, reflect.ValueOf(a).Elem())
		if has(pairs, "exact") && a.Exact == "" {
			a.Regex = "^$"
		}
		if ok && len(pairs) == 0 {
			d.errorf(n, "an argument pattern needs one of exact, glob or regex")
		}
		return ok
	}
	s, ok := d.scalar(n, "an argument (a string) or {exact|glob|regex: ...}")
	if !ok {
		return false
	}
	if s.Value == "" {
		*a = ArgMatch{Regex: "^$"}
	} else {
		*a = ArgMatch{Exact: s.Value}
	}
	return true
}

func (a ArgMatch) encodeNode(e *encoder, _ *fieldInfo) *yaml.Node {
	if !e.long && a.Exact != "" && a.Glob == "" && a.Regex == "" {
		return strNode(a.Exact)
	}
	return e.mapping(reflect.ValueOf(&a).Elem())
}

// decodeNode reads a duration, or a {min, max} range.
func (ds *DelaySpec) decodeNode(d *decoder, n *yaml.Node, _ *fieldInfo) bool {
	v := reflect.ValueOf(ds).Elem()
	if n.Kind == yaml.MappingNode {
		t := reflect.TypeFor[DelaySpec]()
		pairs, ok := d.pairs(n, t, infoOf(t).names, nil)
		d.fields(pairs, v)
		return ok
	}
	return d.duration(n, v.Field(0))
}

func (ds DelaySpec) encodeNode(e *encoder, _ *fieldInfo) *yaml.Node {
	if !e.long && (ds.Max == 0 || ds.Max == ds.Min) {
		return strNode(ds.Min.String())
	}
	return e.mapping(reflect.ValueOf(&ds).Elem())
}

// decodeNode reads true, false or a user name.
func (l *Login) decodeNode(d *decoder, n *yaml.Node, _ *fieldInfo) bool {
	s, ok := d.scalar(n, "true, false or a user name")
	if !ok {
		return false
	}
	switch {
	case s.ShortTag() == "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(s.Value))
		*l = Login{Off: !b}
	case s.Value == "" || s.ShortTag() != "!!str":
		d.errorf(n, "expected true, false or a user name, got %s", describe(n))
		return false
	default:
		*l = Login{User: s.Value}
	}
	return true
}

func (l Login) encodeNode(_ *encoder, _ *fieldInfo) *yaml.Node {
	if l.User != "" && !l.Off {
		return strNode(l.User)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(!l.Off)}
}
