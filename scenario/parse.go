package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Parse reads a scenario written in YAML or JSON (the same keys; JSON is
// read by the YAML parser) and validates it. Top-level keys starting with
// "x-" are ignored: they hold YAML anchors (&name) that rules reuse with
// aliases (*name) or merges (<<: *name). name is used in messages and
// becomes the scenario's Source ("<string>" when empty). Relative "from:"
// paths are left as written (Load resolves them).
//
// On failure it returns a nil scenario and an ErrorList holding every
// problem found (up to MaxErrors), each located as "name:line:col: message".
func Parse(name string, data []byte) (*Scenario, error) {
	sc, _, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// Load reads and parses the scenario file at path. The scenario's Source is
// path, and relative "from:" paths are resolved against the file's folder
// (and must exist).
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrorList{{File: path, Msg: err.Error()}}
	}
	sc, d, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	base := filepath.Dir(path)
	var errs ErrorList
	for i := range sc.Files {
		f := &sc.Files[i]
		if f.From == "" {
			continue
		}
		if !filepath.IsAbs(f.From) {
			f.From = filepath.Join(base, filepath.FromSlash(f.From))
		}
		if abs, err := filepath.Abs(f.From); err == nil {
			f.From = abs
		}
		if _, err := os.Stat(f.From); err != nil {
			errs = append(errs, d.loc.at(fmt.Sprintf("files[%d].from", i), "from: "+statMessage(err)))
		}
	}
	if err := finish(errs); err != nil {
		return nil, err
	}
	return sc, nil
}

func statMessage(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if os.IsNotExist(err) {
			return fmt.Sprintf("%s does not exist", pe.Path)
		}
		return fmt.Sprintf("%s: %v", pe.Path, pe.Err)
	}
	return err.Error()
}

// pos is a place in the source.
type pos struct{ line, col int }

// locator turns the model paths used by the validator ("rules[2].when.arg")
// into located errors, using the positions the decoder recorded.
type locator struct {
	file string
	pos  map[string]pos
	// bad holds the paths where the decoder already found a problem: the
	// validator's errors on them or their parents and children are dropped.
	bad []string
	sc  *Scenario
}

func related(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || under(a, b) || under(b, a)
}

func under(a, parent string) bool {
	return len(a) > len(parent) && strings.HasPrefix(a, parent) && (a[len(parent)] == '.' || a[len(parent)] == '[')
}

// at locates msg at path, or at its closest recorded ancestor; without
// positions (a scenario built in Go) it names the rule or entry instead.
func (l *locator) at(path, msg string) *Error {
	if l.pos != nil {
		for p := path; ; p = parentPath(p) {
			if ps, ok := l.pos[p]; ok {
				return &Error{File: l.file, Line: ps.line, Col: ps.col, Msg: msg}
			}
			if p == "" {
				break
			}
		}
		return &Error{File: l.file, Line: 1, Col: 1, Msg: msg}
	}
	return &Error{File: l.file, Msg: describePath(l.sc, path) + msg}
}

func (l *locator) suppressed(path string) bool {
	for _, b := range l.bad {
		if related(path, b) {
			return true
		}
	}
	return false
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// describePath names where path points in a scenario without positions:
// `rule "second upload fails": when.arg: ` or `users[1]: `.
func describePath(sc *Scenario, path string) string {
	if path == "" {
		return ""
	}
	if strings.HasPrefix(path, "rules[") && sc != nil {
		end := strings.IndexByte(path, ']')
		if i, err := strconv.Atoi(path[len("rules["):end]); err == nil && i >= 0 && i < len(sc.Rules) {
			rest := strings.TrimPrefix(path[end+1:], ".")
			r := &sc.Rules[i]
			label := "rule " + strconv.Quote(r.Label())
			if r.Name == "" {
				label = r.Label()
			}
			if rest == "" {
				return label + ": "
			}
			return label + ": " + rest + ": "
		}
	}
	return path + ": "
}

// decoder walks a yaml.Node tree into the model, recording positions and
// collecting located errors.
type decoder struct {
	loc    *locator
	errs   ErrorList
	budget int // nodes left to visit: bounds alias expansion
}

const nodeBudget = 1_000_000

func parse(name string, data []byte) (*Scenario, *decoder, error) {
	if name == "" {
		name = "<string>"
	}
	d := &decoder{loc: &locator{file: name, pos: map[string]pos{}}, budget: nodeBudget}
	sc := &Scenario{Source: name}
	d.loc.sc = sc
	data = detab(data)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, d, ErrorList{{File: name, Line: 1, Col: 1, Msg: `empty scenario: it needs at least "version: 1"`}}
		}
		return nil, d, ErrorList{d.yamlError(err)}
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		if err != nil {
			return nil, d, ErrorList{d.yamlError(err)}
		}
		return nil, d, ErrorList{{File: name, Line: max(next.Line, 1), Col: max(next.Column, 1), Msg: "a scenario file holds one YAML document; found a second one"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, d, ErrorList{{File: name, Line: 1, Col: 1, Msg: `empty scenario: it needs at least "version: 1"`}}
		}
		root = root.Content[0]
	}
	return d.decodeRoot(root, sc)
}

