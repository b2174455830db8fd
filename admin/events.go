package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// GET /api/events is the live page's feed: one JSON object a line
// (application/x-ndjson), read with fetch, which can send the token
// (EventSource cannot). A stream ends after streamMaxAge, when the API's
// streams are ended (EndStreams) or when the client goes; the page then
// asks again with the last cursor it got, and misses nothing.
const (
	streamMaxAge = 5 * time.Minute
	// streamPoll is how often the stream looks for changes the journal
	// does not show (a state set, rules added) when nothing happens.
	streamPoll = time.Second
	streamPing = 15 * time.Second
	// streamWriteTimeout bounds each write: the command's WriteTimeout
	// (60 s from the request) would cut every stream, so the stream moves
	// its own deadline, and a page that stops reading is dropped.
	streamWriteTimeout = 30 * time.Second
	// verifyEvery is how often at most expectations are checked again
	// while commands keep coming (Verify reads the whole journal).
	verifyEvery = 500 * time.Millisecond
	// defaultStreamEntries is how many of the newest entries a stream
	// sends when it starts (the sessions' summaries cover them all).
	defaultStreamEntries = 5000
	// streamRules is the most rules a stream's status lists.
	streamRules = 2000
	// streamEvidence is the most entries an expectation's result names.
	streamEvidence = 50
	// streamNearMisses is the most near misses a status lists.
	streamNearMisses = 200
)

// event is one line of the stream. Type says which fields are set:
//
//	reset     the whole journal follows: drop what you have (Total entries
//	          in it, the newest Limit of them sent)
//	entry     an entry, new or a new version of one (same seq)
//	sessions  the summaries of the sessions that changed
//	status    the scenario, its state, rules, expectations and near misses
//	cursor    where to resume (?cursor=) if the stream ends
//	ping      nothing happened for a while
//	bye       the stream ends (Reason); ask again with the cursor
type event struct {
	Type     string           `json:"type"`
	Entry    *journal.Entry   `json:"entry,omitempty"`
	Sessions []sessionSummary `json:"sessions,omitempty"`
	Status   *liveStatus      `json:"status,omitempty"`
	Cursor   string           `json:"cursor,omitempty"`
	Total    int              `json:"total,omitempty"`
	Limit    int              `json:"limit,omitempty"`
	Reason   string           `json:"reason,omitempty"`
}

// liveStatus is the scenario's side of the page.
type liveStatus struct {
	rulesStatus
	Server       serverInfo       `json:"server"`
	OK           bool             `json:"ok"` // every expectation is met
	Expectations []liveExpect     `json:"expectations"`
	Unmatched    []liveNearMiss   `json:"unmatched"`
	Journal      journalFootprint `json:"journal"`
}

type serverInfo struct {
	Addr string `json:"addr"` // the FTP address
	TLS  string `json:"tls"`  // none, explicit or implicit
}

type journalFootprint struct {
	Entries int   `json:"entries"`
	Dropped int64 `json:"dropped"`
}

type liveExpect struct {
	Name     string `json:"name,omitempty"`
	Met      bool   `json:"met"`
	Count    int    `json:"count"`
	Message  string `json:"message"`
	Evidence []int  `json:"evidence,omitempty"` // the seqs of the entries it counted (the first few)
}

type liveNearMiss struct {
	Seq     int    `json:"seq"`
	Session int    `json:"session"`
	Command string `json:"command"`
	Arg     string `json:"arg,omitempty"`
	Rule    string `json:"rule"`
	Why     string `json:"why"`
}

// verifyStatus is the expectations part of liveStatus.
func verifyStatus(rep scenario.Report) (ok bool, exp []liveExpect, near []liveNearMiss) {
	exp = make([]liveExpect, 0, len(rep.Expectations))
	for _, e := range rep.Expectations {
		le := liveExpect{Name: e.Expectation.Name, Met: e.Met, Count: e.Count, Message: e.Message}
		for _, ev := range e.Evidence[:min(len(e.Evidence), streamEvidence)] {
			le.Evidence = append(le.Evidence, ev.Seq)
		}
		exp = append(exp, le)
	}
	near = make([]liveNearMiss, 0, min(len(rep.Unmatched), streamNearMisses))
	for _, n := range rep.Unmatched[:min(len(rep.Unmatched), streamNearMisses)] {
		near = append(near, liveNearMiss{Seq: n.Entry.Seq, Session: n.Entry.Session, Command: n.Entry.Command, Arg: n.Entry.Arg, Rule: n.Rule, Why: n.Why})
	}
	return rep.OK, exp, near
}

// streamWriter writes a stream's events, each batch under a fresh write
// deadline.
type streamWriter struct {
	rc  *http.ResponseController
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	sw := &streamWriter{rc: http.NewResponseController(w), w: bufio.NewWriterSize(w, 32<<10)}
	sw.enc = json.NewEncoder(&sw.buf)
	sw.enc.SetEscapeHTML(false)
	return sw
}

