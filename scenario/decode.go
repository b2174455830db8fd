package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder reads a yaml.Node tree into the model's types, by the tables of
// codec.go, collecting located errors. Types with a shorthand form read
// their own nodes (decodable, in shorthand.go).
type decoder struct {
	file   string
	errs   ErrorList
	bad    []string // model paths with a decoding error: the validator keeps quiet about them
	budget int      // nodes left to visit: bounds alias expansion
	at     []seg    // where the decoder is in the model: rendered only for errors
}

// seg is one step of a model path: a field, or an item of a list.
type seg struct {
	key string // "" for an item
	idx int
}

func (d *decoder) push(key string) { d.at = append(d.at, seg{key: key}) }
func (d *decoder) item(i int)      { d.at = append(d.at, seg{idx: i}) }
func (d *decoder) pop()            { d.at = d.at[:len(d.at)-1] }

// path renders where the decoder is: "rules[2].when.arg".
func (d *decoder) path() string {
	var b strings.Builder
	for i, s := range d.at {
		switch {
		case s.key == "":
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
		case i > 0:
			b.WriteByte('.')
			fallthrough
		default:
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// decodable is a model type with a shorthand form: it reads its node itself
// (with d.fields for the mapping form). f is the field being read, or nil.
type decodable interface {
	decodeNode(d *decoder, n *yaml.Node, f *fieldInfo) bool
}

// baseBudget bounds the nodes a document may expand to besides one per two
// bytes of source: aliases cannot make a small file expensive.
const baseBudget = 1_000_000

func newDecoder(file string, size int) *decoder {
	return &decoder{file: file, budget: baseBudget + size/2}
}

// errorf reports a problem with node n, at the decoder's place in the model.
func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.bad = append(d.bad, d.path())
	e := &Error{File: d.file, Line: 1, Col: 1, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = max(n.Line, 1), max(n.Column, 1)
	}
	d.errs = append(d.errs, e)
}

// errorAt reports a problem with node n, at field key of the decoder's place.
func (d *decoder) errorAt(n *yaml.Node, key, format string, args ...any) {
	d.push(key)
	d.errorf(n, format, args...)
	d.pop()
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func (d *decoder) spend() bool {
	d.budget--
	if d.budget == 0 {
		d.errs = append(d.errs, &Error{File: d.file, Line: 1, Col: 1, Msg: "scenario too large or aliases nested too deeply"})
	}
	return d.budget > 0 && len(d.errs) <= 4*MaxErrors
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!int", "!!float":
			return v
		case "!!bool":
			return strings.ToLower(v)
		}
		return strconv.Quote(v)
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// value reads n into v, the field f (nil for a list item or the root).
func (d *decoder) value(n *yaml.Node, v reflect.Value, f *fieldInfo) bool {
	n = resolve(n)
	if n == nil || !d.spend() {
		return false
	}
	if dc, ok := v.Addr().Interface().(decodable); ok {
		return dc.decodeNode(d, n, f)
	}
	t := v.Type()
	switch {
	case t == typeTime:
		return d.time(n, v)
	case isDuration(t):
		return d.duration(n, v)
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if !d.value(n, p.Elem(), f) {
			return false
		}
		v.Set(p)
		return true
	case reflect.Struct:
		pairs, ok := d.pairs(n, t, infoOf(t).names, nil)
		d.fields(pairs, v)
		return ok
	case reflect.Slice:
		return d.list(n, v, f)
	case reflect.String:
		s, ok := d.scalar(n, whatOf(f, "a string"))
		if ok {
			v.SetString(s.Value)
		}
		return ok
	case reflect.Bool:
		return d.bool(n, v)
	case reflect.Int, reflect.Int64:
		return d.int(n, v, f)
	case reflect.Float64:
		return d.float(n, v, f)
	}
	panic("scenario: no decoding for " + t.String())
}

func whatOf(f *fieldInfo, def string) string {
	if f != nil && f.what != "" {
		return f.what
	}
	return def
}

// pair is one key of a mapping and its value.
type pair struct {
	key   string
	kn, v *yaml.Node
}

// pairs checks that n is a mapping of type t with keys among known, and
// returns its pairs in order: merge keys ("<<") are expanded, unknown and
// repeated keys reported. Keys for which skip is true are left out.
func (d *decoder) pairs(n *yaml.Node, t reflect.Type, known []string, skip func(string) bool) ([]pair, bool) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "expected %s (a mapping of key: value), got %s", nounOf(t), describe(n))
		return nil, false
	}
	var merged []pair
	out := make([]pair, 0, len(n.Content)/2)
	seen := make([]*yaml.Node, 0, len(n.Content)/2) // the keys so far (mappings are small: no map)
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.Value == "<<" && kn.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, t, known, skip, 0)...)
			continue
		}
		kr := resolve(kn)
		if kr == nil || kr.Kind != yaml.ScalarNode {
			d.errorf(kn, "expected a field name in %s, got %s", nounOf(t), describe(kr))
			continue
		}
		key := kr.Value
		if first := keyNode(seen, key); first != nil {
			d.errorAt(kn, key, "field %q is repeated (first at line %d)", key, first.Line)
			continue
		}
		seen = append(seen, kr)
		switch {
		case skip != nil && skip(key):
		case !contains(known, key):
			d.errorAt(kn, key, "unknown field %q in %s%s", key, nounOf(t), didYouMean(key, known))
		default:
			out = append(out, pair{key, kn, v})
		}
	}
	for _, p := range merged {
		if keyNode(seen, p.key) == nil {
			seen = append(seen, p.kn)
			out = append(out, p)
		}
	}
	return out, true
}

