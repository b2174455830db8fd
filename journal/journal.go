// Package journal records what a mock FTP server did: every session's
// connection, commands, replies, fired rules, data transfers and end.
//
// A Journal is a ring of entries bounded in count and in bytes: when either
// bound is passed, the oldest entries go (and are counted as dropped). An
// entry, once in the journal, is never changed in place: an update stores a
// new version, so readers take a snapshot of pointers under a short lock and
// read the entries without it. The server, the admin API and verification
// all read the same Entry type.
package journal

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Commands of entries that are events rather than client commands.
const (
	// Connect is a new control connection (before the greeting); its Arg
	// is the client's address ("127.0.0.1:50312").
	Connect = "<connect>"
	// Disconnect is the end of a session; Entry.Reason says why.
	Disconnect = "<disconnect>"
)

// Reasons a session ended (Entry.Reason of a Disconnect entry).
const (
	ReasonQuit         = "quit"           // the client sent QUIT
	ReasonClientClosed = "client closed"  // the client closed the connection
	ReasonRuleClose    = "closed by rule" // a rule's then: close
	ReasonRuleReset    = "reset by rule"  // a rule's then: reset
	ReasonIdle         = "idle timeout"   // no command for the idle timeout
	ReasonShutdown     = "shutdown"       // the server shut down
	ReasonServerClosed = "server closed"  // the FTP server ended it (e.g. after a failed login)
	ReasonTLSFailed    = "tls failed"     // the TLS handshake failed
	ReasonServerError  = "server error"   // the server could not go on (e.g. its TLS certificate is unusable)
	ReasonHTTP         = "http request"   // an HTTP request reached the FTP port (a web page)
)

// Entry is one line of the journal: a command a client sent, or an event
// (Connect, Disconnect), and what the server did with it.
type Entry struct {
	Session int       `json:"session"`
	Seq     int       `json:"seq"` // position in the journal, from 1 (again after a Reset)
	Time    time.Time `json:"time"`
	// User is the session's user when the command arrived: the name given
	// with USER, which a later USER does not change once logged in.
	User    string `json:"user,omitempty"`
	Command string `json:"command"`
	// Arg is the command's argument as sent, cut to the journal's MaxArg
	// bytes; ArgLen is then its length as sent.
	Arg    string `json:"arg,omitempty"`
	ArgLen int    `json:"arg_len,omitempty"`
	// Path is the absolute, clean path the command acts on, resolved
	// against the session's working directory (what a rule's "path"
	// matches); empty for a command that acts on none. It is cut like Arg.
	Path string `json:"path,omitempty"`
	// Replies holds the reply lines actually sent, in order.
	Replies []string `json:"replies,omitempty"`
	// Codes holds the codes of those replies.
	Codes []int `json:"codes,omitempty"`
	// Rule is the label of the scenario rule that fired, empty when none did.
	Rule string `json:"rule,omitempty"`
	// Fire counts the rule's firings, this one included (1 for the
	// first): with the rule's responses, it tells which one was used.
	Fire int `json:"fire,omitempty"`
	// Transfer describes the data connection of a transfer command.
	Transfer *Transfer `json:"transfer,omitempty"`
	// Reason says why a session ended (Disconnect entries).
	Reason string `json:"reason,omitempty"`
	// NearMiss is set on a command a strict scenario answered with 502
	// because no rule fired for it: the nearest rule, and why it did not fire.
	NearMiss *NearMiss `json:"near_miss,omitempty"`
	// Done is when the final reply was sent (zero while one is owed).
	Done time.Time `json:"done,omitzero"`
}

// Transfer is what the journal knows of one data transfer.
type Transfer struct {
	Mode     string `json:"mode"` // PASV, EPSV, PORT or EPRT
	TLS      bool   `json:"tls"`
	BytesIn  int64  `json:"bytes_in"`  // client to server
	BytesOut int64  `json:"bytes_out"` // server to client
	// End says how it ended: complete, cut, reset, stalled, refused,
	// aborted, failed, none (no data connection) or shutdown.
	End string `json:"end"`
}

