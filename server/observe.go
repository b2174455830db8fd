package server

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/journal"
)

// What a test or the admin API reads and waits for while the server runs:
// files, uploads, journal entries, and the reset between tests.

// WriteFile seeds a file (creating its directories) before or while clients run.
func (s *Server) WriteFile(name string, data []byte) error {
	p := path.Clean("/" + name)
	if err := s.fs.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	return afero.WriteFile(s.fs, p, data, 0o644)
}

// ReadFile returns a file's content, e.g. what a client uploaded.
func (s *Server) ReadFile(name string) ([]byte, error) {
	return afero.ReadFile(s.fs, path.Clean("/"+name))
}

func (s *Server) uploaded(u Upload) {
	s.mu.Lock()
	s.uploads = append(s.uploads, u)
	if n := s.cfg.JournalLimit; len(s.uploads) > n {
		s.uploads = s.uploads[len(s.uploads)-n:]
	}
	close(s.uploadsCh)
	s.uploadsCh = make(chan struct{})
	s.mu.Unlock()
	if !u.Complete && s.closingDown() {
		s.cfg.Logger.Warn("upload cut short by the shutdown; the partial file stays under its name", "session", u.Session, "path", u.Path, "size", u.Size)
		return
	}
	s.cfg.Logger.Debug("upload closed", "path", u.Path, "size", u.Size, "complete", u.Complete)
}

// closingDown reports whether the server is shutting down or closed.
func (s *Server) closingDown() bool {
	select {
	case <-s.draining:
		return true
	case <-s.closed:
		return true
	default:
		return false
	}
}

// Uploads lists the uploads closed so far, oldest first.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

// WaitUpload waits until a complete upload of name has been stored, or
// the timeout passes.
func (s *Server) WaitUpload(name string, timeout time.Duration) (Upload, error) {
	p := path.Clean("/" + name)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		s.mu.Lock()
		for _, u := range s.uploads {
			if u.Path == p && u.Complete {
				s.mu.Unlock()
				return u, nil
			}
		}
		ch := s.uploadsCh
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Upload{}, fmt.Errorf("no complete upload of %s within %s", p, timeout)
		case <-s.closed:
			return Upload{}, fmt.Errorf("server closed before an upload of %s", p)
		}
	}
}

// WaitCommand waits until a client has sent verb (and, when arg is not
// empty, with that argument) and got its final reply, or the timeout passes.
func (s *Server) WaitCommand(verb, arg string, timeout time.Duration) (journal.Entry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	e, err := s.journal.Wait(ctx, func(e *journal.Entry) bool {
		return strings.EqualFold(e.Command, verb) && (arg == "" || e.Arg == arg) && !e.Done.IsZero()
	})
	if err != nil {
		what := verb
		if arg != "" {
			what += " " + arg
		}
		return journal.Entry{}, fmt.Errorf("no %s within %s", what, timeout)
	}
	return e, nil
}

// WaitSessionEnd waits until session n (1 for the first connection) has
// ended, or the timeout passes, and returns its journal.Disconnect entry,
// whose Reason says why it ended.
func (s *Server) WaitSessionEnd(n int, timeout time.Duration) (journal.Entry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	e, err := s.journal.Wait(ctx, func(e *journal.Entry) bool {
		return e.Session == n && e.Command == journal.Disconnect
	})
	if err != nil {
		return journal.Entry{}, fmt.Errorf("session %d did not end within %s", n, timeout)
	}
	return e, nil
}

// Reset brings counters, scenario state, the journal and the recorded
// uploads back to the start, and the filesystem back to the scenario's
// seed files when the server serves memory.
func (s *Server) Reset() error {
	s.rt.Reset()
	s.journal.Reset()
	s.mu.Lock()
	s.uploads = nil
	s.mu.Unlock()
	if s.cfg.Fs != nil || s.cfg.Root != "" {
		return nil // a host directory or a caller's filesystem is never wiped
	}
	if err := clearFs(s.fs); err != nil {
		return err
	}
	return seedFiles(s.fs, s.rt.Scenario())
}

func clearFs(fsys afero.Fs) error {
	entries, err := afero.ReadDir(fsys, "/")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := fsys.RemoveAll("/" + e.Name()); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
