package scenario

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// schema.json is generated from the model: its types, json names and tags
// (codec.go) and the doc comments of model.go. `go generate ./scenario`
// rewrites it; TestSchemaUpToDate fails when the committed file is stale.

var update = flag.Bool("update", false, "rewrite schema.json from the model")

func TestSchemaUpToDate(t *testing.T) {
	got := generateSchema(t)
	if *update {
		if err := os.WriteFile("schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, Schema()) {
		t.Fatal("schema.json is stale: run `go generate ./scenario`")
	}
}

// obj is a JSON object that keeps its keys in order.
type obj struct {
	keys []string
	vals map[string]any
}

func newObj(kv ...any) *obj {
	o := &obj{vals: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

func (o *obj) set(k string, v any) *obj {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

func (o *obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// modelDecls returns the declarations of model.go with token tok (TYPE
// or CONST), comments included.
func modelDecls(t *testing.T, tok token.Token) []*ast.GenDecl {
	f, err := parser.ParseFile(token.NewFileSet(), "model.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.GenDecl
	for _, decl := range f.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == tok {
			out = append(out, gd)
		}
	}
	return out
}

// modelDocs are the doc comments of model.go: "Type" and "Type.Field".
func modelDocs(t *testing.T) map[string]string {
	out := map[string]string{}
	text := func(g *ast.CommentGroup) string {
		return strings.Join(strings.Fields(g.Text()), " ")
	}
	for _, gd := range modelDecls(t, token.TYPE) {
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			if gd.Doc != nil {
				out[ts.Name.Name] = text(gd.Doc)
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, fl := range st.Fields.List {
				if fl.Doc == nil {
					continue
				}
				for _, n := range fl.Names {
					out[ts.Name.Name+"."+n.Name] = text(fl.Doc)
				}
			}
		}
	}
	return out
}

type schemaGen struct {
	docs map[string]string
	defs *obj
}

func generateSchema(t *testing.T) []byte {
	g := &schemaGen{docs: modelDocs(t), defs: newObj()}
	g.defs.set("duration", newObj(
		"description", `A Go duration such as "1.5s", "250ms" or "2m".`,
		"anyOf", []any{
			newObj("type", "string", "pattern", `^\s*(0|([0-9]*\.?[0-9]+(ns|us|µs|μs|ms|s|m|h))+)\s*$`),
			newObj("const", 0),
		}))
	g.defs.set("size", newObj(
		"description", "A byte count: a plain number, or a number with a unit (B, kB, MB, GB, TB, PB, EB in powers of 1000; KiB, MiB, GiB, TiB, PiB, EiB in powers of 1024), e.g. \"10MiB\".",
		"anyOf", []any{
			newObj("type", "integer", "minimum", 0),
			newObj("type", "string", "pattern", `^\s*[0-9_]*\.?[0-9_]+\s*([kKmMgGtTpPeE][iI]?[bB]|[bB])?\s*$`),
		}))
	g.defs.set("stringOrList", newObj("anyOf", []any{
		newObj("type", "string"),
		newObj("type", "array", "items", newObj("type", "string"), "minItems", 1),
	}))
	root := g.object(reflect.TypeFor[Scenario]())
	root.set("patternProperties", newObj("^x-", newObj("description", "Ignored: a place for YAML anchors and notes.")))
	root.vals["properties"].(*obj).set("version", newObj("description", g.docs["Scenario.Version"], "const", FormatVersion))
	doc := newObj(
		"$schema", "https://json-schema.org/draft/2020-12/schema",
		"$id", "https://github.com/mockftpd/mockftpd/scenario/schema.json",
		"title", "mockftpd scenario",
		"description", "A mockftpd scenario: the initial filesystem, the settings and the rules that script which reply the mock FTP server sends for which command. YAML or JSON. Generated from the Go model (scenario/model.go) by `go generate ./scenario`.",
	)
	for _, k := range root.keys {
		doc.set(k, root.vals[k])
	}
	doc.set("$defs", g.defs)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func defName(t reflect.Type) string { return strings.ToLower(t.Name()) }

// ref returns a reference to the definition of struct type t, making it.
func (g *schemaGen) ref(t reflect.Type) *obj {
	name := defName(t)
	if _, ok := g.defs.vals[name]; !ok {
		g.defs.set(name, nil) // reserve the place: types may refer to each other
		g.defs.set(name, g.def(t))
	}
	return newObj("$ref", "#/$defs/"+name)
}

// def is the schema of a model struct, with its shorthand forms.
func (g *schemaGen) def(t reflect.Type) *obj {
	o := g.object(t)
	switch t {
	case reflect.TypeFor[Reply]():
		o.set("minProperties", 1)
		return newObj("description", g.docs[t.Name()], "anyOf", []any{
			newObj("type", "integer", "minimum", 100, "maximum", 699),
			newObj("type", "string", "pattern", `^[1-6][0-9]{2}( [\s\S]*)?$`),
			o,
		})
	case reflect.TypeFor[ArgMatch]():
		o.set("minProperties", 1).set("maxProperties", 1)
		return newObj("description", g.docs[t.Name()], "anyOf", []any{newObj("type", "string"), o})
	case reflect.TypeFor[Login]():
		return newObj("description", g.docs[t.Name()], "anyOf", []any{newObj("type", "boolean"), newObj("type", "string", "minLength", 1)})
	case reflect.TypeFor[DelaySpec]():
		return newObj("description", g.docs[t.Name()], "anyOf", []any{newObj("$ref", "#/$defs/duration"), o})
	case reflect.TypeFor[Rule]():
		props := o.vals["properties"].(*obj)
		step := g.object(reflect.TypeFor[Step]()).vals["properties"].(*obj)
		var not []any
		for _, k := range step.keys {
			props.set(k, step.vals[k])
			not = append(not, newObj("required", []string{k}))
		}
		props.set("responses", newObj("description", g.docs["Rule.Steps"], "type", "array", "items", g.ref(reflect.TypeFor[Step]()), "minItems", 1))
		ex := props.vals["exhausted"]
		props.del("exhausted").set("exhausted", ex) // after responses, as in files
		o.set("dependentSchemas", newObj(
			"responses", newObj("not", newObj("anyOf", not)),
			"exhausted", newObj("required", []string{"responses"})))
	}
	return o
}

// object is the object form of struct t: its properties, in order.
func (g *schemaGen) object(t reflect.Type) *obj {
	o := newObj()
	if d := g.docs[t.Name()]; d != "" && t != reflect.TypeFor[Scenario]() {
		o.set("description", d)
	}
	o.set("type", "object")
	props := newObj()
	var required []string
	for _, f := range infoOf(t).fields {
		if t == reflect.TypeFor[Rule]() && f.name == "responses" {
			continue // with the step's keys, in def
		}
		s := g.field(&f)
		if d := g.docs[t.Name()+"."+t.Field(f.index).Name]; d != "" {
			s = newObj("description", d).merge(s)
		}
		props.set(f.name, s)
		if !f.optional {
			required = append(required, f.name)
		}
	}
	if len(required) > 0 {
		o.set("required", required)
	}
	o.set("additionalProperties", false)
	o.set("properties", props)
	return o
}

func (o *obj) del(k string) *obj {
	o.keys = slices.DeleteFunc(o.keys, func(x string) bool { return x == k })
	delete(o.vals, k)
	return o
}

func (o *obj) merge(p *obj) *obj {
	for _, k := range p.keys {
		o.set(k, p.vals[k])
	}
	return o
}

// field is the schema of a value of field f.
func (g *schemaGen) field(f *fieldInfo) *obj {
	t := f.typ
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if e, ok := enums[t]; ok {
		var vals []any
		for _, v := range e.values {
			vals = append(vals, v)
			if n, err := strconv.Atoi(v); err == nil {
				vals = append(vals, n) // "425" may be written as a number
			}
		}
		return newObj("enum", vals)
	}
	switch {
	case isDuration(t):
		return newObj("$ref", "#/$defs/duration")
	case t == typeTime:
		return newObj("type", "string")
	case f.form == "size":
		return newObj("$ref", "#/$defs/size")
	case f.form == "none":
		return newObj("anyOf", []any{newObj("const", "none"), g.ref(t)})
	}
	var o *obj
	switch t.Kind() {
	case reflect.Struct:
		return g.ref(t)
	case reflect.Slice:
		items := g.field(&fieldInfo{typ: t.Elem()})
		switch {
		case f.form == "one" && t.Elem().Kind() == reflect.String:
			return newObj("$ref", "#/$defs/stringOrList")
		case f.form == "one":
			return newObj("anyOf", []any{items, newObj("type", "array", "items", items, "minItems", 1)})
		}
		return newObj("type", "array", "items", items)
	case reflect.String:
		o = newObj("type", "string")
		if f.pattern != "" {
			o.set("pattern", f.pattern)
		}
	case reflect.Bool:
		o = newObj("type", "boolean")
	case reflect.Int, reflect.Int64:
		o = newObj("type", "integer")
	case reflect.Float64:
		o = newObj("type", "number")
	default:
		panic("no schema for " + t.String())
	}
	if f.min != nil {
		if f.xmin {
			o.set("exclusiveMinimum", *f.min)
		} else {
			o.set("minimum", *f.min)
		}
	}
	if f.max != nil {
		o.set("maximum", *f.max)
	}
	return o
}

// TestEnumsMatchConstants checks the value lists of codec.go against the
// constants model.go declares for each enumerated type.
func TestEnumsMatchConstants(t *testing.T) {
	declared := map[string][]string{}
	for _, gd := range modelDecls(t, token.CONST) {
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			id, ok := vs.Type.(*ast.Ident)
			if !ok || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			v, _ := strconv.Unquote(lit.Value)
			if v != "" {
				declared[id.Name] = append(declared[id.Name], v)
			}
		}
	}
	for typ, e := range enums {
		if got := declared[typ.Name()]; !slices.Equal(got, e.values) {
			t.Errorf("%s: constants %v, enums table %v", typ.Name(), got, e.values)
		}
		delete(declared, typ.Name())
	}
	for name := range declared {
		t.Errorf("constants of %s are not in the enums table (codec.go)", name)
	}
}
