package server

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// Entry is one line of the journal: a command a client sent (or, with
// Command "<connect>", a new connection) and what the server did with it.
type Entry struct {
	Session int       `json:"session"`
	Seq     int       `json:"seq"` // position in the journal, from 1 (see Journal)
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

	jgen  uint64 // the journal generation it was added in
	codes [2]int // room for the first Codes
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
// concurrent use; readers get copies. A reply is in the journal before the
// client can read it, so a test may look as soon as its client has an
// answer. A command joins the journal with its first reply, or as soon as
// the server waits on it (a transfer, a delay); its Time is when it
// arrived. Entries that are done are kept sealed (see journal_seal.go).
type Journal struct {
	mu       sync.Mutex
	slots    []slot // a ring once it holds limit entries; head is the oldest
	head     int
	seq      int           // the last Seq given
	gen      uint64        // counts Resets, so that an old *Entry is not taken for a new one
	changed  chan struct{} // closed at the next change; made only when someone waits
	limit    int
	lag      int // sealLag; tests lower it
	every    int // sealEvery; tests lower it
	arena    arena
	checked  int          // entries up to this seq were looked at for sealing
	due      atomic.Int64 // entries past the lag not looked at yet (about)
	unsealed []int        // seqs of entries past the lag that were not done yet
	adds     int
	scratch  []byte
}

// slot is one entry: open (e) or sealed (ref).
type slot struct {
	e   *Entry
	ref sealedRef
}

func newJournal(limit int) *Journal {
	return &Journal{limit: limit, lag: sealLag, every: sealEvery}
}

func (j *Journal) add(e *Entry) {
	j.mu.Lock()
	j.addLocked(e)
	j.notifyLocked()
	j.mu.Unlock()
}

// addReplied adds e with its first reply, r, in one step.
func (j *Journal) addReplied(e *Entry, r reply) {
	lines := replyLines(r)
	j.mu.Lock()
	j.addLocked(e)
	j.repliedLocked(e, r, lines)
	j.mu.Unlock()
}

func (j *Journal) addLocked(e *Entry) {
	j.seq++
	e.Seq = j.seq
	e.jgen = j.gen
	if j.limit > 0 && len(j.slots) >= j.limit {
		// keep the newest entries: the journal of a long run is bounded,
		// and the oldest entry's slot takes the new one
		old := &j.slots[j.head]
		if old.e == nil {
			j.arena.drop(old.ref)
		}
		*old = slot{e: e, ref: sealedRef{chunk: -1}}
		j.head = (j.head + 1) % len(j.slots)
	} else {
		j.slots = append(j.slots, slot{e: e, ref: sealedRef{chunk: -1}})
	}
	// Sealing is left to sealIfDue, which a session calls once a reply is
	// sent: the work is then off the command's round trip. Many entries
	// without a reply are sealed here.
	due := j.seq - j.lag - j.checked
	if due >= j.lag {
		j.sealOld()
		due = 0
	}
	j.due.Store(int64(due))
}

// sealBatch is how many entries wait for sealing before sealIfDue seals
// them: one lock for several.
const sealBatch = 16

// sealIfDue seals the entries that got far enough behind, if there are
// enough of them.
func (j *Journal) sealIfDue() {
	if j.due.Load() < sealBatch {
		return
	}
	j.mu.Lock()
	j.sealOld()
	j.due.Store(0)
	j.mu.Unlock()
}

// sealOld seals the entries that got lag places back since the last call
// if they are done, and now and then the ones that were not done when
// they got there (lock held).
func (j *Journal) sealOld() {
	last := j.seq - j.lag
	j.checked = max(j.checked, last-len(j.slots)) // the older ones are gone
	for j.checked < last {
		j.checked++
		sl := j.slotOf(j.checked)
		switch {
		case sl == nil || sl.e == nil: // gone, or sealed
		case !sl.e.Done.IsZero():
			j.seal(sl)
		default:
			j.unsealed = append(j.unsealed, j.checked)
		}
	}
	if j.adds++; j.adds%j.every != 0 || len(j.unsealed) == 0 {
		return
	}
	keep := j.unsealed[:0]
	for _, seq := range j.unsealed {
		sl := j.slotOf(seq)
		switch {
		case sl == nil || sl.e == nil: // gone, or sealed
		case !sl.e.Done.IsZero():
			j.seal(sl)
		default:
			keep = append(keep, seq)
		}
	}
	j.unsealed = keep
}

func (j *Journal) seal(sl *slot) {
	j.scratch = encodeEntry(j.scratch[:0], sl.e)
	sl.ref = j.arena.put(j.scratch)
	sl.e = nil
}

// slotAt is the i-th slot, oldest first (lock held).
func (j *Journal) slotAt(i int) *slot {
	return &j.slots[(j.head+i)%len(j.slots)]
}

// slotOf is the slot of the entry with sequence number seq, if it is
// still in the journal (lock held).
func (j *Journal) slotOf(seq int) *slot {
	i := seq - (j.seq - len(j.slots) + 1)
	if i < 0 || i >= len(j.slots) {
		return nil
	}
	return j.slotAt(i)
}

// entryAt is a copy of the i-th entry, oldest first (lock held).
func (j *Journal) entryAt(i int) Entry {
	sl := j.slotAt(i)
	if sl.e != nil {
		return sl.e.clone()
	}
	e, err := decodeEntry(j.arena.get(sl.ref))
	if err != nil {
		// cannot happen (a test checks every field round-trips); say so
		// rather than fail the reader
		return Entry{Seq: j.seq - len(j.slots) + 1 + i, Command: "<unreadable>"}
	}
	return e
}

// changedLocked re-encodes e if it was sealed: the session changed it after
// it was done (lock held).
func (j *Journal) changedLocked(e *Entry) {
	if e.jgen != j.gen {
		return
	}
	if sl := j.slotOf(e.Seq); sl != nil && sl.e == nil {
		j.arena.drop(sl.ref)
		j.scratch = encodeEntry(j.scratch[:0], e)
		sl.ref = j.arena.put(j.scratch)
	}
}

// update runs fn, which changes e, under the journal's lock and wakes
// waiters.
func (j *Journal) update(e *Entry, fn func()) {
	j.mu.Lock()
	fn()
	j.changedLocked(e)
	j.notifyLocked()
	j.mu.Unlock()
}

// replied records a reply sent for e.
func (j *Journal) replied(e *Entry, r reply) {
	lines := replyLines(r)
	j.mu.Lock()
	j.repliedLocked(e, r, lines)
	j.mu.Unlock()
}

// replyLines are the lines of r as journalled.
func replyLines(r reply) []string {
	if r.raw != nil {
		return strings.Split(strings.TrimRight(string(r.raw), "\r\n"), "\n")
	}
	return r.lines
}

func (j *Journal) repliedLocked(e *Entry, r reply, lines []string) {
	if e.Replies == nil {
		e.Replies = slices.Clip(lines) // a reply's lines are never changed once made
	} else {
		e.Replies = append(e.Replies, lines...)
	}
	if e.Codes == nil {
		e.codes[0] = r.code
		e.Codes = e.codes[:1:len(e.codes)] // no allocation for the usual one or two
	} else {
		e.Codes = append(e.Codes, r.code)
	}
	if !r.preliminary() {
		e.Done = time.Now()
	}
	j.changedLocked(e)
	j.notifyLocked()
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
	out := make([]Entry, len(j.slots))
	for i := range out {
		out[i] = j.entryAt(i)
	}
	return out
}

func (e *Entry) clone() Entry {
	c := *e
	c.codes = [2]int{} // a copy's Codes are its own; equal copies compare equal
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
	j.slots, j.head, j.seq, j.checked = nil, 0, 0, 0
	j.arena, j.unsealed = arena{}, nil
	j.gen++
	j.notifyLocked()
	j.mu.Unlock()
}

// Wait blocks until some entry satisfies match (checked at once and after
// every change), the context ends, or timeout passes; it returns the entry.
func (j *Journal) Wait(ctx context.Context, match func(Entry) bool) (Entry, error) {
	for {
		j.mu.Lock()
		for i := range j.slots {
			if c := j.entryAt(i); match(c) {
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
