package server

import (
	"bufio"
	"errors"
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

// wire returns the bytes sent to the client for r.
func (r reply) wire() []byte {
	if r.raw != nil {
		return r.raw
	}
	n := 0
	for _, l := range r.lines {
		n += len(l) + 2
	}
	b := make([]byte, 0, n)
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

// readReply reads one complete reply (single or multi-line, RFC 959 4.2).
func readReply(r *bufio.Reader) (reply, error) {
	first, err := readLine(r)
	if err != nil {
		return reply{}, err
	}
	if len(first) < 4 || !isCode(first[:3]) || (first[3] != ' ' && first[3] != '-') {
		if len(first) == 3 && isCode(first) {
			code, _ := strconv.Atoi(first)
			return reply{code: code, lines: []string{first}}, nil
		}
		return reply{}, errReplySyntax
	}
	code, _ := strconv.Atoi(first[:3])
	rep := reply{code: code, lines: []string{first}}
	if first[3] == ' ' {
		return rep, nil
	}
	end := first[:3] + " "
	for len(rep.lines) < maxReplyLines {
		line, err := readLine(r)
		if err != nil {
			return reply{}, err
		}
		rep.lines = append(rep.lines, line)
		if strings.HasPrefix(line, end) || line == first[:3] {
			return rep, nil
		}
	}
	return reply{}, errReplySyntax
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r"), nil
}
