package server

import (
	"encoding/binary"
	"errors"
	"time"
)

// Sealing. A journal of many entries is live memory that the garbage
// collector marks again at every cycle, and each Entry is several small
// objects full of pointers (its strings, its reply lines, its codes):
// with ftpserverlib making about 4 KiB of garbage per reply, marking the
// journal was most of what a command cost beyond bare ftpserverlib. So an
// entry that is done (its final reply sent) and no longer among the newest
// is sealed: encoded into a byte arena the collector does not scan, and
// decoded again when read. The session may still hold the *Entry of a
// command it has not finished with; a change made through the journal's
// methods re-encodes a sealed entry.

// sealLag is how many of the newest entries stay as they are: a session
// finishes with a command long before this many more arrive.
const sealLag = 64

// sealEvery is how often (in entries added) the entries that were not done
// when they got sealLag places back are looked at again.
const sealEvery = 64

// arenaChunk is the size of one block of the arena holding sealed entries.
const arenaChunk = 64 << 10

// sealedRef is where a sealed entry's encoding lies in the arena.
type sealedRef struct {
	chunk    int // the chunk's number (arena.base is that of chunks[0]); -1: not sealed
	off, len int32
}

// arena holds sealed entries' encodings in chunks, freed once no entry
// uses them (entries leave the journal oldest first, so the chunks do too,
// give or take an entry re-encoded later).
type arena struct {
	chunks [][]byte
	refs   []int // entries encoded in each chunk
	base   int   // the number of chunks[0]
}

// put stores b and returns where.
func (a *arena) put(b []byte) sealedRef {
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last])+len(b) > cap(a.chunks[last]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(b))))
		a.refs = append(a.refs, 0)
		last = len(a.chunks) - 1
	}
	c := a.chunks[last]
	ref := sealedRef{chunk: a.base + last, off: int32(len(c)), len: int32(len(b))}
	a.chunks[last] = append(c, b...)
	a.refs[last]++
	return ref
}

// get returns the bytes stored at ref.
func (a *arena) get(ref sealedRef) []byte {
	return a.chunks[ref.chunk-a.base][ref.off : ref.off+ref.len]
}

// drop releases ref's bytes, and the chunks at the front nobody uses any
// more (never the one being filled).
func (a *arena) drop(ref sealedRef) {
	if ref.chunk < 0 {
		return
	}
	a.refs[ref.chunk-a.base]--
	n := 0
	for n < len(a.chunks)-1 && a.refs[n] == 0 {
		n++
	}
	if n > 0 {
		clear(a.chunks[:n])
		a.chunks = a.chunks[n:]
		a.refs = a.refs[n:]
		a.base += n
	}
}

var errBadSeal = errors.New("journal: corrupt sealed entry")

// encodeEntry appends e's encoding to b.
func encodeEntry(b []byte, e *Entry) []byte {
	b = binary.AppendVarint(b, int64(e.Session))
	b = binary.AppendVarint(b, int64(e.Seq))
	b = appendTime(b, e.Time)
	b = appendTime(b, e.Done)
	for _, s := range [...]string{e.User, e.Command, e.Arg, e.Rule} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Replies)))
	for _, s := range e.Replies {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Codes)))
	for _, c := range e.Codes {
		b = binary.AppendVarint(b, int64(c))
	}
	if t := e.Transfer; t != nil {
		b = append(b, 1)
		b = appendString(b, t.Mode)
		b = appendBool(b, t.TLS)
		b = binary.AppendVarint(b, t.BytesIn)
		b = binary.AppendVarint(b, t.BytesOut)
		b = appendString(b, t.End)
	} else {
		b = append(b, 0)
	}
	return b
}

// decodeEntry is the inverse of encodeEntry.
func decodeEntry(b []byte) (Entry, error) {
	d := decoder{b: b}
	var e Entry
	e.Session = int(d.varint())
	e.Seq = int(d.varint())
	e.Time = d.time()
	e.Done = d.time()
	e.User, e.Command, e.Arg, e.Rule = d.string(), d.string(), d.string(), d.string()
	if n := d.count(); n > 0 {
		e.Replies = make([]string, n)
		for i := range e.Replies {
			e.Replies[i] = d.string()
		}
	}
	if n := d.count(); n > 0 {
		e.Codes = make([]int, n)
		for i := range e.Codes {
			e.Codes[i] = int(d.varint())
		}
	}
	if d.byte() == 1 {
		e.Transfer = &TransferInfo{Mode: d.string(), TLS: d.byte() == 1, BytesIn: d.varint(), BytesOut: d.varint(), End: d.string()}
	}
	if d.bad || len(d.b) != 0 {
		return Entry{}, errBadSeal
	}
	return e, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendTime stores a time as Unix nanoseconds (0 for the zero time); the
// decoded time is the same instant, in the local zone, without a
// monotonic reading.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.AppendVarint(b, t.UnixNano())
}

type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) count() int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)) {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) string() string {
	n := d.count()
	if d.bad || n > len(d.b) {
		d.bad = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	return time.Unix(0, d.varint())
}
