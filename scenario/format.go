package scenario

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Format writes the scenario as YAML in the file format, in the shortest
// form that Parse reads back to the same scenario (the admin API serves
// it). The scenario should have passed Validate.
func (sc *Scenario) Format() ([]byte, error) {
	root := mapNode(false)
	version := sc.Version
	if version == 0 {
		version = FormatVersion
	}
	add(root, "version", intNode(int64(version)))
	if sc.Name != "" {
		add(root, "name", strNode(sc.Name))
	}
	if sc.Description != "" {
		add(root, "description", blockStrNode(sc.Description))
	}
	if sc.Seed != 0 {
		add(root, "seed", intNode(sc.Seed))
	}
	if len(sc.Users) > 0 {
		s := seqNode(false)
		for _, u := range sc.Users {
			m := mapNode(true)
			add(m, "name", strNode(u.Name))
			if u.Password != "" {
				add(m, "password", strNode(u.Password))
			}
			if u.Home != "" {
				add(m, "home", strNode(u.Home))
			}
			s.Content = append(s.Content, m)
		}
		add(root, "users", s)
	}
	if len(sc.Files) > 0 {
		s := seqNode(false)
		for _, f := range sc.Files {
			s.Content = append(s.Content, sc.fileNode(f))
		}
		add(root, "files", s)
	}
	if st := settingsNode(sc.Settings); len(st.Content) > 0 {
		add(root, "settings", st)
	}
	if len(sc.Rules) > 0 {
		s := seqNode(false)
		for i := range sc.Rules {
			s.Content = append(s.Content, ruleNode(&sc.Rules[i]))
		}
		add(root, "rules", s)
	}
	if len(sc.Expect) > 0 {
		s := seqNode(false)
		for _, e := range sc.Expect {
			s.Content = append(s.Content, expectNode(e))
		}
		add(root, "expect", s)
	}
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

func mapNode(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func seqNode(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") || s != strings.TrimSpace(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// blockStrNode writes a string of several lines as a literal block when
// that keeps it exactly.
func blockStrNode(s string) *yaml.Node {
	n := strNode(s)
	if strings.Contains(s, "\n") && !strings.Contains(s, " \n") && !strings.Contains(s, "\t") && !strings.HasPrefix(s, " ") && !strings.HasSuffix(s, "\n\n") && !strings.ContainsRune(s, '\r') {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func intNode(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func floatNode(f float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(f, 'g', -1, 64)}
}

func sizeNode(n int64) *yaml.Node {
	s := FormatSize(n)
	if isDigits(s) {
		return intNode(n)
	}
	return strNode(s)
}

func durNode(d time.Duration) *yaml.Node { return strNode(formatDuration(d)) }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, strNode(key), v)
}

func strListNode(list []string) *yaml.Node {
	if len(list) == 1 {
		return strNode(list[0])
	}
	s := seqNode(true)
	for _, x := range list {
		s.Content = append(s.Content, strNode(x))
	}
	return s
}

func (sc *Scenario) fileNode(f File) *yaml.Node {
	m := mapNode(!strings.Contains(f.Content, "\n"))
	add(m, "path", strNode(f.Path))
	switch {
	case f.Content != "":
		add(m, "content", strNode(f.Content))
	case f.Base64 != "":
		add(m, "base64", strNode(f.Base64))
	}
	if f.Size != 0 {
		add(m, "size", sizeNode(f.Size))
	}
	if f.Seed != 0 && f.Seed != sc.Seed {
		add(m, "seed", intNode(f.Seed))
	}
	if f.Dir {
		add(m, "dir", boolNode(true))
	}
	if f.From != "" {
		add(m, "from", strNode(f.From))
	}
	if !f.ModTime.IsZero() {
		add(m, "modtime", strNode(f.ModTime.Format(time.RFC3339Nano)))
	}
	return m
}

func settingsNode(s Settings) *yaml.Node {
	m := mapNode(false)
	if s.Banner != "" {
		add(m, "banner", strNode(s.Banner))
	}
	if len(s.Features) > 0 {
		add(m, "features", listNode(s.Features))
	}
	if s.Syst != "" {
		add(m, "syst", strNode(s.Syst))
	}
	if len(s.Disable) > 0 {
		add(m, "disable", listNode(s.Disable))
	}
	if s.IdleTimeout != 0 {
		add(m, "idle_timeout", durNode(s.IdleTimeout.Std()))
	}
	return m
}

func listNode(list []string) *yaml.Node {
	s := seqNode(true)
	for _, x := range list {
		s.Content = append(s.Content, strNode(x))
	}
	return s
}

func argNode(a *ArgMatch) *yaml.Node {
	switch {
	case a.Regex != "":
		m := mapNode(true)
		add(m, "regex", strNode(a.Regex))
		return m
	case a.Glob != "":
		m := mapNode(true)
		add(m, "glob", strNode(a.Glob))
		return m
	}
	return strNode(a.Exact)
}

func whenNode(w Match) *yaml.Node {
	m := mapNode(true)
	if w.Event != "" {
		add(m, "event", strNode(string(w.Event)))
	}
	if len(w.Commands) > 0 {
		add(m, "command", strListNode(w.Commands))
	}
	if w.Arg != nil && (w.Arg.Exact != "" || w.Arg.Glob != "" || w.Arg.Regex != "") {
		add(m, "arg", argNode(w.Arg))
	}
	if w.User != "" {
		add(m, "user", strNode(w.User))
	}
	if w.Session != 0 {
		add(m, "session", intNode(int64(w.Session)))
	}
	if w.Nth != 0 {
		add(m, "nth", intNode(int64(w.Nth)))
	}
	if w.Count != "" {
		add(m, "count", strNode(string(w.Count)))
	}
	if w.State != "" {
		add(m, "state", strNode(w.State))
	}
	if w.Probability != 0 {
		add(m, "probability", floatNode(w.Probability))
	}
	return m
}

// replyNode writes "CODE text" when that reads back the same, else a mapping.
func replyNode(r Reply) *yaml.Node {
	if r.Raw == "" && r.Code >= 100 && r.Code <= 999 && !strings.ContainsAny(r.Text, "\r\n") {
		if r.Text == "" {
			return intNode(int64(r.Code))
		}
		return strNode(strconv.Itoa(r.Code) + " " + r.Text)
	}
	m := mapNode(true)
	if r.Code != 0 && (r.Raw == "" || rawCode(r.Raw) != r.Code) {
		add(m, "code", intNode(int64(r.Code)))
	}
	if r.Text != "" {
		add(m, "text", strNode(r.Text))
	}
	if r.Raw != "" {
		add(m, "raw", strNode(r.Raw))
	}
	return m
}

func delayNode(d DelaySpec) *yaml.Node {
	if d.Max == 0 || d.Max == d.Min {
		return durNode(d.Min)
	}
	m := mapNode(true)
	if d.Min != 0 {
		add(m, "min", durNode(d.Min))
	}
	add(m, "max", durNode(d.Max))
	return m
}

// addStep writes a step's fields into m.
func addStep(m *yaml.Node, s Step) {
	n0 := len(m.Content)
	if !s.Delay.IsZero() {
		add(m, "delay", delayNode(s.Delay))
	}
	if len(s.Replies) == 1 {
		add(m, "reply", replyNode(s.Replies[0]))
	} else if len(s.Replies) > 1 {
		l := seqNode(true)
		for _, r := range s.Replies {
			l.Content = append(l.Content, replyNode(r))
		}
		add(m, "reply", l)
	}
	if s.Preliminary != nil {
		add(m, "preliminary", replyNode(*s.Preliminary))
	}
	if s.Final != nil {
		add(m, "final", replyNode(*s.Final))
	}
	if s.Data != nil {
		add(m, "data", dataNode(*s.Data))
	}
	if s.Then != "" {
		add(m, "then", strNode(string(s.Then)))
	}
	if s.Pass && (s.Then != "" || len(m.Content) == n0) {
		add(m, "pass", boolNode(true))
	}
}

func dataNode(d DataFault) *yaml.Node {
	m := mapNode(true)
	if d.Refuse != "" {
		add(m, "refuse", strNode(string(d.Refuse)))
	}
	if d.After != 0 {
		add(m, "after", sizeNode(d.After))
	}
	if d.End != "" {
		add(m, "end", strNode(string(d.End)))
	}
	if d.Reply != nil {
		if d.Reply.Code == 0 && d.Reply.Raw == "" {
			add(m, "reply", strNode("none"))
		} else {
			add(m, "reply", replyNode(*d.Reply))
		}
	}
	if d.KeepPartial != nil {
		add(m, "keep_partial", boolNode(*d.KeepPartial))
	}
	if d.Rate != 0 {
		add(m, "rate", sizeNode(d.Rate))
	}
	if d.Chunk != 0 {
		add(m, "chunk", sizeNode(d.Chunk))
	}
	if d.ChunkDelay != 0 {
		add(m, "chunk_delay", durNode(d.ChunkDelay))
	}
	if d.Corrupt != 0 {
		add(m, "corrupt", intNode(d.Corrupt))
	}
	for _, x := range []struct {
		key string
		d   DelaySpec
	}{{"delay_preliminary", d.DelayPreliminary}, {"delay_data", d.DelayData}, {"delay_final", d.DelayFinal}} {
		if !x.d.IsZero() {
			add(m, x.key, delayNode(x.d))
		}
	}
	if d.AdvertiseHost != "" {
		add(m, "advertise_host", strNode(d.AdvertiseHost))
	}
	if d.AdvertisePort != 0 {
		add(m, "advertise_port", intNode(int64(d.AdvertisePort)))
	}
	return m
}

func ruleNode(r *Rule) *yaml.Node {
	m := mapNode(false)
	if r.Name != "" {
		add(m, "name", strNode(r.Name))
	}
	add(m, "when", whenNode(r.When))
	if r.Times != 0 {
		add(m, "times", intNode(int64(r.Times)))
	}
	if r.NextState != "" {
		add(m, "next_state", strNode(r.NextState))
	}
	if len(r.Steps) == 1 && r.Exhausted == "" {
		addStep(m, r.Steps[0])
		return m
	}
	l := seqNode(false)
	for _, s := range r.Steps {
		sm := mapNode(true)
		addStep(sm, s)
		l.Content = append(l.Content, sm)
	}
	add(m, "responses", l)
	if r.Exhausted != "" {
		add(m, "exhausted", strNode(string(r.Exhausted)))
	}
	return m
}

func expectNode(e Expectation) *yaml.Node {
	m := mapNode(true)
	if e.Name != "" {
		add(m, "name", strNode(e.Name))
	}
	if e.Command != "" {
		add(m, "command", strNode(e.Command))
	}
	if e.Arg != nil {
		add(m, "arg", argNode(e.Arg))
	}
	if e.User != "" {
		add(m, "user", strNode(e.User))
	}
	for _, x := range []struct {
		key string
		n   *int
	}{{"times", e.Exactly}, {"at_least", e.AtLeast}, {"at_most", e.AtMost}} {
		if x.n != nil {
			add(m, x.key, intNode(int64(*x.n)))
		}
	}
	if e.NoCommandAfter != 0 {
		add(m, "no_command_after", intNode(int64(e.NoCommandAfter)))
	}
	return m
}
