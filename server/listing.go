package server

import (
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/spf13/afero"
)

// Commands ftpserverlib v0.32.3 answers wrongly, which the engine answers
// itself: STAT with a path (ftpserverlib prints a literal "%s" before each
// entry of a directory) and SITE RMDIR (250 when nothing was removed).

// absPath resolves a command's path argument against the session's
// working directory, as ftpserverlib does.
func (s *session) absPath(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(s.cwd(), p)
}

// cwd is the session's working directory, as ftpserverlib keeps it ("/"
// before ftpserverlib knows the session).
func (s *session) cwd() string {
	s.mu.Lock()
	cc := s.cc
	s.mu.Unlock()
	if cc == nil {
		return "/"
	}
	return cc.Path()
}

// cmdSTAT answers STAT with a path: a file's entry (213), or a directory's
// entries (212), in ls -l form. STAT alone, the server's status, is
// ftpserverlib's, as is everything before a login (530).
func (s *session) cmdSTAT(cmd *command) {
	if cmd.arg == "" || !s.isLoggedIn() {
		s.forward(cmd, cmd.line())
		return
	}
	if s.dialectSTAT(cmd) {
		return
	}
	p := s.absPath(cmd.arg)
	fi, err := s.srv.fs.Stat(p)
	if err != nil {
		s.answer(cmd, newReply(450, "Could not STAT: "+err.Error()))
		return
	}
	if !fi.IsDir() {
		s.answer(cmd, listReply(213, "STAT "+cmd.arg, []string{" " + s.lsLine(fi)}))
		return
	}
	entries, err := afero.ReadDir(s.srv.fs, p)
	if err != nil {
		s.answer(cmd, newReply(450, "Could not list: "+err.Error()))
		return
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = " " + s.lsLine(e)
	}
	s.answer(cmd, listReply(212, "STAT "+cmd.arg, lines))
}

// listReply is a multi-line reply: "CODE-title", the lines, "CODE End".
// The lines start with a space, so none can end the reply early.
func listReply(code int, title string, lines []string) reply {
	c := fmt.Sprint(code)
	out := make([]string, 0, len(lines)+2)
	out = append(out, c+"-"+title)
	out = append(out, lines...)
	out = append(out, c+" End")
	return reply{code: code, lines: out}
}

// lsLine is a file's line in ls -l form, as ftpserverlib's LIST writes it.
func (s *session) lsLine(fi os.FileInfo) string {
	format := "Jan _2 15:04"
	if s.began.Sub(fi.ModTime()) > 6*30*24*time.Hour {
		format = "Jan _2  2006"
	}
	return fmt.Sprintf("%s 1 ftp ftp %12d %s %s", fi.Mode(), fi.Size(), fi.ModTime().Format(format), fi.Name())
}

// cmdSITE answers SITE RMDIR itself: 550 when the path is not a
// directory (or is the root), 250 only when it was removed. Every other
// SITE command is ftpserverlib's.
func (s *session) cmdSITE(cmd *command) {
	sub, rest, _ := strings.Cut(cmd.arg, " ")
	if !strings.EqualFold(sub, "RMDIR") || !s.isLoggedIn() {
		s.forward(cmd, cmd.line())
		return
	}
	if rest = strings.TrimSpace(rest); rest == "" {
		s.answer(cmd, newReply(501, "Missing path"))
		return
	}
	p := s.absPath(rest)
	fi, err := s.srv.fs.Stat(p)
	switch {
	case err != nil:
		s.answer(cmd, newReply(550, "Couldn't remove dir "+p+": "+err.Error()))
	case !fi.IsDir():
		s.answer(cmd, newReply(550, "Couldn't remove dir "+p+": not a directory"))
	case p == "/":
		s.answer(cmd, newReply(550, "Couldn't remove dir /: it is the root"))
	default:
		if err := s.srv.fs.RemoveAll(p); err != nil {
			s.answer(cmd, newReply(550, "Couldn't remove dir "+p+": "+err.Error()))
			return
		}
		s.answer(cmd, newReply(250, "Removed dir "+p))
	}
}