// NearMiss says why no rule fired for a command: the rule that came
// closest (empty when no rule names the command) and why it did not fire.
type NearMiss struct {
	Rule string `json:"rule,omitempty"`
	Why  string `json:"why"`
}

// Event reports whether the entry is an event (a connection or a session's
// end) rather than a client command.
func (e *Entry) Event() bool { return strings.HasPrefix(e.Command, "<") }

// LastCode is the code of the last reply sent for e (0 for none).
func (e *Entry) LastCode() int {
	if len(e.Codes) == 0 {
		return 0
	}
	return e.Codes[len(e.Codes)-1]
}

// clone is a copy of e that shares nothing a caller could change.
func (e *Entry) clone() Entry {
	c := *e
	c.Replies = slices.Clone(e.Replies)
	c.Codes = slices.Clone(e.Codes)
	if e.Transfer != nil {
		t := *e.Transfer
		c.Transfer = &t
	}
	if e.NearMiss != nil {
		m := *e.NearMiss
		c.NearMiss = &m
	}
	return c
}

// Defaults of Options.
const (
	DefaultMaxEntries = 100_000
	DefaultMaxBytes   = 64 << 20 // 64 MiB
	DefaultMaxArg     = 1024
)

// Options bound a journal.
type Options struct {
	// MaxEntries is the most entries kept (default DefaultMaxEntries).
	MaxEntries int
	// MaxBytes is about the most memory the entries take (default
	// DefaultMaxBytes); see Size.
	MaxBytes int64
	// MaxArg is the most bytes of an argument an entry keeps (default
	// DefaultMaxArg); Entry.ArgLen records the length of a longer one.
	MaxArg int
}

// Ref names an entry for Update: it stays valid across a Reset, when it
// then names nothing.
type Ref struct {
	gen uint64
	seq int
}

// changeLog is how many recent changes Changes and Wait can catch up on without
// reading the whole journal again.
const changeLog = 4096

// Journal is a bounded, concurrency-safe record of entries.
type Journal struct {
	opts Options

	mu      sync.Mutex
	entries []*Entry // entries[start:] are in the journal, oldest first
	start   int
	first   int    // the seq of entries[start]
	seq     int    // the last seq given
	gen     uint64 // counts Resets
	epoch   int64  // when the journal was made: tells its cursors from another's
	bytes   int64
	dropped int64
	// changes holds the latest versions, a ring of changeLog: change n
	// (counted from 0 since the last Reset) is changes[n%changeLog].
	changes []*Entry
	nchange uint64
	changed chan struct{} // closed at the next change; made only when someone waits
}

// New returns an empty journal with opts' bounds.
func New(opts Options) *Journal {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxArg <= 0 {
		opts.MaxArg = DefaultMaxArg
	}
	return &Journal{opts: opts, first: 1, epoch: time.Now().UnixNano()}
}

// Size is what an entry counts against MaxBytes: its strings and slices
// and a fixed share for the rest.
func Size(e *Entry) int64 {
	n := 200 + len(e.User) + len(e.Command) + len(e.Arg) + len(e.Path) + len(e.Rule) + len(e.Reason) + 8*len(e.Codes)
	for _, r := range e.Replies {
		n += 16 + len(r)
	}
	if e.Transfer != nil {
		n += 64
	}
	if e.NearMiss != nil {
		n += 32 + len(e.NearMiss.Rule) + len(e.NearMiss.Why)
	}
	return int64(n)
}

// Add puts e in the journal, numbering it (e.Seq), and returns its Ref.
// The journal owns e from then on: the caller must not change it.
func (j *Journal) Add(e *Entry) Ref {
	j.cutArg(e)
	size := Size(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	j.entries = append(j.entries, e)
	j.bytes += size
	j.trimLocked()
	j.changedLocked(e)
	return Ref{gen: j.gen, seq: e.Seq}
}

// cutArg keeps at most MaxArg bytes of e's argument (and of its path), at
// a character boundary, in a string of its own (not the original's memory).
func (j *Journal) cutArg(e *Entry) {
	if len(e.Arg) > j.opts.MaxArg {
		e.ArgLen = len(e.Arg)
		e.Arg = cut(e.Arg, j.opts.MaxArg)
	}
	if len(e.Path) > j.opts.MaxArg {
		e.Path = cut(e.Path, j.opts.MaxArg)
	}
}

// cut is the first n bytes of s (n < len(s)), back to a character
// boundary, in a string of its own.
func cut(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n])
}