func (sw *streamWriter) send(ev event) {
	if sw.err != nil {
		return
	}
	sw.buf.Reset()
	if err := sw.enc.Encode(ev); err != nil {
		return
	}
	if sw.w.Buffered() == 0 {
		_ = sw.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	}
	_, sw.err = sw.w.Write(sw.buf.Bytes())
}

// flush sends what is buffered; false when the page is gone.
func (sw *streamWriter) flush() bool {
	if sw.err == nil && sw.w.Buffered() > 0 {
		_ = sw.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if sw.err = sw.w.Flush(); sw.err == nil {
			sw.err = sw.rc.Flush()
		}
	}
	return sw.err == nil
}

// EndStreams ends the live streams of GET /api/events at once, and any
// started later as soon as they start: call it when the HTTP server shuts
// down (http.Server.RegisterOnShutdown), whose Shutdown would otherwise
// wait for them.
func (a *API) EndStreams() { a.endStreams() }

// events streams the journal's changes, the sessions' summaries and the
// scenario's status (see event).
func (a *API) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cur, err := journal.ParseCursor(q.Get("cursor"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit := defaultStreamEntries
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit=%q: want how many of the newest entries to send first (0 for all)", v))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), streamMaxAge)
	defer cancel()
	defer context.AfterFunc(a.streams, cancel)()
	rc := http.NewResponseController(w)
	// the request is read: no read deadline, so that a client that goes
	// is seen at once and the server's read timeout does not end the stream
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)

	sw := newStreamWriter(w)
	j := a.srv.Journal()
	cfg := a.srv.Config()
	implicit := cfg.TLS == server.TLSImplicit
	var book *sessionBook
	if cur != (journal.Cursor{}) {
		// resuming: the summaries are rebuilt from the journal, and the
		// changes after the cursor come as usual
		book, _ = a.summarize()
	}
	var (
		lastStatus   []byte
		lastSc       *scenario.Scenario
		verified     time.Time
		verifyDirty  = true
		ok           bool
		expects      []liveExpect
		nearMisses   []liveNearMiss
		lastWrite    = time.Now()
		sentCursor   string
		touched      = map[int]bool{}
		serverFields = serverInfo{Addr: a.srv.Addr(), TLS: string(cfg.TLS)}
	)
	if serverFields.TLS == "" {
		serverFields.TLS = "none"
	}
	for {
		poll := streamPoll
		if verifyDirty {
			poll = max(10*time.Millisecond, min(poll, verifyEvery-time.Since(verified)))
		}
		wait, stop := context.WithTimeout(ctx, poll)
		entries, next, full, err := j.Changes(wait, cur)
		stop()
		if ctx.Err() != nil {
			reason := "the stream's time is up: ask again with the last cursor"
			if a.streams.Err() != nil {
				reason = "the admin API is shutting down"
			}
			sw.send(event{Type: "bye", Reason: reason})
			sw.flush()
			return
		}
		if err == nil {
			cur = next
			verifyDirty = true
			if full || book == nil {
				book = newSessionBook(implicit)
				for _, e := range entries {
					book.add(e)
				}
				sent := entries
				if limit > 0 && len(sent) > limit {
					sent = sent[len(sent)-limit:]
				}
				sw.send(event{Type: "reset", Total: len(entries), Limit: limit})
				for _, e := range sent {
					sw.send(event{Type: "entry", Entry: e})
				}
				sw.send(event{Type: "sessions", Sessions: book.list()})
			} else {
				clear(touched)
				for _, e := range entries {
					touched[book.add(e).Number] = true
					sw.send(event{Type: "entry", Entry: e})
				}
				list := make([]sessionSummary, 0, len(touched))
				for _, s := range book.list() {
					if touched[s.Number] {
						list = append(list, s)
					}
				}
				sw.send(event{Type: "sessions", Sessions: list})
			}
		}
		st := a.srv.ScenarioStatus()
		if st.Scenario != lastSc {
			lastSc, verifyDirty = st.Scenario, true
		}
		if verifyDirty && time.Since(verified) >= verifyEvery {
			ok, expects, nearMisses = verifyStatus(a.srv.Verify())
			verified, verifyDirty = time.Now(), false
		}
		status := liveStatus{rulesStatus: a.rulesStatus(st, streamRules), Server: serverFields, OK: ok, Expectations: expects, Unmatched: nearMisses}
		js := j.Stats()
		status.Journal = journalFootprint{Entries: js.Entries, Dropped: js.Dropped}
		if b, err := json.Marshal(status); err == nil && !bytes.Equal(b, lastStatus) {
			lastStatus = b
			sw.send(event{Type: "status", Status: &status})
		}
		if c := cur.String(); c != sentCursor {
			sentCursor = c
			sw.send(event{Type: "cursor", Cursor: c})
		}
		if sw.w.Buffered() == 0 && time.Since(lastWrite) >= streamPing {
			sw.send(event{Type: "ping"})
		}
		if sw.w.Buffered() > 0 {
			lastWrite = time.Now()
		}
		if !sw.flush() {
			return
		}
	}
}
