package scenario

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// compileGlob turns a glob into an anchored regexp: path.Match syntax ("*"
// and "?" stop at "/", "[a-z]" classes, "\" escapes), plus "**" for any run
// of characters including "/".
func compileGlob(g string) (*regexp.Regexp, error) {
	if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
		return nil, fmt.Errorf("invalid glob %q: %v", g, err)
	}
	var b strings.Builder
	b.WriteString(`\A(?s:`)
	rs := []rune(g)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '*':
			if i+1 < len(rs) && rs[i+1] == '*' {
				b.WriteString(".*")
				for i+1 < len(rs) && rs[i+1] == '*' {
					i++
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			}
		case '[':
			b.WriteByte('[')
			i++
			if i < len(rs) && rs[i] == '^' {
				b.WriteByte('^')
				i++
			}
			for ; i < len(rs) && rs[i] != ']'; i++ {
				switch rs[i] {
				case '\\':
					if i+1 < len(rs) {
						i++
					}
					b.WriteString(regexp.QuoteMeta(string(rs[i])))
				case '-':
					b.WriteByte('-')
				default:
					b.WriteString(classQuote(rs[i]))
				}
			}
			b.WriteByte(']')
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %v", g, err)
	}
	return re, nil
}

func classQuote(r rune) string {
	switch r {
	case '[', ']', '^', '\\', '-':
		return `\` + string(r)
	}
	return string(r)
}

// Pattern is a compiled argument or user condition: an exact string, a
// glob or a regular expression (see ArgMatch). The nil Pattern matches
// anything.
type Pattern struct {
	exact    string
	hasExact bool
	re       *regexp.Regexp
	src      ArgMatch
}

// CompileArg compiles an argument condition; nil (or the zero ArgMatch)
// gives the nil Pattern. A scenario that passed Validate compiles.
func CompileArg(a *ArgMatch) (*Pattern, error) { return compileArg(a) }

// CompileGlob compiles a glob, as a user condition is written.
func CompileGlob(g string) (*Pattern, error) {
	re, err := compileGlob(g)
	if err != nil {
		return nil, err
	}
	return &Pattern{re: re, src: ArgMatch{Glob: g}}, nil
}

func compileArg(a *ArgMatch) (*Pattern, error) {
	if a == nil || (a.Exact == "" && a.Glob == "" && a.Regex == "") {
		return nil, nil
	}
	m := &Pattern{src: *a}
	switch {
	case a.Regex != "":
		re, err := regexp.Compile(a.Regex)
		if err != nil {
			return nil, fmt.Errorf("invalid regex %q: %v", a.Regex, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		m.re = re
	case a.Glob != "":
		re, err := compileGlob(a.Glob)
		if err != nil {
			return nil, err
		}
		m.re = re
	default:
		m.exact, m.hasExact = a.Exact, true
	}
	return m, nil
}

// Match reports whether s matches.
func (m *Pattern) Match(s string) bool {
	if m == nil {
		return true
	}
	if m.hasExact {
		return s == m.exact
	}
	return m.re.MatchString(s)
}

// Exact returns the string an exact pattern wants.
func (m *Pattern) Exact() (string, bool) {
	if m == nil {
		return "", false
	}
	return m.exact, m.hasExact
}

// WhyNotArg says why arg, a command's argument, does not match, e.g.
// "arg /a.txt does not match glob /out/*".
func (m *Pattern) WhyNotArg(arg string) string {
	a := "arg " + arg
	if arg == "" {
		a = "no arg"
	}
	return m.whyNot(a)
}

// WhyNotPath says why p, the path a command acts on, does not match, e.g.
// "path /data/x.csv does not match glob /out/*".
func (m *Pattern) WhyNotPath(p string) string { return m.whyNot("path " + p) }

// whyNot completes what (the value that does not match) with the pattern.
func (m *Pattern) whyNot(what string) string {
	switch {
	case m.hasExact:
		return what + " is not " + m.exact
	case m.src.Regex == "^$":
		return what + " where the rule wants none"
	case m.src.Regex != "":
		return what + " does not match regex " + m.src.Regex
	}
	return what + " does not match glob " + m.src.Glob
}

// describeArg writes an ArgMatch for messages: "/a.txt", "matching /out/*".
func describeArg(a *ArgMatch) string {
	switch {
	case a == nil:
		return ""
	case a.Regex == "^$":
		return "with no argument"
	case a.Regex != "":
		return "matching regex " + a.Regex
	case a.Glob != "":
		return "matching " + a.Glob
	}
	return a.Exact
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