// Update changes the entry ref names: fn gets a copy of its latest version
// (whose slices it may append to but not change in place), which replaces
// it. It does nothing when the entry is gone (dropped, or a Reset came).
func (j *Journal) Update(ref Ref, fn func(e *Entry)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	i := ref.seq - j.first + j.start
	if ref.gen != j.gen || ref.seq < j.first || i >= len(j.entries) {
		return
	}
	old := j.entries[i]
	e := *old
	// an append must not write into the old version's arrays
	e.Replies = slices.Clip(e.Replies)
	e.Codes = slices.Clip(e.Codes)
	fn(&e)
	j.entries[i] = &e
	j.bytes += Size(&e) - Size(old)
	j.trimLocked()
	j.changedLocked(&e)
}

// trimLocked drops the oldest entries while a bound is passed (one entry
// always stays).
func (j *Journal) trimLocked() {
	for n := len(j.entries) - j.start; n > 1 && (n > j.opts.MaxEntries || j.bytes > j.opts.MaxBytes); n-- {
		j.bytes -= Size(j.entries[j.start])
		j.entries[j.start] = nil
		j.start++
		j.first++
		j.dropped++
	}
	if j.start > 1024 && j.start > len(j.entries)/2 {
		n := copy(j.entries, j.entries[j.start:])
		clear(j.entries[n:])
		j.entries = j.entries[:n]
		j.start = 0
	}
}

// changedLocked logs a new version and wakes the waiters.
func (j *Journal) changedLocked(e *Entry) {
	if j.changes == nil {
		j.changes = make([]*Entry, changeLog)
	}
	j.changes[j.nchange%changeLog] = e
	j.nchange++
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
}

// snapshotLocked is the entries after seq since, as pointers.
func (j *Journal) snapshotLocked(since int) []*Entry {
	from := j.start + max(0, since-j.first+1)
	if from >= len(j.entries) {
		return nil
	}
	return slices.Clone(j.entries[from:])
}

// Scan calls fn with every entry after seq since (0: all), oldest first,
// until fn returns false. It reads a snapshot taken when it is called and
// holds no lock while fn runs. fn must not change e; it may keep it (an
// entry is never changed in place: an update makes a new one). Scan
// returns the seq of the newest entry in the journal at the snapshot (0
// when empty).
func (j *Journal) Scan(since int, fn func(e *Entry) bool) (last int) {
	j.mu.Lock()
	snap := j.snapshotLocked(since)
	last = j.lastLocked()
	j.mu.Unlock()
	for _, e := range snap {
		if !fn(e) {
			break
		}
	}
	return last
}

func (j *Journal) lastLocked() int {
	if len(j.entries) == j.start {
		return 0
	}
	return j.seq
}

// Entries returns a copy of every entry, oldest first. The copies share
// nothing with the journal (their slices are cut from a few large arrays:
// a copy of 100,000 entries costs a handful of allocations).
func (j *Journal) Entries() []Entry {
	j.mu.Lock()
	snap := j.snapshotLocked(0)
	j.mu.Unlock()
	var nCodes, nLines, nTransfers int
	for _, e := range snap {
		nCodes += len(e.Codes)
		nLines += len(e.Replies)
		if e.Transfer != nil {
			nTransfers++
		}
	}
	out := make([]Entry, len(snap))
	codes := make([]int, 0, nCodes)
	lines := make([]string, 0, nLines)
	transfers := make([]Transfer, 0, nTransfers)
	for i, e := range snap {
		c := *e
		if e.Codes != nil {
			codes = append(codes, e.Codes...)
			c.Codes = codes[len(codes)-len(e.Codes) : len(codes) : len(codes)]
		}
		if e.Replies != nil {
			lines = append(lines, e.Replies...)
			c.Replies = lines[len(lines)-len(e.Replies) : len(lines) : len(lines)]
		}
		if e.Transfer != nil {
			transfers = append(transfers, *e.Transfer)
			c.Transfer = &transfers[len(transfers)-1]
		}
		if e.NearMiss != nil {
			m := *e.NearMiss
			c.NearMiss = &m
		}
		out[i] = c
	}
	return out
}

