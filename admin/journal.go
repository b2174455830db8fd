package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// journalFilter selects journal entries from query parameters.
type journalFilter struct {
	session   int       // 0: any
	command   []string  // upper-case verbs; empty: any
	sinceSeq  int       // entries with a greater Seq
	sinceTime time.Time // entries at or after this time
	unmatched bool      // only entries no rule fired for
	limit     int       // the newest limit entries; 0: all
}

func parseJournalFilter(r *http.Request) (journalFilter, error) {
	q := r.URL.Query()
	var f journalFilter
	if v := q.Get("session"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, fmt.Errorf("session=%q: want a session number (1 for the first connection)", v)
		}
		f.session = n
	}
	for _, v := range q["command"] {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				f.command = append(f.command, strings.ToUpper(c))
			}
		}
	}
	if v := q.Get("since"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			f.sinceSeq = n
		} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			f.sinceTime = t
		} else {
			return f, fmt.Errorf("since=%q: want a journal seq number (entries after it) or an RFC 3339 time such as 2024-05-01T12:00:00Z (entries at or after it)", v)
		}
	}
	if v := q.Get("unmatched"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, fmt.Errorf("unmatched=%q: want true or false", v)
		}
		f.unmatched = b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("limit=%q: want a number of entries (0 for all)", v)
		}
		f.limit = n
	}
	return f, nil
}

func (f *journalFilter) keep(e *server.Entry) bool {
	if f.session > 0 && e.Session != f.session {
		return false
	}
	if len(f.command) > 0 {
		ok := false
		for _, c := range f.command {
			if strings.EqualFold(c, e.Command) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if e.Seq <= f.sinceSeq {
		return false
	}
	if !f.sinceTime.IsZero() && e.Time.Before(f.sinceTime) {
		return false
	}
	if f.unmatched && e.Rule != "" {
		return false
	}
	return true
}

type journalBody struct {
	Entries []server.Entry `json:"entries"`
	// LastSeq is the seq of the newest entry in the journal (0 when it is
	// empty): pass it as since= to get only what comes next.
	LastSeq int `json:"last_seq"`
}

func (a *API) journal(w http.ResponseWriter, r *http.Request) {
	f, err := parseJournalFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	all := a.srv.Journal().Entries()
	body := journalBody{Entries: []server.Entry{}}
	if n := len(all); n > 0 {
		body.LastSeq = all[n-1].Seq
	}
	for i := range all {
		if f.keep(&all[i]) {
			body.Entries = append(body.Entries, all[i])
		}
	}
	if f.limit > 0 && len(body.Entries) > f.limit {
		body.Entries = body.Entries[len(body.Entries)-f.limit:]
	}
	writeJSON(w, http.StatusOK, body)
}

// The verify report's JSON shape.
type (
	verifyBody struct {
		// Error is set when an expectation is unmet (status 409).
		Error        string              `json:"error,omitempty"`
		OK           bool                `json:"ok"`
		Expectations []expectationResult `json:"expectations"`
		Unmatched    []nearMiss          `json:"unmatched"`
		// Text is the report as mockftpd prints it for a person.
		Text string `json:"text"`
	}
	expectationResult struct {
		Name     string        `json:"name,omitempty"`
		Met      bool          `json:"met"`
		Count    int           `json:"count"`
		Message  string        `json:"message"`
		Evidence []recordEntry `json:"evidence,omitempty"`
	}
	nearMiss struct {
		Command recordEntry `json:"command"`
		Rule    string      `json:"rule"`
		Why     string      `json:"why"`
	}
	recordEntry struct {
		Session int       `json:"session"`
		Seq     int       `json:"seq"`
		Time    time.Time `json:"time"`
		User    string    `json:"user,omitempty"`
		Command string    `json:"command"`
		Arg     string    `json:"arg,omitempty"`
		Codes   []int     `json:"codes,omitempty"`
		Rule    string    `json:"rule,omitempty"`
	}
)

func toRecordEntry(r scenario.Record) recordEntry {
	return recordEntry{Session: r.Session, Seq: r.Seq, Time: r.Time, User: r.User, Command: r.Verb, Arg: r.Arg, Codes: r.Codes, Rule: r.Rule}
}

// verify answers the expectations report: 200 when every expectation is
// met, 409 Conflict when one is not.
func (a *API) verify(w http.ResponseWriter, r *http.Request) {
	rep := a.srv.Verify()
	body := verifyBody{OK: rep.OK, Expectations: []expectationResult{}, Unmatched: []nearMiss{}, Text: rep.String()}
	unmet := 0
	for _, e := range rep.Expectations {
		res := expectationResult{Name: e.Expectation.Name, Met: e.Met, Count: e.Count, Message: e.Message}
		for _, ev := range e.Evidence {
			res.Evidence = append(res.Evidence, toRecordEntry(ev))
		}
		if !e.Met {
			unmet++
		}
		body.Expectations = append(body.Expectations, res)
	}
	for _, n := range rep.Unmatched {
		body.Unmatched = append(body.Unmatched, nearMiss{Command: toRecordEntry(n.Record), Rule: n.Rule, Why: n.Why})
	}
	code := http.StatusOK
	if !rep.OK {
		code = http.StatusConflict
		body.Error = fmt.Sprintf("%d of %d expectations unmet", unmet, len(rep.Expectations))
	}
	writeJSON(w, code, body)
}
