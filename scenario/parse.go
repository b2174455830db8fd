package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse reads a scenario written in YAML or JSON (the same keys; JSON is
// read by the YAML parser), validates it and returns it normalised (see
// Normalize). Top-level keys starting with "x-" are ignored: they hold YAML
// anchors (&name) that rules reuse with aliases (*name) or merges (<<:
// *name). name is used in messages and becomes the scenario's Source
// ("<string>" when empty). Relative "from:" paths are left as written (Load
// resolves them).
//
// On failure it returns a nil scenario and an ErrorList holding every
// problem found (up to MaxErrors), each located as "name:line:col: message".
func Parse(name string, data []byte) (*Scenario, error) {
	sc, _, err := parse(name, data)
	return sc, err
}

// Load reads and parses the scenario file at path. The scenario's Source is
// path, and relative "from:" paths are resolved against the file's folder
// (and must exist).
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrorList{{File: path, Msg: err.Error()}}
	}
	sc, loc, err := parse(path, data)
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
			errs = append(errs, loc.at(index("files", i)+".from", "from: "+statMessage(err)))
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

func parse(name string, data []byte) (*Scenario, *locator, error) {
	if name == "" {
		name = "<string>"
	}
	root, err := document(name, data, `empty scenario: it needs at least "version: 1"`, "a scenario file holds one YAML document; found a second one")
	if err != nil {
		return nil, nil, err
	}
	d := newDecoder(name, len(data))
	sc := &Scenario{Source: name}
	if !d.value(root, reflect.ValueOf(sc).Elem(), nil) {
		if err := finish(d.errs); err != nil {
			return nil, nil, err // not a scenario at all
		}
	}
	loc := &locator{file: name, root: root, bad: d.bad}
	sc, errs := normalize(sc, loc, nil)
	if err := finish(append(d.errs, errs...)); err != nil {
		return nil, loc, err
	}
	return sc, loc, nil
}

// document reads the one YAML document of data and returns its root node.
func document(name string, data []byte, empty, second string) (*yaml.Node, error) {
	data = detab(data)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, ErrorList{{File: name, Line: 1, Col: 1, Msg: empty}}
		}
		return nil, ErrorList{yamlError(name, data, err)}
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		if err != nil {
			return nil, ErrorList{yamlError(name, data, err)}
		}
		return nil, ErrorList{{File: name, Line: max(next.Line, 1), Col: max(next.Column, 1), Msg: second}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, ErrorList{{File: name, Line: 1, Col: 1, Msg: empty}}
		}
		root = root.Content[0]
	}
	return root, nil
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

// yamlError locates a syntax error. The YAML parser reports the line where
// the enclosing block starts; the line at fault is the first one after
// which the document fails in the same way, found by parsing prefixes.
func yamlError(name string, data []byte, err error) *Error {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: name, Line: 1, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	e := &Error{File: name, Line: line, Msg: "YAML syntax error: " + m[2]}
	switch m[2] {
	case "did not find expected key", "did not find expected '-' indicator":
		e.Msg += " (check the indentation of this line)"
	case "mapping values are not allowed in this context":
		e.Msg += ` (check the indentation of this line, and quote a text that holds ": ")`
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(k int) bool { // the first k lines fail with the same message
		var n yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n)
		if err == nil {
			return false
		}
		got := yamlLineRE.FindStringSubmatch(err.Error())
		return got != nil && got[2] == m[2]
	}
	lo, hi := max(line, 1), len(lines) // fails(hi) holds: the whole document
	if lo >= hi || !fails(hi) {
		return e
	}
	for lo < hi { // the smallest k in [lo, hi] with fails(k)
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if hi > line {
		e.Line = hi
		text := string(lines[hi-1])
		e.Col = len(text) - len(strings.TrimLeft(text, " ")) + 1
	}
	return e
}

// locator turns the model paths the validator reports ("rules[2].when.arg")
// into positions, by walking the document's nodes along the path.
type locator struct {
	file   string
	root   *yaml.Node // nil for a scenario built in Go
	prefix string     // the model path of root
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

func (l *locator) suppressed(path string) bool {
	for _, b := range l.bad {
		if related(path, b) {
			return true
		}
	}
	return false
}

// at locates msg at path, or at its closest ancestor in the document;
// without a document (a scenario built in Go) it names the rule or entry.
func (l *locator) at(path, msg string) *Error {
	if l.root == nil {
		return &Error{File: l.file, Msg: describePath(l.sc, path) + msg}
	}
	n := l.node(path)
	return &Error{File: l.file, Line: max(n.Line, 1), Col: max(n.Column, 1), Msg: msg}
}

// line returns the line path starts at, or 0.
func (l *locator) line(path string) int {
	if l.root == nil {
		return 0
	}
	return l.node(path).Line
}

// node walks from the root along path, as far as the document goes. A
// rule's "steps" are its "responses", or the rule itself (the shorthand);
// item [0] of a single item written for a list is the item.
func (l *locator) node(path string) *yaml.Node {
	n := resolve(l.root)
	if l.prefix != "" {
		if !strings.HasPrefix(path, l.prefix) {
			return n
		}
		path = path[len(l.prefix):]
	}
	for path != "" {
		var seg string
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			i, _ := strconv.Atoi(path[1:end])
			path = path[end+1:]
			if n.Kind == yaml.SequenceNode {
				if i >= len(n.Content) {
					return n
				}
				n = resolve(n.Content[i])
			}
			continue
		}
		path = strings.TrimPrefix(path, ".")
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			end = len(path)
		}
		seg, path = path[:end], path[end:]
		next := lookup(n, seg, 0)
		if next == nil && seg == "steps" {
			next = lookup(n, "responses", 0)
			if next == nil {
				continue // the shorthand: the rule holds its step
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// lookup finds the value of key in mapping n, merges included.
func lookup(n *yaml.Node, key string, depth int) *yaml.Node {
	n = resolve(n)
	if n == nil || depth > 10 {
		return nil
	}
	if n.Kind == yaml.SequenceNode { // a merge of several mappings
		for _, c := range n.Content {
			if v := lookup(c, key, depth+1); v != nil {
				return v
			}
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var merged *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k == nil {
			continue
		}
		if k.Value == key && k.ShortTag() != "!!merge" {
			return resolve(n.Content[i+1])
		}
		if k.ShortTag() == "!!merge" {
			merged = n.Content[i+1]
		}
	}
	if merged != nil {
		return lookup(merged, key, depth+1)
	}
	return nil
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