// Stats are a journal's size and what it dropped.
type Stats struct {
	Entries int   // entries held
	Bytes   int64 // their Size
	Dropped int64 // entries dropped for the bounds since the start or the last Reset
	LastSeq int   // the newest entry's seq (0 when empty)
}

// Stats returns the journal's figures now.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Stats{Entries: len(j.entries) - j.start, Bytes: j.bytes, Dropped: j.dropped, LastSeq: j.lastLocked()}
}

// Reset empties the journal; seq numbering starts again at 1, and Refs
// given before name nothing.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.entries, j.start, j.first, j.seq = j.entries[:0], 0, 1, 0
	j.bytes, j.dropped = 0, 0
	clear(j.changes)
	j.nchange = 0
	j.gen++
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
}

// Cursor is how far a follower of the journal has read its changes (see
// Changes). The zero Cursor has read nothing. A Cursor from another
// journal, or from before a Reset, reads the whole journal again.
type Cursor struct {
	epoch int64 // the journal's, so that a cursor from another run is not taken for one of this
	gen   uint64
	n     uint64 // changes read since the Reset gen
}

// String writes c as a token a client may keep and hand back (ParseCursor).
func (c Cursor) String() string {
	if c == (Cursor{}) {
		return ""
	}
	return strconv.FormatInt(c.epoch, 36) + "." + strconv.FormatUint(c.gen, 36) + "." + strconv.FormatUint(c.n, 36)
}

// ParseCursor reads a token String wrote ("" is the zero Cursor).
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) == 3 {
		e, err1 := strconv.ParseInt(parts[0], 36, 64)
		g, err2 := strconv.ParseUint(parts[1], 36, 64)
		n, err3 := strconv.ParseUint(parts[2], 36, 64)
		if err1 == nil && err2 == nil && err3 == nil {
			return Cursor{epoch: e, gen: g, n: n}, nil
		}
	}
	return Cursor{}, fmt.Errorf("cursor %q: want the cursor token a previous answer gave", s)
}

// Changes returns what changed in the journal after c: the latest versions
// of the entries added or updated since (an entry updated twice comes
// twice, oldest version first), and the cursor to pass next. When nothing
// changed it waits until something does or ctx ends. full is true when
// the entries are instead the whole journal, which replaces what the
// follower had: c is the zero Cursor, a Reset came, or the follower fell
// more than a few thousand changes behind. The entries must not be changed.
func (j *Journal) Changes(ctx context.Context, c Cursor) (entries []*Entry, next Cursor, full bool, err error) {
	for {
		j.mu.Lock()
		next = Cursor{epoch: j.epoch, gen: j.gen, n: j.nchange}
		switch {
		case c.epoch != j.epoch || c.gen != j.gen || j.nchange-c.n > changeLog || c.n > j.nchange:
			entries, full = j.snapshotLocked(0), true
		case c.n < j.nchange:
			entries = make([]*Entry, 0, j.nchange-c.n)
			for n := c.n; n < j.nchange; n++ {
				entries = append(entries, j.changes[n%changeLog])
			}
		}
		if full || len(entries) > 0 {
			j.mu.Unlock()
			return entries, next, full, nil
		}
		if j.changed == nil {
			j.changed = make(chan struct{})
		}
		ch := j.changed
		j.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, c, false, ctx.Err()
		}
	}
}

// Wait blocks until an entry satisfies match, or ctx ends, and returns a
// copy of it. It first looks at every entry, then, after each change, only
// at the entries added or changed since it last looked, and it calls match
// without holding the journal's lock (match must not change e).
func (j *Journal) Wait(ctx context.Context, match func(e *Entry) bool) (Entry, error) {
	var c Cursor
	for {
		batch, next, _, err := j.Changes(ctx, c)
		if err != nil {
			return Entry{}, err
		}
		for _, e := range batch {
			if match(e) {
				return e.clone(), nil
			}
		}
		c = next
	}
}