// decodeRoot decodes and validates a scenario's root node.
func (d *decoder) decodeRoot(root *yaml.Node, sc *Scenario) (*Scenario, *decoder, error) {
	d.scenario(root, sc)
	d.errs = append(d.errs, validate(sc, d.loc)...)
	if err := finish(d.errs); err != nil {
		return nil, d, err
	}
	return sc, d, nil
}

// detab replaces the tabs that indent lines of a JSON document (which YAML
// forbids) by spaces, keeping every column where it was. YAML documents are
// left alone.
func detab(data []byte) []byte {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || bytes.IndexByte(data, '\t') < 0 {
		return data
	}
	out := append([]byte(nil), data...)
	inString, escaped := false, false
	for i, c := range out {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && c == '\t':
			out[i] = ' '
		case c == '\n':
			inString = false
		}
	}
	return out
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) yamlError(err error) *Error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: d.loc.file, Line: line, Msg: "YAML syntax error: " + m[2]}
	}
	return &Error{File: d.loc.file, Line: 1, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.loc.bad = append(d.loc.bad, path)
	e := &Error{File: d.loc.file, Line: 1, Col: 1, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = max(n.Line, 1), max(n.Column, 1)
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) record(path string, n *yaml.Node) {
	if _, ok := d.loc.pos[path]; !ok && n != nil {
		d.loc.pos[path] = pos{n.Line, n.Column}
	}
}

// resolve follows aliases.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func (d *decoder) spend() bool {
	d.budget--
	if d.budget == 0 {
		d.errs = append(d.errs, &Error{File: d.loc.file, Line: 1, Col: 1, Msg: "scenario too large or aliases nested too deeply"})
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

type field struct {
	key   string
	kn, v *yaml.Node
	path  string
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// mapping checks that n is a mapping of the kind obj, and returns its
// fields in order: merge keys ("<<") are expanded, unknown and repeated keys
// reported.
func (d *decoder) mapping(n *yaml.Node, path, obj, what string) ([]field, bool) {
	n = d.resolve(n)
	if n == nil || !d.spend() {
		return nil, false
	}
	d.record(path, n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected %s (a mapping of key: value), got %s", what, describe(n))
		return nil, false
	}
	known := knownFields[obj]
	var out []field
	seen := map[string]*yaml.Node{}
	var merged []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.Value == "<<" && kn.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, path, obj, what, 0)...)
			continue
		}
		kn2 := d.resolve(kn)
		if kn2 == nil || kn2.Kind != yaml.ScalarNode {
			d.errorf(kn, path, "expected a field name in %s, got %s", what, describe(kn2))
			continue
		}
		key := kn2.Value
		if first, dup := seen[key]; dup {
			d.errorf(kn, join(path, key), "field %q is repeated (first at line %d)", key, first.Line)
			continue
		}
		seen[key] = kn
		if obj == objScenario && strings.HasPrefix(key, "x-") {
			continue // extension keys: a place for YAML anchors and notes
		}
		if !contains(known, key) {
			d.errorf(kn, join(path, key), "unknown field %q in %s%s", key, what, didYouMean(key, known))
			continue
		}
		out = append(out, field{key: key, kn: kn, v: v, path: join(path, key)})
	}
	for _, f := range merged {
		if _, ok := seen[f.key]; !ok {
			seen[f.key] = f.kn
			out = append(out, f)
		}
	}
	for _, f := range out {
		d.record(f.path, d.resolve(f.v))
	}
	return out, true
}

