package server

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// Entry is one line of the journal: a command a client sent (or, with
// Command "<connect>", a new connection) and what the server did with it.
type Entry struct {
	Session int       `json:"session"`
	Seq     int       `json:"seq"` // position in the journal, from 1
	Time    time.Time `json:"time"`
	User    string    `json:"user,omitempty"`
	Command string    `json:"command"`
	Arg     string    `json:"arg,omitempty"`
	// Replies holds the reply lines actually sent for the command, in order.
	Replies []string `json:"replies,omitempty"`
	// Codes holds the codes of those replies.
	Codes []int `json:"codes,omitempty"`
	// Rule is the label of the scenario rule that fired, empty when none did.
	Rule string `json:"rule,omitempty"`
	// Transfer describes the data connection of a transfer command.
	Transfer *TransferInfo `json:"transfer,omitempty"`
	// Done is when the final reply was sent (zero while pending).
	Done time.Time `json:"done,omitzero"`
}

// TransferInfo is what the journal knows of one data transfer.
type TransferInfo struct {
	Mode     string `json:"mode"` // PASV, EPSV, PORT or EPRT
	TLS      bool   `json:"tls"`
	BytesIn  int64  `json:"bytes_in"`  // client to server
	BytesOut int64  `json:"bytes_out"` // server to client
	// End says how it ended: complete, cut, reset, stalled, refused, aborted, failed or none.
	End string `json:"end"`
}

// Journal records every session's commands and replies. It is safe for
// concurrent use; readers get copies.
type Journal struct {
	mu      sync.Mutex
	entries []*Entry // a ring once it holds limit entries; head is the oldest
	head    int
	seq     int           // the last Seq given
	changed chan struct{} // closed at the next change; made only when someone waits
	limit   int
}

func newJournal(limit int) *Journal {
	return &Journal{limit: limit}
}

func (j *Journal) add(e *Entry) {
	j.mu.Lock()
	j.seq++
	e.Seq = j.seq
	if j.limit > 0 && len(j.entries) >= j.limit {
		// keep the newest entries: the journal of a long run is bounded,
		// and the oldest entry's slot takes the new one
		j.entries[j.head] = e
		j.head = (j.head + 1) % len(j.entries)
	} else {
		j.entries = append(j.entries, e)
	}
	j.notifyLocked()
	j.mu.Unlock()
}

// at is the i-th entry, oldest first (lock held).
func (j *Journal) at(i int) *Entry {
	return j.entries[(j.head+i)%len(j.entries)]
}

// update runs fn on an entry under the journal's lock and wakes waiters.
func (j *Journal) update(fn func()) {
	j.mu.Lock()
	fn()
	j.notifyLocked()
	j.mu.Unlock()
}

// replied records a reply sent for e.
func (j *Journal) replied(e *Entry, r reply) {
	lines := r.lines
	if r.raw != nil {
		lines = strings.Split(strings.TrimRight(string(r.raw), "\r\n"), "\n")
	}
	j.mu.Lock()
	if e.Replies == nil {
		e.Replies = slices.Clip(lines) // a reply's lines are never changed once made
	} else {
		e.Replies = append(e.Replies, lines...)
	}
	e.Codes = append(e.Codes, r.code)
	if !r.preliminary() {
		e.Done = time.Now()
	}
	j.notifyLocked()
	j.mu.Unlock()
}

// notifyLocked wakes the waiters, if any: a change nobody waits for costs
// no channel.
func (j *Journal) notifyLocked() {
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
}

// Entries returns a copy of every entry, oldest first.
func (j *Journal) Entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, len(j.entries))
	for i := range out {
		out[i] = j.at(i).clone()
	}
	return out
}

func (e *Entry) clone() Entry {
	c := *e
	c.Replies = slices.Clone(e.Replies)
	c.Codes = slices.Clone(e.Codes)
	if e.Transfer != nil {
		t := *e.Transfer
		c.Transfer = &t
	}
	return c
}

// Reset empties the journal.
func (j *Journal) Reset() {
	j.mu.Lock()
	j.entries, j.head, j.seq = nil, 0, 0
	j.notifyLocked()
	j.mu.Unlock()
}

// Wait blocks until some entry satisfies match (checked at once and after
// every change), the context ends, or timeout passes; it returns the entry.
func (j *Journal) Wait(ctx context.Context, match func(Entry) bool) (Entry, error) {
	for {
		j.mu.Lock()
		for i := range j.entries {
			if c := j.at(i).clone(); match(c) {
				j.mu.Unlock()
				return c, nil
			}
		}
		if j.changed == nil {
			j.changed = make(chan struct{})
		}
		ch := j.changed
		j.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
}

// Records converts the journal for scenario.Verify.
func (j *Journal) Records() []scenario.Record {
	entries := j.Entries()
	out := make([]scenario.Record, 0, len(entries))
	for _, e := range entries {
		if strings.HasPrefix(e.Command, "<") {
			continue
		}
		out = append(out, scenario.Record{
			Session: e.Session, Seq: e.Seq, Time: e.Time,
			Verb: e.Command, Arg: e.Arg, User: e.User,
			Codes: e.Codes, Rule: e.Rule,
		})
	}
	return out
}
