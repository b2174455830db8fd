package scenario

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// encoder writes the model as a yaml.Node tree, by the tables of codec.go:
// in the short form of the file format (Format), or in the long form, with
// no shorthand but where one is needed to keep the meaning (MarshalJSON).
// Types with a shorthand form write their own nodes (encodable, in
// shorthand.go).
type encoder struct {
	long bool
}

// encodable is a model type with a shorthand form. f is the field being
// written, or nil.
type encodable interface {
	encodeNode(e *encoder, f *fieldInfo) *yaml.Node
}

// blockTypes are written as block mappings; other mappings are written in
// flow style ({a: 1, b: 2}) unless they hold a text of several lines.
var blockTypes = map[reflect.Type]bool{
	reflect.TypeFor[Scenario](): true,
	reflect.TypeFor[Settings](): true,
	reflect.TypeFor[Rule]():     true,
}

// Format writes the scenario as YAML in the file format, using its
// shorthand forms ("reply: 452 text", "arg: /x", "delay: 2s"), such that
// Parse reads it back to the same scenario (a normalised one: see
// Normalize). It is derived from the model field by field, like
// MarshalJSON.
func (sc *Scenario) Format() ([]byte, error) {
	root := (&encoder{}).value(reflect.ValueOf(sc).Elem(), nil)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalJSON writes the scenario as a JSON scenario file, which Parse
// reads back to the same scenario (a normalised one): durations as "1.5s",
// times in RFC 3339, every reply as {code, text, raw} ("none" for no
// reply), every list as a list; a rule of one step keeps its step's keys
// beside "when" (with "responses" it would fire once).
func (sc Scenario) MarshalJSON() ([]byte, error) {
	return marshalJSON(reflect.ValueOf(&sc).Elem())
}

// UnmarshalJSON reads a scenario in the file format (JSON or YAML, as Parse
// does, shorthand forms included) and normalises it.
func (sc *Scenario) UnmarshalJSON(data []byte) error {
	name := sc.Source
	if name == "" {
		name = "<json>"
	}
	parsed, err := Parse(name, data)
	if err != nil {
		return err
	}
	*sc = *parsed
	return nil
}

// MarshalJSON writes the rule as an item of a JSON scenario's "rules".
func (r Rule) MarshalJSON() ([]byte, error) {
	return marshalJSON(reflect.ValueOf(&r).Elem())
}

func marshalJSON(v reflect.Value) ([]byte, error) {
	var b bytes.Buffer
	writeJSON(&b, (&encoder{long: true}).value(v, nil))
	return b.Bytes(), nil
}

// value writes v, the field f (nil for a list item or the root).
func (e *encoder) value(v reflect.Value, f *fieldInfo) *yaml.Node {
	if en, ok := v.Interface().(encodable); ok {
		return en.encodeNode(e, f)
	}
	t := v.Type()
	switch {
	case t == typeTime:
		return strNode(v.Interface().(time.Time).Format(time.RFC3339Nano))
	case isDuration(t):
		return strNode(time.Duration(v.Int()).String())
	}
	switch v.Kind() {
	case reflect.Pointer:
		return e.value(v.Elem(), f)
	case reflect.Struct:
		return e.mapping(v)
	case reflect.Slice:
		if f != nil && f.form == "one" && v.Len() == 1 && !e.long {
			return e.value(v.Index(0), nil)
		}
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for i := range v.Len() {
			c := e.value(v.Index(i), nil)
			if c.Kind == yaml.MappingNode {
				s.Style = 0 // a list of mappings is written one item a line
			}
			s.Content = append(s.Content, c)
		}
		return s
	case reflect.String:
		return strNode(v.String())
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	case reflect.Int, reflect.Int64:
		if f != nil && f.form == "size" && !e.long {
			if s := FormatSize(v.Int()); !isDigits(s) {
				return strNode(s)
			}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v.Float(), 'g', -1, 64)}
	}
	panic("scenario: no encoding for " + t.String())
}

// mapping writes struct v as a mapping of its fields (whatever its type's
// own encodeNode does: the hooks call it for their mapping form).
func (e *encoder) mapping(v reflect.Value) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	e.fieldsInto(m, v)
	if !blockTypes[v.Type()] {
		m.Style = yaml.FlowStyle
		for i := 1; i < len(m.Content); i += 2 {
			if m.Content[i].Style == yaml.LiteralStyle {
				m.Style = 0 // a literal block needs a block mapping
			}
		}
	}
	return m
}

// fieldsInto adds the fields of struct v to m, in order, leaving out the
// optional ones that are empty.
func (e *encoder) fieldsInto(m *yaml.Node, v reflect.Value) {
	si := infoOf(v.Type())
	for i := range si.fields {
		f := &si.fields[i]
		fv := v.Field(f.index)
		if f.optional && (fv.IsZero() || fv.Kind() == reflect.Slice && fv.Len() == 0) {
			continue
		}
		add(m, f.name, e.value(fv, f))
	}
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// strNode writes a string: a text of several lines as a literal block
// when that keeps it exactly, else quoted when plain style would not.
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case strings.Contains(s, "\n") && !strings.Contains(s, " \n") && !strings.ContainsAny(s, "\t\r") &&
		!strings.HasPrefix(s, " ") && !strings.HasSuffix(s, "\n\n") && !strings.HasSuffix(s, " "):
		n.Style = yaml.LiteralStyle
	case strings.Contains(s, "\n") || s != strings.TrimSpace(s):
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// writeJSON writes a node tree made by the encoder as compact JSON.
func writeJSON(b *bytes.Buffer, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, n.Content[i])
			b.WriteByte(':')
			writeJSON(b, n.Content[i+1])
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, c)
		}
		b.WriteByte(']')
	default:
		if n.Tag == "!!str" {
			q, _ := json.Marshal(n.Value)
			b.Write(q)
		} else {
			b.WriteString(n.Value)
		}
	}
}