func (d *decoder) merge(v *yaml.Node, path, obj, what string, depth int) []field {
	v = d.resolve(v)
	if v == nil || depth > 10 {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		fs, _ := d.mapping(v, path, obj, what)
		return fs
	case yaml.SequenceNode:
		var out []field
		have := map[string]bool{}
		for _, e := range v.Content {
			for _, f := range d.merge(e, path, obj, what, depth+1) {
				if !have[f.key] {
					have[f.key] = true
					out = append(out, f)
				}
			}
		}
		return out
	}
	d.errorf(v, path, "a merge (<<) needs a mapping or a list of mappings, got %s", describe(v))
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

// seq checks that n is a list and returns its items.
func (d *decoder) seq(n *yaml.Node, path, what string) []*yaml.Node {
	n = d.resolve(n)
	if n == nil || !d.spend() {
		return nil
	}
	d.record(path, n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list of %s, got %s", what, describe(n))
		return nil
	}
	for i, e := range n.Content {
		d.record(index(path, i), d.resolve(e))
	}
	return n.Content
}

func (d *decoder) scalar(n *yaml.Node, path, what string) (*yaml.Node, bool) {
	n = d.resolve(n)
	if n == nil || !d.spend() {
		return nil, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.errorf(n, path, "expected %s, got %s", what, describe(n))
		return nil, false
	}
	return n, true
}

func (d *decoder) str(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path, "a string")
	if !ok {
		return ""
	}
	return s.Value
}

// strList reads a string or a list of strings.
func (d *decoder) strList(n *yaml.Node, path, what string) []string {
	n = d.resolve(n)
	if n != nil && n.Kind == yaml.SequenceNode {
		var out []string
		for i, e := range d.seq(n, path, what) {
			if s, ok := d.scalar(e, index(path, i), "a string"); ok {
				out = append(out, s.Value)
			}
		}
		if len(out) == 0 && len(n.Content) == 0 {
			d.errorf(n, path, "expected at least one %s, got an empty list", strings.TrimSuffix(what, "s"))
		}
		return out
	}
	s, ok := d.scalar(n, path, "a string or a list of "+what)
	if !ok {
		return nil
	}
	return []string{s.Value}
}

func (d *decoder) int64(n *yaml.Node, path, what string) (int64, bool) {
	s, ok := d.scalar(n, path, what)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s.Value, 0, 64)
	if err != nil || s.ShortTag() == "!!bool" {
		if f, ferr := strconv.ParseFloat(s.Value, 64); ferr == nil && s.ShortTag() != "!!str" && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
		d.errorf(s, path, "expected %s, got %s", what, describe(s))
		return 0, false
	}
	return v, true
}

func (d *decoder) int(n *yaml.Node, path, what string) int {
	v, ok := d.int64(n, path, what)
	if !ok {
		return 0
	}
	if v > math.MaxInt32 || v < math.MinInt32 {
		d.errorf(d.resolve(n), path, "%d is out of range", v)
		return 0
	}
	return int(v)
}

// count reads a non-negative integer.
func (d *decoder) count(n *yaml.Node, path, what string) int {
	v := d.int(n, path, what)
	if v < 0 {
		d.errorf(d.resolve(n), path, "expected %s, got %d", what, v)
		return 0
	}
	return v
}

func (d *decoder) bool(n *yaml.Node, path string) bool {
	s, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false
	}
	switch strings.ToLower(s.Value) {
	case "true":
		return true
	case "false":
		return false
	}
	d.errorf(s, path, "expected true or false, got %s", describe(s))
	return false
}

