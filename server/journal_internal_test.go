package server

import (
	"context"
	"testing"
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
