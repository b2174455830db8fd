package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/record"
	"github.com/mockftpd/mockftpd/server"
)

// sessionSummary is one session as the sessions list shows it, made from
// the session's journal entries.
type sessionSummary struct {
	Number int    `json:"number"`
	Client string `json:"client,omitempty"` // the client's address
	User   string `json:"user,omitempty"`   // the last user name the session gave
	// TLS is true once the control connection is encrypted (implicit
	// FTPS, or AUTH answered 234).
	TLS    bool      `json:"tls"`
	Start  time.Time `json:"start,omitzero"`
	End    time.Time `json:"end,omitzero"`
	Reason string    `json:"reason,omitempty"` // why it ended
	Open   bool      `json:"open"`
	// Commands counts the client's commands; Failed those whose last
	// reply was 4xx, 5xx or 6xx; Fired those a rule fired for.
	Commands  int   `json:"commands"`
	Failed    int   `json:"failed"`
	Fired     int   `json:"fired"`
	Transfers int   `json:"transfers"`
	BytesIn   int64 `json:"bytes_in"`
	BytesOut  int64 `json:"bytes_out"`
	// Entries counts the session's journal entries (events included), and
	// FirstSeq and LastSeq are the first and last of them.
	Entries  int `json:"entries"`
	FirstSeq int `json:"first_seq"`
	LastSeq  int `json:"last_seq"`
}

// share is what one version of an entry adds to its session's summary;
// a newer version of the entry replaces its share.
type share struct {
	session          int
	command, fired   bool
	failed, transfer bool
	in, out          int64
}

// sessionBook sums journal entries into session summaries, following new
// entries and new versions of old ones.
type sessionBook struct {
	implicitTLS bool
	sessions    map[int]*sessionSummary
	shares      map[int]share // by seq
}

func newSessionBook(implicitTLS bool) *sessionBook {
	return &sessionBook{implicitTLS: implicitTLS, sessions: map[int]*sessionSummary{}, shares: map[int]share{}}
}

// add takes in an entry (new, or a new version) and returns its session.
func (b *sessionBook) add(e *journal.Entry) *sessionSummary {
	s := b.sessions[e.Session]
	if s == nil {
		s = &sessionSummary{Number: e.Session, Open: true, FirstSeq: e.Seq}
		b.sessions[e.Session] = s
	}
	old, seen := b.shares[e.Seq]
	if seen {
		s.sub(old)
	} else {
		s.Entries++
		s.FirstSeq = min(s.FirstSeq, e.Seq)
		s.LastSeq = max(s.LastSeq, e.Seq)
	}
	sh := share{session: e.Session, command: !e.Event() && e.Command != "", fired: e.Rule != ""}
	if sh.command {
		sh.failed = e.LastCode() >= 400
	}
	if t := e.Transfer; t != nil {
		sh.transfer, sh.in, sh.out = true, t.BytesIn, t.BytesOut
	}
	b.shares[e.Seq] = sh
	s.addShare(sh)
	if e.User != "" {
		s.User = e.User
	}
	switch {
	case e.Command == journal.Connect:
		s.Start, s.Client = e.Time, e.Arg
		s.TLS = s.TLS || b.implicitTLS
	case e.Command == journal.Disconnect:
		s.End, s.Reason, s.Open = e.Time, e.Reason, false
	case strings.EqualFold(e.Command, "AUTH") && e.LastCode() == 234:
		s.TLS = true
	}
	if s.Start.IsZero() {
		s.Start = e.Time // until the connection's entry, if the journal still holds it
	}
	return s
}

func (s *sessionSummary) addShare(sh share) { s.apply(sh, 1) }
func (s *sessionSummary) sub(sh share)      { s.apply(sh, -1) }

func (s *sessionSummary) apply(sh share, sign int) {
	count := func(b bool) int {
		if b {
			return sign
		}
		return 0
	}
	s.Commands += count(sh.command)
	s.Fired += count(sh.fired)
	s.Failed += count(sh.failed)
	s.Transfers += count(sh.transfer)
	s.BytesIn += int64(sign) * sh.in
	s.BytesOut += int64(sign) * sh.out
}

// list returns the summaries, by session number.
func (b *sessionBook) list() []sessionSummary {
	out := make([]sessionSummary, 0, len(b.sessions))
	for _, s := range b.sessions {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(x, y sessionSummary) int { return x.Number - y.Number })
	return out
}

// summarize reads the whole journal into session summaries.
func (a *API) summarize() (*sessionBook, int) {
	b := newSessionBook(a.srv.Config().TLS == server.TLSImplicit)
	last := a.srv.Journal().Scan(0, func(e *journal.Entry) bool {
		b.add(e)
		return true
	})
	return b, last
}

type sessionsBody struct {
	Sessions []sessionSummary `json:"sessions"`
	LastSeq  int              `json:"last_seq"`
	Dropped  int64            `json:"dropped"`
}

