package server

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/ftpcode"
	"github.com/mockftpd/mockftpd/scenario"
)

// reply is one complete FTP reply: its code and the exact lines (without
// CRLF) that make it up. A reply from a scenario may instead carry raw bytes.
type reply struct {
	code  int
	lines []string
	raw   []byte // when set, sent as is instead of lines
}

func (r reply) preliminary() bool { return r.code >= 100 && r.code < 200 }

// text is the reply's text without codes, lines joined by "\n".
func (r reply) text() string {
	if r.raw != nil {
		return strings.TrimRight(string(r.raw), "\r\n")
	}
	parts := make([]string, len(r.lines))
	for i, l := range r.lines {
		if len(l) >= 4 && isCode(l[:3]) && (l[3] == ' ' || l[3] == '-') {
			l = l[4:]
		}
		parts[i] = l
	}
	return strings.Join(parts, "\n")
}

// sanitized is r with every CR or LF inside a line replaced by '?': a
// name with a line break in it (from a -root directory, a listing or a
// scripted text) cannot end a reply early or forge one. Raw replies are
// sent as scripted, malformed on purpose.
func (r reply) sanitized() reply {
	if r.raw != nil {
		return r
	}
	for i, l := range r.lines {
		if strings.ContainsAny(l, "\r\n") {
			lines := slices.Clone(r.lines)
			for j := i; j < len(lines); j++ {
				lines[j] = strings.Map(func(c rune) rune {
					if c == '\r' || c == '\n' {
						return '?'
					}
					return c
				}, lines[j])
			}
			r.lines = lines
			return r
		}
	}
	return r
}

// wire returns the bytes sent to the client for r.
func (r reply) wire() []byte { return r.appendWire(nil) }

// appendWire appends the bytes sent to the client for r to b.
func (r reply) appendWire(b []byte) []byte {
	if r.raw != nil {
		return append(b, r.raw...)
	}
	for _, l := range r.lines {
		b = append(b, l...)
		b = append(b, '\r', '\n')
	}
	return b
}

// newReply builds a well-formed reply; an empty text takes the catalogue's
// default text for the code, and a text of several lines becomes a
// multi-line reply.
func newReply(code int, text string) reply {
	if text == "" {
		text = ftpcode.DefaultText(code)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	parts := strings.Split(text, "\n")
	c := strconv.Itoa(code)
	lines := make([]string, len(parts))
	for i, p := range parts {
		sep := "-"
		if i == len(parts)-1 {
			sep = " "
		}
		lines[i] = c + sep + p
	}
	return reply{code: code, lines: lines}
}

// fromScenario turns a scripted reply into a reply.
func fromScenario(r scenario.Reply) reply {
	if r.Raw != "" {
		code := r.Code
		if code == 0 && len(r.Raw) >= 3 && isCode(r.Raw[:3]) {
			code, _ = strconv.Atoi(r.Raw[:3])
		}
		return reply{code: code, raw: []byte(r.Raw)}
	}
	return newReply(r.Code, r.Text)
}

func isCode(s string) bool {
	return len(s) == 3 && s[0] >= '1' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'
}

// errReplySyntax is returned when the upstream server sends something that
// is not an FTP reply; it never happens with ftpserverlib.
var errReplySyntax = errors.New("malformed reply from the FTP server")

// maxReplyLines bounds a multi-line reply read from the upstream server.
const maxReplyLines = 100000

// maxReplyLine bounds one line of a reply from the upstream server.
const maxReplyLine = 1 << 20

// replyParser assembles the replies the upstream server writes, which may
// arrive a line, or part of one, at a time (RFC 959 4.2 multi-line replies
// included).
type replyParser struct {
	partial []byte // a line without its end yet
	cur     reply  // an unfinished multi-line reply
	open    bool   // cur has its first line
	// last is the last single-line reply, given again when the same line
	// comes next (a chatty client's NOOPs): its lines are never changed.
	last reply
}

// feed takes the next bytes of the stream and appends each reply they
// complete to out. Lines that cannot start a reply are dropped and
// reported by the error (the last one); parsing goes on after them.
func (p *replyParser) feed(b []byte, out []reply) ([]reply, error) {
	var bad error
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(p.partial)+len(b) > maxReplyLine {
				p.partial, p.open, p.cur = p.partial[:0], false, reply{}
				return out, errReplySyntax
			}
			p.partial = append(p.partial, b...)
			return out, bad
		}
		lb := b[:i]
		if len(p.partial) > 0 {
			p.partial = append(p.partial, lb...)
			lb = p.partial
		}
		lb = bytes.TrimSuffix(lb, []byte{'\r'})
		b = b[i+1:]
		if !p.open && len(p.last.lines) == 1 && string(lb) == p.last.lines[0] {
			p.partial = p.partial[:0]
			out = append(out, p.last)
			continue
		}
		line := string(lb)
		p.partial = p.partial[:0]
		if r, done, err := p.line(line); err != nil {
			bad = err
		} else if done {
			if len(r.lines) == 1 {
				p.last = r
			}
			out = append(out, r)
		}
	}
	return out, bad
}

// line takes one line; done when it completes a reply.
func (p *replyParser) line(l string) (reply, bool, error) {
	if !p.open {
		if len(l) < 4 || !isCode(l[:3]) || (l[3] != ' ' && l[3] != '-') {
			if len(l) == 3 && isCode(l) {
				code, _ := strconv.Atoi(l)
				return reply{code: code, lines: []string{l}}, true, nil
			}
			return reply{}, false, errReplySyntax
		}
		code, _ := strconv.Atoi(l[:3])
		r := reply{code: code, lines: []string{l}}
		if l[3] == ' ' {
			return r, true, nil
		}
		p.cur, p.open = r, true
		return reply{}, false, nil
	}
	p.cur.lines = append(p.cur.lines, l)
	first := p.cur.lines[0][:3]
	if (len(l) >= 4 && l[:3] == first && l[3] == ' ') || l == first {
		r := p.cur
		p.cur, p.open = reply{}, false
		return r, true, nil
	}
	if len(p.cur.lines) >= maxReplyLines {
		p.cur, p.open = reply{}, false
		return reply{}, false, errReplySyntax
	}
	return reply{}, false, nil
}

// featReply is a FEAT reply listing features.
func featReply(features []string) reply {
	lines := make([]string, 0, len(features)+2)
	lines = append(lines, "211-Features:")
	for _, f := range features {
		lines = append(lines, " "+f)
	}
	lines = append(lines, "211 End")
	return reply{code: 211, lines: lines}
}

// journalLines are the lines of r as the journal records them.
func (r reply) journalLines() []string {
	if r.raw != nil {
		return strings.Split(strings.TrimRight(string(r.raw), "\r\n"), "\n")
	}
	return r.lines
}