func keyNode(keys []*yaml.Node, key string) *yaml.Node {
	for _, k := range keys {
		if k.Value == key {
			return k
		}
	}
	return nil
}

func (d *decoder) merge(v *yaml.Node, t reflect.Type, known []string, skip func(string) bool, depth int) []pair {
	v = resolve(v)
	if v == nil || depth > 10 || !d.spend() {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		ps, _ := d.pairs(v, t, known, skip)
		return ps
	case yaml.SequenceNode:
		var out []pair
		have := map[string]bool{}
		for _, e := range v.Content {
			for _, p := range d.merge(e, t, known, skip, depth+1) {
				if !have[p.key] {
					have[p.key] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	d.errorf(v, "a merge (<<) needs a mapping or a list of mappings, got %s", describe(v))
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fields reads pairs into the fields of struct v with those names.
func (d *decoder) fields(pairs []pair, v reflect.Value) {
	si := infoOf(v.Type())
	for _, p := range pairs {
		f := si.byName[p.key]
		d.push(f.name)
		d.value(p.v, v.Field(f.index), f)
		d.pop()
	}
}

// has reports whether pairs holds key.
func has(pairs []pair, key string) bool {
	for _, p := range pairs {
		if p.key == key {
			return true
		}
	}
	return false
}

// list reads a list into slice v; a field of form "one" may hold a single
// item instead, and must not be empty.
func (d *decoder) list(n *yaml.Node, v reflect.Value, f *fieldInfo) bool {
	one := f != nil && f.form == "one"
	if n.Kind != yaml.SequenceNode {
		if !one {
			what := "a list of " + d.at[len(d.at)-1].key
			if f != nil && f.what != "" {
				what = f.what
			}
			d.errorf(n, "expected %s, got %s", what, describe(n))
			return false
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		d.item(0)
		ok := d.value(n, s.Index(0), nil)
		d.pop()
		v.Set(s)
		return ok
	}
	if one && len(n.Content) == 0 {
		d.errorf(n, "expected at least one %s, got an empty list", strings.TrimPrefix(strings.TrimPrefix(whatOf(f, "a value"), "an "), "a "))
		return false
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	ok := true
	for i, e := range n.Content {
		d.item(i)
		ok = d.value(e, s.Index(i), nil) && ok
		d.pop()
	}
	v.Set(s)
	return ok
}

func (d *decoder) scalar(n *yaml.Node, what string) (*yaml.Node, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.errorf(n, "expected %s, got %s", what, describe(n))
		return nil, false
	}
	return n, true
}

func (d *decoder) bool(n *yaml.Node, v reflect.Value) bool {
	s, ok := d.scalar(n, "true or false")
	if !ok {
		return false
	}
	switch strings.ToLower(s.Value) {
	case "true":
		v.SetBool(true)
		return true
	case "false":
		v.SetBool(false)
		return true
	}
	d.errorf(s, "expected true or false, got %s", describe(s))
	return false
}

// int reads an integer (or, for a size, a number with a unit) and checks
// f's bounds.
func (d *decoder) int(n *yaml.Node, v reflect.Value, f *fieldInfo) bool {
	what := whatOf(f, "an integer")
	s, ok := d.scalar(n, what)
	if !ok {
		return false
	}
	var x int64
	if f != nil && f.form == "size" {
		var err error
		if x, err = ParseSize(s.Value); err != nil {
			d.errorf(s, "%v", err)
			return false
		}
	} else if x, ok = parseInt(s); !ok {
		d.errorf(s, "expected %s, got %s", what, describe(s))
		return false
	}
	if v.OverflowInt(x) {
		d.errorf(s, "%d is out of range", x)
		return false
	}
	if f != nil {
		if msg := f.outOfRange(float64(x)); msg != "" {
			d.errorf(s, "%s", msg)
			return false
		}
	}
	v.SetInt(x)
	return true
}

// parseInt reads an integer, also written as a whole float (1e3, 2.0).
func parseInt(s *yaml.Node) (int64, bool) {
	if s.ShortTag() == "!!bool" {
		return 0, false
	}
	if v, err := strconv.ParseInt(s.Value, 0, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(s.Value, 64)
	if err == nil && s.ShortTag() != "!!str" && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), true
	}
	return 0, false
}

func (d *decoder) float(n *yaml.Node, v reflect.Value, f *fieldInfo) bool {
	what := whatOf(f, "a number")
	s, ok := d.scalar(n, what)
	if !ok {
		return false
	}
	x, err := strconv.ParseFloat(s.Value, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || s.ShortTag() == "!!bool" {
		d.errorf(s, "expected %s, got %s", what, describe(s))
		return false
	}
	if f != nil {
		if msg := f.outOfRange(x); msg != "" {
			d.errorf(s, "%s", msg)
			return false
		}
	}
	v.SetFloat(x)
	return true
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value) bool {
	s, ok := d.scalar(n, `a duration like "1.5s" or "250ms"`)
	if !ok {
		return false
	}
	if s.ShortTag() == "!!int" && s.Value == "0" {
		v.SetInt(0)
		return true
	}
	x, err := parseDuration(s.Value)
	if err != nil {
		d.errorf(s, "%v", err)
		return false
	}
	v.SetInt(int64(x))
	return true
}

// timeLayouts are the ways a modification time may be written.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

func (d *decoder) time(n *yaml.Node, v reflect.Value) bool {
	s, ok := d.scalar(n, `a time like "2024-05-01T12:00:00Z"`)
	if !ok {
		return false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, strings.TrimSpace(s.Value)); err == nil {
			v.Set(reflect.ValueOf(t.UTC()))
			return true
		}
	}
	d.errorf(s, `expected a time like "2024-05-01T12:00:00Z" or "2024-05-01", got %s`, describe(s))
	return false
}