func (d *decoder) float(n *yaml.Node, path, what string) float64 {
	s, ok := d.scalar(n, path, what)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(s.Value, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || s.ShortTag() == "!!bool" {
		d.errorf(s, path, "expected %s, got %s", what, describe(s))
		return 0
	}
	return f
}

func (d *decoder) size(n *yaml.Node, path string) int64 {
	s, ok := d.scalar(n, path, `a size like 1024, "64kB" or "10MiB"`)
	if !ok {
		return 0
	}
	v, err := ParseSize(s.Value)
	if err != nil {
		d.errorf(s, path, "%v", err)
		return 0
	}
	return v
}

func (d *decoder) duration(n *yaml.Node, path string) time.Duration {
	s, ok := d.scalar(n, path, `a duration like "1.5s" or "250ms"`)
	if !ok {
		return 0
	}
	if s.ShortTag() == "!!int" && s.Value == "0" {
		return 0
	}
	v, err := parseDuration(s.Value)
	if err != nil {
		d.errorf(s, path, "%v", err)
		return 0
	}
	return v
}

// delay reads a duration, or a {min, max} range.
func (d *decoder) delay(n *yaml.Node, path string) DelaySpec {
	if r := d.resolve(n); r != nil && r.Kind == yaml.MappingNode {
		fs, _ := d.mapping(r, path, objDelay, "a delay range")
		var ds DelaySpec
		for _, f := range fs {
			switch f.key {
			case "min":
				ds.Min = d.duration(f.v, f.path)
			case "max":
				ds.Max = d.duration(f.v, f.path)
			}
		}
		return ds
	}
	return DelaySpec{Min: d.duration(n, path)}
}

func (d *decoder) time(n *yaml.Node, path string) time.Time {
	s, ok := d.scalar(n, path, `a time like "2024-05-01T12:00:00Z"`)
	if !ok {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s.Value)); err == nil {
			return t.UTC()
		}
	}
	d.errorf(s, path, `expected a time like "2024-05-01T12:00:00Z" or "2024-05-01", got %s`, describe(s))
	return time.Time{}
}

// reply reads "CODE text", a bare code, or a {code, text, raw} mapping.
// With allowNone, "none" reads as the empty Reply (send no reply).
func (d *decoder) reply(n *yaml.Node, path string, allowNone bool) (Reply, bool) {
	n = d.resolve(n)
	if n == nil || !d.spend() {
		return Reply{}, false
	}
	d.record(path, n)
	const want = `a reply like "452 Insufficient storage space", a code, or {code: 452, text: "..."}`
	switch n.Kind {
	case yaml.MappingNode:
		fs, _ := d.mapping(n, path, objReply, "a reply")
		var r Reply
		for _, f := range fs {
			switch f.key {
			case "code":
				r.Code = d.int(f.v, f.path, "a reply code")
			case "text":
				r.Text = d.str(f.v, f.path)
			case "raw":
				r.Raw = d.str(f.v, f.path)
				if r.Raw == "" {
					d.errorf(d.resolve(f.v), f.path, "a raw reply must not be empty")
				}
			}
		}
		if len(n.Content) == 0 {
			d.errorf(n, path, "a reply needs a code or raw")
			return r, false
		}
		return r, len(fs) > 0
	case yaml.ScalarNode:
		if n.ShortTag() == "!!int" {
			code, err := strconv.Atoi(n.Value)
			if err != nil {
				d.errorf(n, path, "expected a reply code between 100 and 699, got %s", n.Value)
				return Reply{}, false
			}
			return Reply{Code: code}, true
		}
		if n.ShortTag() == "!!null" {
			break
		}
		if allowNone && strings.EqualFold(n.Value, "none") {
			return Reply{}, true
		}
		r, err := parseReplyString(n.Value)
		if err != nil {
			hint := ""
			if allowNone {
				hint = `, or none`
			}
			if len(n.Value) > 3 && isDigits(n.Value[:3]) && n.Value[3] == '-' {
				hint += ` (for a multi-line reply give a text of several lines; to send bytes as they are use {raw: "..."})`
			}
			d.errorf(n, path, "expected %s%s, got %s", want, hint, describe(n))
			return Reply{}, false
		}
		return r, true
	}
	d.errorf(n, path, "expected %s, got %s", want, describe(n))
	return Reply{}, false
}

