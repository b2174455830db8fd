package scenario

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file reads the file format off the model: every struct field with a
// json name is a key of the format, and its tags (see the package comment)
// say how it is written and what it may hold. The decoder, the encoder, the
// validator and the schema generator all use these tables, so that a new
// field of the model is a new key everywhere.

// fieldInfo is one key of the format.
type fieldInfo struct {
	name     string // the key, the field's json name
	index    int    // in the struct
	typ      reflect.Type
	optional bool // omitempty or omitzero: absent means the zero value
	omitzero bool
	what     string // for "expected WHAT, got ..."
	min, max *float64
	xmin     bool   // min is exclusive
	zero     string // a hint when 0 is written where min is 1
	form     string // "size", "none", "one" or ""
	pattern  string
}

// structInfo is the keys of one model type, in the order of its fields.
type structInfo struct {
	typ    reflect.Type
	fields []fieldInfo
	byName map[string]*fieldInfo
	names  []string
}

var structInfos sync.Map // reflect.Type → *structInfo

// infoOf returns the keys of struct type t.
func infoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{typ: t, byName: map[string]*fieldInfo{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !sf.IsExported() || name == "-" || name == "" {
			continue
		}
		f := fieldInfo{
			name: name, index: i, typ: sf.Type,
			optional: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero"),
			omitzero: strings.Contains(opts, "omitzero"),
			what:     sf.Tag.Get("what"), zero: sf.Tag.Get("zero"),
			form: sf.Tag.Get("form"), pattern: sf.Tag.Get("pattern"),
		}
		f.min, f.max = tagFloat(sf.Tag, "min"), tagFloat(sf.Tag, "max")
		if x := tagFloat(sf.Tag, "xmin"); x != nil {
			f.min, f.xmin = x, true
		}
		if f.form == "" && sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.String {
			f.form = "one" // a list of strings may be one string
		}
		si.fields = append(si.fields, f)
		si.names = append(si.names, name)
	}
	for i := range si.fields {
		si.byName[si.fields[i].name] = &si.fields[i]
	}
	v, _ := structInfos.LoadOrStore(t, si)
	return v.(*structInfo)
}

func tagFloat(tag reflect.StructTag, key string) *float64 {
	s, ok := tag.Lookup(key)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic("scenario: bad " + key + " tag " + strconv.Quote(s))
	}
	return &f
}

// nouns name the model's mappings in messages ("unknown field "x" in a
// rule"); a type without one is named after itself.
var nouns = map[reflect.Type]string{
	reflect.TypeFor[Scenario]():    "a scenario",
	reflect.TypeFor[User]():        "a user",
	reflect.TypeFor[File]():        "a file entry",
	reflect.TypeFor[Settings]():    "settings",
	reflect.TypeFor[Rule]():        "a rule",
	reflect.TypeFor[Step]():        "a response",
	reflect.TypeFor[Match]():       `a "when" pattern`,
	reflect.TypeFor[ArgMatch]():    "an argument pattern",
	reflect.TypeFor[Reply]():       "a reply",
	reflect.TypeFor[DelaySpec]():   "a delay range",
	reflect.TypeFor[DataFault]():   "a data fault",
	reflect.TypeFor[Login]():       "a login",
	reflect.TypeFor[Expectation](): "an expectation",
}

func nounOf(t reflect.Type) string {
	if n, ok := nouns[t]; ok {
		return n
	}
	return "a " + strings.ToLower(t.Name())
}

// enum is the values of an enumerated type of the model.
type enum struct {
	noun   string // "unknown NOUN "x""
	values []string
}

// enums lists the values of each enumerated type (its constants but the
// empty default), for validation, suggestions and the schema. A test checks
// them against the constants declared in model.go.
var enums = map[reflect.Type]enum{
	reflect.TypeFor[Event]():      {"event", []string{string(EventCommand), string(EventConnect)}},
	reflect.TypeFor[CountScope](): {"count", []string{string(PerSession), string(Global)}},
	reflect.TypeFor[Then]():       {"then", []string{string(ThenClose), string(ThenReset), string(ThenStall)}},
	reflect.TypeFor[Exhausted]():  {"exhausted mode", []string{string(ExhaustedPass), string(ExhaustedRepeat), string(ExhaustedCycle)}},
	reflect.TypeFor[DataRefuse](): {"refuse mode", []string{string(RefuseIgnore), string(RefuseClose), string(RefuseReset), string(Refuse425)}},
	reflect.TypeFor[DataEnd]():    {"end", []string{string(EndClose), string(EndReset), string(EndStall)}},
	reflect.TypeFor[ASCIIMode]():  {"ascii mode", []string{string(ASCIIConvert), string(ASCIIIgnore)}},
}

var (
	typeDuration    = reflect.TypeFor[time.Duration]()
	typeStdDuration = reflect.TypeFor[Duration]()
	typeTime        = reflect.TypeFor[time.Time]()
	typeReply       = reflect.TypeFor[Reply]()
	typeRule        = reflect.TypeFor[Rule]()
)

func isDuration(t reflect.Type) bool { return t == typeDuration || t == typeStdDuration }

// outOfRange says why a number breaks f's bounds, or "".
func (f *fieldInfo) outOfRange(v float64) string {
	bad := math.IsNaN(v) || math.IsInf(v, 0) || f.min != nil && (v < *f.min || f.xmin && v == *f.min) || f.max != nil && v > *f.max
	if !bad {
		return ""
	}
	what := f.what
	if what == "" {
		what = "a number"
		switch {
		case f.min != nil && f.max != nil:
			what += " from " + fmtNum(*f.min) + " to " + fmtNum(*f.max)
		case f.min != nil:
			what += " of " + fmtNum(*f.min) + " or more"
		}
	}
	msg := "expected " + what + ", got " + fmtNum(v)
	if v == 0 && f.zero != "" {
		msg += ": " + f.zero
	}
	return msg
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// number reads v (an int, uint or float kind) as a float64.
func number(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	}
	return 0, false
}

// clone returns a deep copy of sc: every slice, pointer and struct of the
// model is copied, so that the copy may be changed without touching sc.
func clone(sc *Scenario) *Scenario {
	out := new(Scenario)
	deepCopy(reflect.ValueOf(out).Elem(), reflect.ValueOf(sc).Elem())
	return out
}

func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Struct:
		dst.Set(src) // unexported fields (a rule's builder errors) are shared: never changed in place
		if src.Type() == typeTime {
			return
		}
		for i := range src.NumField() {
			if src.Type().Field(i).IsExported() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}
