package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// What the proxy reads of the FTP protocol: command and reply lines, the
// verbs that open data connections, paths.

// transferVerbs open a data connection.
var transferVerbs = map[string]bool{
	"RETR": true, "STOR": true, "STOU": true, "APPE": true,
	"LIST": true, "NLST": true, "MLSD": true,
}

// uploadVerbs send data from the client to the server.
var uploadVerbs = map[string]bool{"STOR": true, "STOU": true, "APPE": true}

// listingVerbs send a listing on the data connection.
var listingVerbs = map[string]bool{"LIST": true, "NLST": true, "MLSD": true}

// Resolve returns the absolute, clean path p names from the directory cwd.
func Resolve(cwd, p string) string {
	if cwd == "" {
		cwd = "/"
	}
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Clean(path.Join(cwd, p))
}

// quotedPath reads the directory of a 257 reply: "/a ""b""" is /a "b".
func quotedPath(text string) (string, bool) {
	i := strings.IndexByte(text, '"')
	if i < 0 {
		return "", false
	}
	var b strings.Builder
	for j := i + 1; j < len(text); j++ {
		if text[j] != '"' {
			b.WriteByte(text[j])
			continue
		}
		if j+1 < len(text) && text[j+1] == '"' {
			b.WriteByte('"')
			j++
			continue
		}
		return b.String(), true
	}
	return "", false
}

// readLine reads one command line, its end included.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if err == nil {
			return string(b), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		if len(b) > maxLine {
			return "", fmt.Errorf("line longer than %d bytes", maxLine)
		}
	}
}

// lineEnd returns the line's end: "\r\n" or "\n".
func lineEnd(line string) string {
	if strings.HasSuffix(line, "\r\n") {
		return "\r\n"
	}
	return "\n"
}

// parseCommand splits a command line into its upper-case verb and its
// argument, after the Telnet IP/DM a client may put before ABOR.
func parseCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(stripTelnet(strings.TrimRight(line, "\r\n")), " ")
	return strings.ToUpper(verb), arg
}

// stripTelnet drops the Telnet commands (and spaces) in front of a line.
func stripTelnet(line string) string {
	for len(line) > 0 {
		switch {
		case line[0] == 0xff && len(line) >= 2: // IAC and its command
			line = line[2:]
		case line[0] == 0xf2 || line[0] == ' ': // a DM sent alone as urgent data
			line = line[1:]
		default:
			return line
		}
	}
	return line
}

// readReply reads one complete reply: its bytes, line ends included, and
// its code (0 for a line that is no reply).
func readReply(r *bufio.Reader) (string, int, error) {
	first, err := readLine(r)
	if err != nil {
		return "", 0, err
	}
	l := strings.TrimRight(first, "\r\n")
	if len(l) < 3 || !isCode(l[:3]) {
		return first, 0, nil
	}
	code := int(l[0]-'0')*100 + int(l[1]-'0')*10 + int(l[2]-'0')
	if len(l) < 4 || l[3] != '-' {
		return first, code, nil
	}
	var b strings.Builder
	b.WriteString(first)
	for n := 0; n < maxReplyLines; n++ {
		next, err := readLine(r)
		if err != nil {
			return "", 0, err
		}
		b.WriteString(next)
		t := strings.TrimRight(next, "\r\n")
		if t == l[:3] || (len(t) >= 4 && t[:3] == l[:3] && t[3] == ' ') {
			return b.String(), code, nil
		}
	}
	return "", 0, fmt.Errorf("reply of more than %d lines", maxReplyLines)
}