// replies reads one reply or a list of them.
func (d *decoder) replies(n *yaml.Node, path string) []Reply {
	r := d.resolve(n)
	if r != nil && r.Kind == yaml.SequenceNode {
		items := d.seq(r, path, "replies")
		if len(items) == 0 {
			d.errorf(r, path, "expected at least one reply, got an empty list")
		}
		var out []Reply
		for i, e := range items {
			if rep, ok := d.reply(e, index(path, i), false); ok {
				out = append(out, rep)
			}
		}
		return out
	}
	if rep, ok := d.reply(n, index(path, 0), false); ok {
		d.record(path, r)
		return []Reply{rep}
	}
	return nil
}

func (d *decoder) scenario(n *yaml.Node, sc *Scenario) {
	fs, ok := d.mapping(n, "", objScenario, "a scenario")
	if !ok {
		return
	}
	hasVersion := false
	for _, f := range fs {
		switch f.key {
		case "version":
			hasVersion = true
			v, ok := d.int64(f.v, f.path, "a format version (1)")
			if ok && v != FormatVersion {
				d.errorf(d.resolve(f.v), f.path, "unsupported version %d (this mockftpd reads version %d)", v, FormatVersion)
			}
			sc.Version = int(min(max(v, 0), 1<<20))
		case "name":
			sc.Name = d.str(f.v, f.path)
		case "description":
			sc.Description = d.str(f.v, f.path)
		case "seed":
			sc.Seed, _ = d.int64(f.v, f.path, "an integer seed")
		case "users":
			for i, e := range d.seq(f.v, f.path, "users") {
				sc.Users = append(sc.Users, d.user(e, index(f.path, i)))
			}
		case "files":
			for i, e := range d.seq(f.v, f.path, "files") {
				sc.Files = append(sc.Files, d.file(e, index(f.path, i)))
			}
		case "settings":
			sc.Settings = d.settings(f.v, f.path)
		case "rules":
			for i, e := range d.seq(f.v, f.path, "rules") {
				sc.Rules = append(sc.Rules, d.rule(e, index(f.path, i)))
			}
		case "expect":
			for i, e := range d.seq(f.v, f.path, "expectations") {
				sc.Expect = append(sc.Expect, d.expect(e, index(f.path, i)))
			}
		}
	}
	if !hasVersion {
		d.errorf(d.resolve(n), "version", `missing "version: 1" (the scenario format version)`)
		sc.Version = FormatVersion
	}
}

func (d *decoder) user(n *yaml.Node, path string) User {
	var u User
	fs, _ := d.mapping(n, path, objUser, "a user")
	for _, f := range fs {
		switch f.key {
		case "name":
			u.Name = d.str(f.v, f.path)
		case "password":
			u.Password = d.str(f.v, f.path)
		case "home":
			u.Home = d.str(f.v, f.path)
		}
	}
	return u
}

func (d *decoder) file(n *yaml.Node, path string) File {
	var fl File
	fs, _ := d.mapping(n, path, objFile, "a file entry")
	for _, f := range fs {
		switch f.key {
		case "path":
			fl.Path = d.str(f.v, f.path)
		case "content":
			fl.Content = d.str(f.v, f.path)
		case "base64":
			fl.Base64 = d.str(f.v, f.path)
		case "size":
			fl.Size = d.size(f.v, f.path)
		case "seed":
			fl.Seed, _ = d.int64(f.v, f.path, "an integer seed")
		case "dir":
			fl.Dir = d.bool(f.v, f.path)
		case "from":
			fl.From = d.str(f.v, f.path)
		case "modtime":
			fl.ModTime = d.time(f.v, f.path)
		}
	}
	return fl
}

func (d *decoder) settings(n *yaml.Node, path string) Settings {
	var s Settings
	fs, _ := d.mapping(n, path, objSettings, "settings")
	for _, f := range fs {
		switch f.key {
		case "banner":
			s.Banner = d.str(f.v, f.path)
		case "features":
			s.Features = d.strList(f.v, f.path, "features")
		case "syst":
			s.Syst = d.str(f.v, f.path)
		case "disable":
			s.Disable = d.strList(f.v, f.path, "commands")
		case "idle_timeout":
			s.IdleTimeout = Duration(d.duration(f.v, f.path))
		}
	}
	return s
}

