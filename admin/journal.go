package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/journal"
)

// journalFilter selects journal entries from query parameters.
type journalFilter struct {
	session   int       // 0: any
	command   []string  // upper-case verbs; empty: any
	since     bool      // since= was given: limit pages forward from it
	sinceSeq  int       // entries with a greater Seq
	sinceTime time.Time // entries at or after this time
	unmatched bool      // only entries no rule fired for
	limit     int       // 0: all; with since, the first limit entries after it; else the newest limit
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
		f.since = true
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

func (f *journalFilter) keep(e *journal.Entry) bool {
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
	if !f.sinceTime.IsZero() && e.Time.Before(f.sinceTime) {
		return false
	}
	if f.unmatched && e.Rule != "" {
		return false
	}
	return true
}

// journal streams the entries that pass the filter as
// {"entries": [...], "last_seq": N, "next": SEQ, "dropped": N}: one entry
// at a time, from a snapshot read without holding the journal's lock, so
// that neither the answer's size nor a slow reader weighs on the server.
// With since= and limit=, "next" is the since= of the following page, when
// there is one.
func (a *API) journal(w http.ResponseWriter, r *http.Request) {
	f, err := parseJournalFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	j := a.srv.Journal()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	out := newEntryWriter(w)
	next := 0
	var last int
	if f.limit > 0 && !f.since {
		// the newest limit entries: keep the last ones seen
		ring := make([]*journal.Entry, 0, f.limit)
		start := 0
		last = j.Scan(0, func(e *journal.Entry) bool {
			if f.keep(e) {
				if len(ring) < f.limit {
					ring = append(ring, e)
				} else {
					ring[start] = e
					start = (start + 1) % f.limit
				}
			}
			return true
		})
		for i := range ring {
			out.entry(ring[(start+i)%len(ring)])
		}
	} else {
		n := 0
		last = j.Scan(f.sinceSeq, func(e *journal.Entry) bool {
			if !f.keep(e) {
				return true
			}
			if f.limit > 0 && n == f.limit {
				next = out.lastSeq // there is more: the next page starts after this one
				return false
			}
			n++
			out.entry(e)
			return true
		})
	}
	out.finish(last, next, j.Stats().Dropped)
}

// entryWriter writes the journal answer's JSON as it goes.
type entryWriter struct {
	w       *bufio.Writer
	flush   http.Flusher
	buf     bytes.Buffer
	enc     *json.Encoder
	n       int
	lastSeq int
}

func newEntryWriter(w http.ResponseWriter) *entryWriter {
	ew := &entryWriter{w: bufio.NewWriterSize(w, 32<<10)}
	ew.flush, _ = w.(http.Flusher)
	ew.enc = json.NewEncoder(&ew.buf)
	ew.enc.SetEscapeHTML(false) // "<connect>", not "\u003cconnect\u003e"
	ew.enc.SetIndent("    ", "  ")
	_, _ = ew.w.WriteString("{\n  \"entries\": [")
	return ew
}

func (ew *entryWriter) entry(e *journal.Entry) {
	ew.buf.Reset()
	if err := ew.enc.Encode(e); err != nil {
		return
	}
	if ew.n > 0 {
		_ = ew.w.WriteByte(',')
	}
	_, _ = ew.w.WriteString("\n    ")
	_, _ = ew.w.Write(bytes.TrimRight(ew.buf.Bytes(), "\n"))
	ew.n++
	ew.lastSeq = e.Seq
	if ew.w.Buffered() > 16<<10 && ew.flush != nil {
		_ = ew.w.Flush()
		ew.flush.Flush()
	}
}

func (ew *entryWriter) finish(last, next int, dropped int64) {
	if ew.n > 0 {
		_, _ = ew.w.WriteString("\n  ")
	}
	fmt.Fprintf(ew.w, "],\n  \"last_seq\": %d,\n", last)
	if next > 0 {
		fmt.Fprintf(ew.w, "  \"next\": %d,\n", next)
	}
	fmt.Fprintf(ew.w, "  \"dropped\": %d\n}\n", dropped)
	_ = ew.w.Flush()
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
		Name     string          `json:"name,omitempty"`
		Met      bool            `json:"met"`
		Count    int             `json:"count"`
		Message  string          `json:"message"`
		Evidence []journal.Entry `json:"evidence,omitempty"`
	}
	nearMiss struct {
		Command journal.Entry `json:"command"`
		Rule    string        `json:"rule"`
		Why     string        `json:"why"`
	}
)

// verify answers the expectations report: 200 when every expectation is
// met, 409 Conflict when one is not.
func (a *API) verify(w http.ResponseWriter, r *http.Request) {
	rep := a.srv.Verify()
	body := verifyBody{OK: rep.OK, Expectations: []expectationResult{}, Unmatched: []nearMiss{}, Text: rep.String()}
	unmet := 0
	for _, e := range rep.Expectations {
		body.Expectations = append(body.Expectations, expectationResult{Name: e.Expectation.Name, Met: e.Met, Count: e.Count, Message: e.Message, Evidence: e.Evidence})
		if !e.Met {
			unmet++
		}
	}
	for _, n := range rep.Unmatched {
		body.Unmatched = append(body.Unmatched, nearMiss{Command: n.Entry, Rule: n.Rule, Why: n.Why})
	}
	code := http.StatusOK
	if !rep.OK {
		code = http.StatusConflict
		body.Error = fmt.Sprintf("%d of %d expectations unmet", unmet, len(rep.Expectations))
	}
	writeJSON(w, code, body)
}