// sessions answers the summary of every session the journal holds.
func (a *API) sessions(w http.ResponseWriter, r *http.Request) {
	b, last := a.summarize()
	writeJSON(w, http.StatusOK, sessionsBody{Sessions: b.list(), LastSeq: last, Dropped: a.srv.Journal().Stats().Dropped})
}

// sessionEntries returns the journal entries of session n, oldest first;
// it has answered 400 or 404 and returns false when there are none.
func (a *API) sessionEntries(w http.ResponseWriter, r *http.Request) ([]journal.Entry, int, bool) {
	v := r.PathValue("session")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("session %q: want a session number (1 for the first connection)", v))
		return nil, 0, false
	}
	var out []journal.Entry
	a.srv.Journal().Scan(0, func(e *journal.Entry) bool {
		if e.Session == n {
			out = append(out, *e)
		}
		return true
	})
	if len(out) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("session %d is not in the journal (GET /api/sessions lists those that are)", n))
		return nil, 0, false
	}
	return out, n, true
}

// transcript answers a session as a record.Transcript (JSON, the format of
// mockftpd record -transcript), or as text with ?format=text.
func (a *API) transcript(w http.ResponseWriter, r *http.Request) {
	entries, n, ok := a.sessionEntries(w, r)
	if !ok {
		return
	}
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="session-%d.json"`, n))
		writeJSON(w, http.StatusOK, a.toTranscript(entries))
	case "text":
		text := transcriptText(entries, a.srv.Config().TLS == server.TLSImplicit)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		// inline: the page's links open it without JavaScript
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="session-%d.txt"`, n))
		w.Header().Set("Content-Length", strconv.Itoa(len(text)))
		_, _ = w.Write([]byte(text))
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format=%q: want json or text", f))
	}
}

// sessionScenario answers a scenario file that makes mockftpd answer the
// session's commands as it did: the replies in order, made by package
// record from the session's transcript, with the files of the scenario in
// force.
func (a *API) sessionScenario(w http.ResponseWriter, r *http.Request) {
	entries, n, ok := a.sessionEntries(w, r)
	if !ok {
		return
	}
	timing := false
	if v := r.URL.Query().Get("timing"); v != "" {
		var err error
		if timing, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("timing=%q: want true or false", v))
			return
		}
	}
	sc := a.srv.Scenario()
	from := scenarioLabel(sc.Name, sc.Source)
	rec := record.Scenario(a.toTranscript(entries), record.Options{
		Name:       fmt.Sprintf("session %d under %s", n, from),
		KeepTiming: timing,
	})
	rec.Description = fmt.Sprintf("What mockftpd answered in session %d under the scenario %s, %s: every command's replies in order.\n"+
		"Passwords are not kept: PASS rules match the user name, any password.\n", n, from, entries[0].Time.UTC().Format(time.RFC3339))
	if timing {
		rec.Description += "Delays of a second reply or more are kept as rule delays.\n"
	}
	// the files the server held at the start: the scenario's, then what
	// the session showed of others
	have := map[string]bool{}
	var files = rec.Files[:0:0]
	for _, f := range sc.Files {
		if f.From == "" {
			files = append(files, f)
			have[f.Path] = true
		}
	}
	for _, f := range rec.Files {
		if !have[f.Path] {
			files = append(files, f)
		}
	}
	rec.Files = files
	text, err := rec.Format()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "writing the scenario: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="session-%d.yaml"`, n))
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	_, _ = w.Write(text)
}

// scenarioLabel names a scenario for people: its name, its file, or
// "of the command line".
func scenarioLabel(name, source string) string {
	switch {
	case name != "":
		return strconv.Quote(name)
	case source != "" && !strings.HasPrefix(source, "<"):
		return source
	}
	return "of the command line"
}

// upstreamClosed reports whether a reason is the server's ending.
func upstreamClosed(reason string) bool {
	switch reason {
	case journal.ReasonQuit, journal.ReasonClientClosed, "":
		return false
	}
	return true
}

// uploadVerbs move bytes from the client to the server.
var uploadVerbs = map[string]bool{"STOR": true, "APPE": true, "STOU": true}