func (d *decoder) rule(n *yaml.Node, path string) Rule {
	var r Rule
	fs, ok := d.mapping(n, path, objRule, "a rule")
	if ok {
		rn := d.resolve(n)
		r.Pos = fmt.Sprintf("%s:%d:%d", d.loc.file, rn.Line, rn.Column)
	}
	var short []field
	var responses *field
	var exhausted *field
	for i, f := range fs {
		switch f.key {
		case "name":
			r.Name = d.str(f.v, f.path)
		case "when":
			r.When = d.match(f.v, f.path)
		case "times":
			r.Times = d.count(f.v, f.path, "a number of times (1 or more)")
		case "next_state":
			r.NextState = d.str(f.v, f.path)
		case "responses":
			responses = &fs[i]
		case "exhausted":
			exhausted = &fs[i]
			r.Exhausted = Exhausted(d.str(f.v, f.path))
		default: // a step field: the shorthand
			short = append(short, f)
		}
	}
	switch {
	case responses != nil && len(short) > 0:
		for _, f := range short {
			d.errorf(f.kn, f.path, "%q cannot be combined with \"responses\" at the rule level: put it inside a response", f.key)
		}
	case responses != nil:
		rp := join(path, "steps")
		d.record(rp, d.resolve(responses.v))
		items := d.seq(responses.v, responses.path, "responses")
		if len(items) == 0 && d.resolve(responses.v) != nil && d.resolve(responses.v).Kind == yaml.SequenceNode {
			d.errorf(d.resolve(responses.v), responses.path, "expected at least one response, got an empty list")
		}
		for i, e := range items {
			sp := index(rp, i)
			d.record(sp, d.resolve(e))
			sfs, _ := d.mapping(e, sp, objStep, "a response")
			r.Steps = append(r.Steps, d.step(sfs, sp, d.resolve(e)))
		}
		if r.Exhausted == "" {
			r.Exhausted = ExhaustedPass
		}
	default:
		if exhausted != nil {
			d.errorf(exhausted.kn, exhausted.path, `"exhausted" applies only to a rule with "responses"`)
		}
		sp := join(path, "steps[0]")
		d.record(sp, d.resolve(n))
		// record the shorthand's fields under the step's path too
		for i := range short {
			short[i].path = join(sp, short[i].key)
			d.record(short[i].path, d.resolve(short[i].v))
		}
		r.Steps = []Step{d.step(short, sp, d.resolve(n))}
	}
	return r
}

// step reads the fields of one step. A step with neither reply nor then
// passes the command on.
func (d *decoder) step(fs []field, path string, n *yaml.Node) Step {
	var s Step
	passSet := false
	for _, f := range fs {
		switch f.key {
		case "reply":
			s.Replies = d.replies(f.v, f.path)
		case "delay":
			s.Delay = d.delay(f.v, f.path)
		case "pass":
			passSet = true
			s.Pass = d.bool(f.v, f.path)
		case "preliminary":
			if r, ok := d.reply(f.v, f.path, false); ok {
				s.Preliminary = &r
			}
		case "final":
			if r, ok := d.reply(f.v, f.path, false); ok {
				s.Final = &r
			}
		case "then":
			s.Then = Then(d.str(f.v, f.path))
		case "data":
			s.Data = d.data(f.v, f.path)
		}
	}
	hasReply := false
	for _, f := range fs {
		hasReply = hasReply || f.key == "reply"
	}
	if !hasReply && s.Then == "" {
		if passSet && !s.Pass {
			d.errorf(n, path, `"pass: false" with no reply and no then does nothing: add a reply, or "then: stall" to stop answering`)
		}
		s.Pass = true
	}
	return s
}

