package record

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mockftpd/mockftpd/scenario"
)

// YAML writes the recorded scenario as a scenario file.
func (r *Recorded) YAML() ([]byte, error) {
	root := ymap(false)
	put(root, "version", yint(scenario.FormatVersion))
	put(root, "name", ystr(r.Name))
	if r.Description != "" {
		put(root, "description", yblock(r.Description))
	}
	if len(r.Users) > 0 {
		s := yseq(false)
		for _, u := range r.Users {
			m := ymap(true)
			put(m, "name", ystr(u.Name))
			put(m, "password", ystr(u.Password))
			s.Content = append(s.Content, m)
		}
		put(root, "users", s)
	}
	if len(r.Files) > 0 {
		s := yseq(false)
		for _, f := range r.Files {
			s.Content = append(s.Content, fileYAML(f))
		}
		put(root, "files", s)
	}
	if set := settingsYAML(r.Settings); len(set.Content) > 0 {
		put(root, "settings", set)
	}
	if len(r.Rules) > 0 {
		s := yseq(false)
		for _, rule := range r.Rules {
			s.Content = append(s.Content, ruleYAML(rule))
		}
		put(root, "rules", s)
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

func fileYAML(f scenario.File) *yaml.Node {
	m := ymap(!strings.Contains(f.Content, "\n") || len(f.Content) < 60)
	put(m, "path", ystr(f.Path))
	switch {
	case f.Dir:
		put(m, "dir", ybool(true))
	case f.Base64 != "":
		put(m, "base64", ystr(f.Base64))
	case f.Size > 0:
		if s := scenario.FormatSize(f.Size); strings.Trim(s, "0123456789") == "" {
			put(m, "size", yint(f.Size))
		} else {
			put(m, "size", ystr(s))
		}
	default:
		put(m, "content", ystr(f.Content))
	}
	if !f.ModTime.IsZero() {
		put(m, "modtime", ystr(f.ModTime.UTC().Format(time.RFC3339)))
	}
	return m
}

func settingsYAML(s Settings) *yaml.Node {
	m := ymap(false)
	if s.Banner != "" {
		put(m, "banner", ystr(s.Banner))
	}
	if s.Syst != "" {
		put(m, "syst", ystr(s.Syst))
	}
	if len(s.Features) > 0 {
		l := yseq(true)
		for _, f := range s.Features {
			l.Content = append(l.Content, ystr(f))
		}
		put(m, "features", l)
	}
	if s.Strict {
		put(m, "strict", ybool(true))
	}
	return m
}

func ruleYAML(r Rule) *yaml.Node {
	m := ymap(false)
	if r.Name != "" {
		put(m, "name", ystr(r.Name))
	}
	w := ymap(true)
	if r.When.Connect {
		put(w, "event", ystr("connect"))
	} else {
		put(w, "command", ystr(r.When.Command))
	}
	if r.When.Arg != nil {
		put(w, "arg", ystr(*r.When.Arg))
	}
	if r.When.Path != "" {
		put(w, "path", ystr(r.When.Path))
	}
	if r.When.User != "" {
		put(w, "user", ystr(globEscape(r.When.User)))
	}
	put(m, "when", w)
	if len(r.Steps) == 1 {
		stepYAML(m, r.Steps[0])
		return m
	}
	l := yseq(false)
	for _, st := range r.Steps {
		sm := ymap(false)
		stepYAML(sm, st)
		l.Content = append(l.Content, sm)
	}
	put(m, "responses", l)
	if r.Exhausted != "" {
		put(m, "exhausted", ystr(r.Exhausted))
	}
	return m
}

func stepYAML(m *yaml.Node, st Step) {
	if st.Delay > 0 {
		put(m, "delay", ystr(st.Delay.String()))
	}
	if len(st.Replies) > 0 {
		put(m, "reply", repliesYAML(st.Replies))
	}
	if st.Pass {
		put(m, "pass", ybool(true))
	}
	if len(st.Preliminary) > 0 {
		put(m, "preliminary", repliesYAML(st.Preliminary))
	}
	if st.Final != nil {
		put(m, "final", replyYAML(*st.Final))
	}
	if st.RefuseData {
		d := ymap(true)
		put(d, "refuse", ystr("close"))
		if st.DataReply != nil {
			put(d, "reply", replyYAML(*st.DataReply))
		}
		put(m, "data", d)
	}
	if st.Data != nil {
		d := ymap(true)
		if textOK(st.Data) {
			put(d, "content", ystr(string(st.Data)))
		} else {
			put(d, "base64", ystr(base64.StdEncoding.EncodeToString(st.Data)))
		}
		put(m, "data", d)
	}
	if st.Then != "" {
		put(m, "then", ystr(st.Then))
	}
}

func repliesYAML(rs []scenario.Reply) *yaml.Node {
	if len(rs) == 1 {
		return replyYAML(rs[0])
	}
	l := yseq(false)
	for _, r := range rs {
		l.Content = append(l.Content, replyYAML(r))
	}
	return l
}

// replyYAML writes "CODE text" for a one-line reply, {code, text} for a
// multi-line one and {raw} for bytes that must go out as they are.
func replyYAML(r scenario.Reply) *yaml.Node {
	switch {
	case r.Raw != "":
		m := ymap(true)
		put(m, "raw", ystr(r.Raw))
		return m
	case strings.Contains(r.Text, "\n"):
		m := ymap(false)
		put(m, "code", yint(int64(r.Code)))
		put(m, "text", yblock(r.Text))
		return m
	}
	return ystr(strconv.Itoa(r.Code) + " " + r.Text)
}

// globEscape makes a user name match itself only in a glob.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func ymap(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func yseq(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func ystr(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsAny(s, "\r\n\t") || s != strings.TrimSpace(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yblock writes text of several lines as a literal block where that keeps
// it exactly.
func yblock(s string) *yaml.Node {
	n := ystr(s)
	if strings.Contains(s, "\n") && !strings.ContainsAny(s, "\r\t") && !strings.Contains(s, " \n") &&
		!strings.HasPrefix(s, " ") && !strings.HasSuffix(s, " ") && !strings.HasSuffix(s, "\n\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func yint(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

func ybool(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, ystr(key), v)
}