// toTranscript turns one session's entries into a record.Transcript.
func (a *API) toTranscript(entries []journal.Entry) *record.Transcript {
	first := entries[0]
	s := &record.Session{Number: first.Session, Started: first.Time, Implicit: a.srv.Config().TLS == server.TLSImplicit}
	tls := s.Implicit
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Command == journal.Connect:
			s.Client, s.Started = e.Arg, e.Time
			s.Exchanges = append(s.Exchanges, &record.Exchange{Replies: transcriptReplies(e)})
			continue
		case e.Command == journal.Disconnect:
			s.Ended, s.End, s.UpstreamClosed = e.Time, e.Reason, upstreamClosed(e.Reason)
			continue
		case e.Event():
			continue
		}
		ex := &record.Exchange{Verb: strings.ToUpper(e.Command), Arg: e.Arg, User: e.User, At: e.Time.Sub(s.Started), Replies: transcriptReplies(e), TLS: tls}
		if t := e.Transfer; t != nil {
			xt := &record.Transfer{Mode: t.Mode, TLS: t.TLS, Upload: uploadVerbs[ex.Verb], Size: t.BytesOut, Truncated: true}
			if xt.Upload {
				xt.Size = t.BytesIn
			}
			if t.End != "complete" {
				xt.Err = t.End
			}
			ex.Transfer = xt
		}
		s.Exchanges = append(s.Exchanges, ex)
		if ex.Verb == "AUTH" && e.LastCode() == 234 {
			tls = true
		}
	}
	return &record.Transcript{Upstream: "mockftpd " + a.srv.Addr(), Started: s.Started, Sessions: []*record.Session{s}}
}

// replyGroups splits an entry's reply lines into its replies, one per
// code: a reply ends at the line "CODE text" (a multi-line reply's lines
// before it are "CODE-text" or anything else). Lines a malformed reply
// left over go with the last reply.
func replyGroups(e *journal.Entry) [][]string {
	out := make([][]string, 0, len(e.Codes))
	lines := e.Replies
	for i, code := range e.Codes {
		c := strconv.Itoa(code)
		end := len(lines)
		if i < len(e.Codes)-1 {
			for j, l := range lines {
				if strings.HasPrefix(l, c) && (len(l) == 3 || l[3] == ' ') {
					end = j + 1
					break
				}
			}
		}
		out = append(out, lines[:end])
		lines = lines[end:]
	}
	return out
}

// transcriptReplies are an entry's replies as a transcript has them: the
// final one came when the entry was done, the others are not timed.
func transcriptReplies(e *journal.Entry) []record.Reply {
	groups := replyGroups(e)
	out := make([]record.Reply, len(groups))
	for i, g := range groups {
		out[i] = record.Reply{Code: e.Codes[i], Raw: strings.Join(g, "\r\n") + "\r\n"}
		if e.Codes[i] >= 200 && !e.Done.IsZero() {
			out[i].After = e.Done.Sub(e.Time)
		}
	}
	return out
}

// transcriptText writes a session for people: "> " what the client sent,
// "< " what the server answered, "* " what happened, each with its time
// since the connection.
func transcriptText(entries []journal.Entry, implicitTLS bool) string {
	var b strings.Builder
	book := newSessionBook(implicitTLS)
	for i := range entries {
		book.add(&entries[i])
	}
	s := book.list()[0]
	fmt.Fprintf(&b, "# mockftpd session %d", s.Number)
	if s.Client != "" {
		fmt.Fprintf(&b, " from %s", s.Client)
	}
	if s.User != "" {
		fmt.Fprintf(&b, ", user %s", s.User)
	}
	if s.TLS {
		b.WriteString(", TLS")
	}
	fmt.Fprintf(&b, "\n# started %s", s.Start.UTC().Format(time.RFC3339Nano))
	if !s.Open {
		fmt.Fprintf(&b, ", ended %s (%s)", s.End.UTC().Format(time.RFC3339Nano), s.Reason)
	}
	fmt.Fprintf(&b, "\n# %d commands, %d failed, %d answered by a rule\n", s.Commands, s.Failed, s.Fired)
	at := func(t time.Time) string { return fmt.Sprintf("%+9.3fs", t.Sub(s.Start).Seconds()) }
	for i := range entries {
		e := &entries[i]
		switch e.Command {
		case journal.Connect:
			fmt.Fprintf(&b, "%s * connected from %s\n", at(e.Time), e.Arg)
		case journal.Disconnect:
			fmt.Fprintf(&b, "%s * session ended: %s\n", at(e.Time), e.Reason)
			continue
		default:
			line := e.Command
			if e.Arg != "" {
				line += " " + e.Arg
			}
			if e.ArgLen > len(e.Arg) {
				line += fmt.Sprintf(" [... %d bytes in all]", e.ArgLen)
			}
			fmt.Fprintf(&b, "%s > %s\n", at(e.Time), line)
		}
		if e.Rule != "" {
			fmt.Fprintf(&b, "%11s * rule %q fired (firing %d)\n", "", e.Rule, e.Fire)
		}
		for _, l := range e.Replies {
			fmt.Fprintf(&b, "%11s < %s\n", "", l)
		}
		if t := e.Transfer; t != nil {
			fmt.Fprintf(&b, "%11s * transfer %s%s: %d bytes in, %d bytes out, %s\n", "", t.Mode, map[bool]string{true: " TLS"}[t.TLS], t.BytesIn, t.BytesOut, t.End)
		}
		if !e.Done.IsZero() && e.Done.Sub(e.Time) >= time.Millisecond {
			fmt.Fprintf(&b, "%11s * answered in %s\n", "", e.Done.Sub(e.Time).Round(time.Millisecond))
		}
	}
	return b.String()
}