func (d *decoder) data(n *yaml.Node, path string) *DataFault {
	df := &DataFault{}
	fs, _ := d.mapping(n, path, objData, "a data fault")
	for _, f := range fs {
		switch f.key {
		case "refuse":
			df.Refuse = DataRefuse(d.str(f.v, f.path))
		case "after":
			df.After = d.size(f.v, f.path)
		case "end":
			df.End = DataEnd(d.str(f.v, f.path))
		case "reply":
			if r, ok := d.reply(f.v, f.path, true); ok {
				df.Reply = &r
			}
		case "keep_partial":
			b := d.bool(f.v, f.path)
			df.KeepPartial = &b
		case "rate":
			df.Rate = d.size(f.v, f.path)
		case "chunk":
			df.Chunk = d.size(f.v, f.path)
		case "chunk_delay":
			df.ChunkDelay = d.duration(f.v, f.path)
		case "corrupt":
			df.Corrupt = d.size(f.v, f.path)
		case "delay_preliminary":
			df.DelayPreliminary = d.delay(f.v, f.path)
		case "delay_data":
			df.DelayData = d.delay(f.v, f.path)
		case "delay_final":
			df.DelayFinal = d.delay(f.v, f.path)
		case "advertise_host":
			df.AdvertiseHost = d.str(f.v, f.path)
		case "advertise_port":
			df.AdvertisePort = d.int(f.v, f.path, "a port number")
		}
	}
	return df
}

func (d *decoder) match(n *yaml.Node, path string) Match {
	var m Match
	fs, _ := d.mapping(n, path, objWhen, `a "when" pattern`)
	for _, f := range fs {
		switch f.key {
		case "event":
			m.Event = Event(d.str(f.v, f.path))
		case "command":
			m.Commands = d.strList(f.v, f.path, "commands")
		case "arg":
			m.Arg = d.arg(f.v, f.path)
		case "user":
			m.User = d.str(f.v, f.path)
		case "session":
			m.Session = d.count(f.v, f.path, "a session number (1 or more)")
		case "nth":
			m.Nth = d.count(f.v, f.path, "a position (1 for the first)")
		case "count":
			m.Count = CountScope(d.str(f.v, f.path))
		case "state":
			m.State = d.str(f.v, f.path)
		case "probability":
			m.Probability = d.float(f.v, f.path, "a probability between 0 and 1")
			if m.Probability <= 0 || m.Probability > 1 {
				d.errorf(d.resolve(f.v), f.path, "expected a probability greater than 0 and at most 1, got %s", describe(d.resolve(f.v)))
			}
		}
	}
	return m
}

// arg reads an exact argument, or {exact|glob|regex}. An empty string
// matches an empty argument.
func (d *decoder) arg(n *yaml.Node, path string) *ArgMatch {
	r := d.resolve(n)
	if r != nil && r.Kind == yaml.MappingNode {
		a := &ArgMatch{}
		fs, _ := d.mapping(r, path, objArg, `an argument pattern`)
		for _, f := range fs {
			switch f.key {
			case "exact":
				a.Exact = d.str(f.v, f.path)
				if a.Exact == "" {
					a.Regex = "^$"
				}
			case "glob":
				a.Glob = d.str(f.v, f.path)
			case "regex":
				a.Regex = d.str(f.v, f.path)
			}
		}
		if len(fs) == 0 {
			d.errorf(r, path, "an argument pattern needs one of exact, glob or regex")
		}
		return a
	}
	s, ok := d.scalar(n, path, "an argument (a string) or {exact|glob|regex: ...}")
	if !ok {
		return nil
	}
	if s.Value == "" {
		return &ArgMatch{Regex: "^$"}
	}
	return &ArgMatch{Exact: s.Value}
}

func (d *decoder) expect(n *yaml.Node, path string) Expectation {
	var e Expectation
	fs, _ := d.mapping(n, path, objExpect, "an expectation")
	for _, f := range fs {
		switch f.key {
		case "name":
			e.Name = d.str(f.v, f.path)
		case "command":
			e.Command = d.str(f.v, f.path)
		case "arg":
			e.Arg = d.arg(f.v, f.path)
		case "user":
			e.User = d.str(f.v, f.path)
		case "times":
			v := d.count(f.v, f.path, "a number of times (0 or more)")
			e.Exactly = &v
		case "at_least":
			v := d.count(f.v, f.path, "a number of times (0 or more)")
			e.AtLeast = &v
		case "at_most":
			v := d.count(f.v, f.path, "a number of times (0 or more)")
			e.AtMost = &v
		case "no_command_after":
			e.NoCommandAfter = d.int(f.v, f.path, "a reply code")
		}
	}
	return e
}
