package server

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestJournalLimitKeepsTheNewest fills a bounded journal past its limit:
// the oldest entries go, order and sequence numbers stay, and Wait and
// Reset see the same entries.
func TestJournalLimitKeepsTheNewest(t *testing.T) {
	j := newJournal(3)
	for i := range 7 {
		j.add(&Entry{Command: "NOOP", Arg: string(rune('a' + i))})
	}
	got := j.Entries()
	if len(got) != 3 {
		t.Fatalf("%d entries, want 3", len(got))
	}
	for i, e := range got {
		if want := 5 + i; e.Seq != want || e.Arg != string(rune('a'+want-1)) {
			t.Fatalf("entry %d is seq %d arg %q, want seq %d", i, e.Seq, e.Arg, want)
		}
	}
	e, err := j.Wait(context.Background(), func(e Entry) bool { return e.Arg == "f" })
	if err != nil || e.Seq != 6 {
		t.Fatalf("Wait found seq %d, %v; want 6", e.Seq, err)
	}
	j.Reset()
	if n := len(j.Entries()); n != 0 {
		t.Fatalf("%d entries after Reset", n)
	}
	j.add(&Entry{Command: "PWD"})
	if got := j.Entries(); len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("after Reset: %+v", got)
	}

	unbounded := newJournal(0)
	for range 1000 {
		unbounded.add(&Entry{Command: "NOOP"})
	}
	if got := unbounded.Entries(); len(got) != 1000 || got[999].Seq != 1000 {
		t.Fatalf("unbounded journal: %d entries", len(got))
	}
}

// fullEntry has every field set, several replies and codes, and a transfer.
func fullEntry(i int) Entry {
	t := time.Date(2026, 11, 22, 3, 4, 5, 600+i, time.UTC)
	return Entry{
		Session: 7, Time: t, User: "üser", Command: "RETR", Arg: "/a b/ç.txt",
		Replies: []string{"150 Opening", "226-Done", " with ünicode", "226 End"},
		Codes:   []int{150, 226}, Rule: "rules[3] (RETR)",
		Transfer: &TransferInfo{Mode: "EPSV", TLS: true, BytesIn: 3, BytesOut: 1 << 40, End: "stalled"},
		Done:     t.Add(time.Second),
	}
}

// sameEntry compares entries as a reader sees them (times by instant).
func sameEntry(a, b Entry) bool {
	ta, tb, da, db := a.Time, b.Time, a.Done, b.Done
	a.Time, b.Time, a.Done, b.Done = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	a.jgen, b.jgen = 0, 0
	return ta.Equal(tb) && da.Equal(db) && reflect.DeepEqual(a, b)
}

// TestSealedEntryRoundTrip: every field of an entry survives sealing, and
// the zero values too.
func TestSealedEntryRoundTrip(t *testing.T) {
	for _, e := range []Entry{fullEntry(1), {Seq: 3, Command: "<connect>"}, {}} {
		got, err := decodeEntry(encodeEntry(nil, &e))
		if err != nil || !sameEntry(got, e) {
			t.Fatalf("round trip of %+v:\n got %+v, %v", e, got, err)
		}
	}
	b := encodeEntry(nil, &Entry{Command: "NOOP", Replies: []string{"200 ok"}})
	for n := range len(b) {
		if _, err := decodeEntry(b[:n]); err == nil {
			t.Fatalf("a truncated encoding (%d of %d bytes) decoded", n, len(b))
		}
	}
}

// TestJournalSealsDoneEntries: with sealing after one entry, done entries
// are sealed and read back unchanged; one still pending stays open and is
// sealed once done; a change to a sealed entry (a late reply) is kept;
// entries leaving the ring free the arena; Reset forgets everything.
func TestJournalSealsDoneEntries(t *testing.T) {
	j := newJournal(100)
	j.lag, j.every = 1, 1
	var want []Entry
	var es []*Entry
	for i := range 10 {
		e := fullEntry(i)
		if i == 4 {
			e.Done = time.Time{} // pending, like a transfer in progress
		}
		p := &e
		j.add(p)
		es = append(es, p)
		want = append(want, e)
	}
	sealed := 0
	for i := range j.slots {
		if j.slots[i].e == nil {
			sealed++
		}
	}
	if sealed != 8 { // all but the newest and the pending one
		t.Fatalf("%d entries sealed, want 8", sealed)
	}
	check := func(when string) {
		t.Helper()
		got := j.Entries()
		if len(got) != len(want) {
			t.Fatalf("%s: %d entries, want %d", when, len(got), len(want))
		}
		for i := range got {
			if !sameEntry(got[i], want[i]) {
				t.Fatalf("%s: entry %d\n got %+v\nwant %+v", when, i, got[i], want[i])
			}
		}
	}
	check("sealed")

	// a late reply to a sealed entry, and the pending one finishing
	j.replied(es[2], newReply(250, "late"))
	want[2] = *es[2]
	j.update(es[4], func() { es[4].Done = time.Now() })
	want[4] = *es[4]
	j.add(&Entry{Command: "NOOP"})
	want = append(want, j.Entries()[10])
	check("changed")
	if sl := j.slotOf(5); sl.e != nil {
		t.Fatal("the finished entry was not sealed")
	}

	// a long run: the ring turns over many times, the arena stays small
	small := newJournal(50)
	small.lag, small.every = 1, 1
	for i := range 20000 {
		e := fullEntry(i)
		small.add(&e)
	}
	if n := len(small.arena.chunks); n > 3 {
		t.Fatalf("the arena holds %d chunks for 50 entries", n)
	}
	got := small.Entries()
	if len(got) != 50 || got[0].Seq != 19951 || got[49].Seq != 20000 || !sameEntry(got[49], func() Entry { e := fullEntry(19999); e.Seq = 20000; return e }()) {
		t.Fatalf("after 20,000 entries: %d entries, first seq %d", len(got), got[0].Seq)
	}

	// after Reset, an old entry's change does not reach a new entry
	old := es[1]
	j.Reset()
	j.add(&Entry{Command: "PWD", Done: time.Now()})
	j.add(&Entry{Command: "CWD", Done: time.Now()})
	j.add(&Entry{Command: "CDUP", Done: time.Now()})
	j.update(old, func() { old.Rule = "stale" })
	for _, e := range j.Entries() {
		if e.Rule != "" {
			t.Fatalf("an entry from before Reset changed %+v", e)
		}
	}
}
