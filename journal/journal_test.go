package journal

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLimitKeepsTheNewest fills a bounded journal past its limit: the
// oldest entries go, order and sequence numbers stay, and Wait and Reset
// see the same entries.
func TestLimitKeepsTheNewest(t *testing.T) {
	j := New(Options{MaxEntries: 3})
	for i := range 7 {
		j.Add(&Entry{Command: "NOOP", Arg: string(rune('a' + i))})
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
	if st := j.Stats(); st.Dropped != 4 || st.Entries != 3 || st.LastSeq != 7 {
		t.Fatalf("stats %+v", st)
	}
	e, err := j.Wait(context.Background(), func(e *Entry) bool { return e.Arg == "f" })
	if err != nil || e.Seq != 6 {
		t.Fatalf("Wait found seq %d, %v; want 6", e.Seq, err)
	}
	j.Reset()
	if n := len(j.Entries()); n != 0 {
		t.Fatalf("%d entries after Reset", n)
	}
	j.Add(&Entry{Command: "PWD"})
	if got := j.Entries(); len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("after Reset: %+v", got)
	}
}

// TestByteBudget: the oldest entries go once the entries' size passes
// MaxBytes, however few they are.
func TestByteBudget(t *testing.T) {
	big := strings.Repeat("x", 1000)
	one := Size(&Entry{Command: "NOOP", Replies: []string{big}})
	j := New(Options{MaxBytes: 10 * one})
	for range 100 {
		j.Add(&Entry{Command: "NOOP", Replies: []string{big}})
	}
	st := j.Stats()
	if st.Entries != 10 || st.Bytes > 10*one || st.Dropped != 90 || st.LastSeq != 100 {
		t.Fatalf("stats %+v (one entry: %d bytes)", st, one)
	}
	// an update that grows an entry counts too
	ref := j.Add(&Entry{Command: "STAT"})
	j.Update(ref, func(e *Entry) { e.Replies = append(e.Replies, big, big) })
	if st := j.Stats(); st.Bytes > 10*one {
		t.Fatalf("after a growing update: %+v", st)
	}
}

// TestArgIsCut: an entry keeps at most MaxArg bytes of an argument (and of
// its path), cut at a character boundary, and the length as sent.
func TestArgIsCut(t *testing.T) {
	j := New(Options{MaxArg: 8})
	arg := "/ééééé/and/more" // é is two bytes: the cut falls inside one
	j.Add(&Entry{Command: "STOR", Arg: arg, Path: arg})
	j.Add(&Entry{Command: "STOR", Arg: "/short"})
	got := j.Entries()
	if got[0].Arg != "/ééé" || got[0].ArgLen != len(arg) || got[0].Path != "/ééé" {
		t.Fatalf("cut arg %q (len %d), path %q", got[0].Arg, got[0].ArgLen, got[0].Path)
	}
	if got[1].Arg != "/short" || got[1].ArgLen != 0 {
		t.Fatalf("short arg %q (len %d)", got[1].Arg, got[1].ArgLen)
	}
}

// TestUpdateMakesANewVersion: readers keep what they read; an update of a
// dropped or reset entry does nothing.
func TestUpdateMakesANewVersion(t *testing.T) {
	j := New(Options{MaxEntries: 2})
	ref := j.Add(&Entry{Command: "RETR", Codes: []int{150}, Replies: []string{"150 go"}})
	var before *Entry
	j.Scan(0, func(e *Entry) bool { before = e; return false })
	j.Update(ref, func(e *Entry) {
		e.Codes = append(e.Codes, 226)
		e.Replies = append(e.Replies, "226 done")
		e.Transfer = &Transfer{Mode: "EPSV", End: "complete"}
	})
	if len(before.Codes) != 1 || before.Transfer != nil {
		t.Fatalf("old version changed: %+v", before)
	}
	got := j.Entries()[0]
	if len(got.Codes) != 2 || got.Transfer == nil || got.Replies[1] != "226 done" {
		t.Fatalf("new version: %+v", got)
	}
	j.Add(&Entry{Command: "NOOP"})
	j.Add(&Entry{Command: "NOOP"}) // drops RETR
	j.Update(ref, func(e *Entry) { e.Rule = "late" })
	for _, e := range j.Entries() {
		if e.Rule != "" {
			t.Fatalf("a dropped entry's update landed on %+v", e)
		}
	}
	ref = j.Add(&Entry{Command: "PWD"})
	j.Reset()
	j.Add(&Entry{Command: "CWD"})
	j.Add(&Entry{Command: "MKD"})
	j.Add(&Entry{Command: "RMD"})
	j.Update(ref, func(e *Entry) { e.Rule = "stale" })
	for _, e := range j.Entries() {
		if e.Rule != "" {
			t.Fatalf("a reset entry's update landed on %+v", e)
		}
	}
}

// TestScanSince reads only the entries after a seq.
func TestScanSince(t *testing.T) {
	j := New(Options{})
	for range 5 {
		j.Add(&Entry{Command: "NOOP"})
	}
	var seqs []int
	last := j.Scan(3, func(e *Entry) bool { seqs = append(seqs, e.Seq); return true })
	if last != 5 || len(seqs) != 2 || seqs[0] != 4 {
		t.Fatalf("Scan(3): %v, last %d", seqs, last)
	}
	if last := j.Scan(9, func(*Entry) bool { t.Fatal("entry after the end"); return true }); last != 5 {
		t.Fatalf("last %d", last)
	}
}

// TestWaitSeesUpdatesAndNewEntries: a pending Wait finds an entry that
// becomes a match by an update, and one added later, also after falling
// behind the change log.
func TestWaitSeesUpdatesAndNewEntries(t *testing.T) {
	j := New(Options{})
	ref := j.Add(&Entry{Command: "STOR"})
	done := func(e *Entry) bool { return e.Command == "STOR" && !e.Done.IsZero() }
	var wg sync.WaitGroup
	wg.Add(1)
	var got Entry
	var err error
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got, err = j.Wait(ctx, done)
	}()
	for range 2 * changeLog { // more than the change log holds
		j.Add(&Entry{Command: "NOOP"})
	}
	j.Update(ref, func(e *Entry) { e.Done = time.Now() })
	wg.Wait()
	if err != nil || got.Seq != 1 || got.Done.IsZero() {
		t.Fatalf("Wait: %+v, %v", got, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := j.Wait(ctx, func(e *Entry) bool { return e.Command == "QUIT" }); err == nil {
		t.Fatal("Wait found an entry that is not there")
	}
}

// TestConcurrentUse runs writers, readers and a waiter together (for -race).
func TestConcurrentUse(t *testing.T) {
	j := New(Options{MaxEntries: 100})
	var writers, others sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := range 500 {
				ref := j.Add(&Entry{Session: w, Command: "RETR"})
				j.Update(ref, func(e *Entry) { e.Codes = append(e.Codes, 150+i%2) })
			}
		})
	}
	others.Go(func() {
		for range 50 {
			for _, e := range j.Entries() {
				if e.Command != "RETR" {
					t.Error("bad entry")
				}
			}
		}
	})
	others.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := j.Wait(ctx, func(e *Entry) bool { return e.Session == 9 }); err != nil {
			t.Error(err)
		}
	})
	writers.Wait()
	j.Add(&Entry{Session: 9, Command: "RETR"}) // what the waiter waits for
	others.Wait()
}

// TestChangesFollowsTheJournal: a follower reads the whole journal first,
// then each new entry and each new version of an entry, waits when nothing
// changed, and reads everything again after a Reset or with a cursor of
// another journal.
func TestChangesFollowsTheJournal(t *testing.T) {
	j := New(Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ref := j.Add(&Entry{Session: 1, Command: "STOR", Arg: "a"})
	got, c, full, err := j.Changes(ctx, Cursor{})
	if err != nil || !full || len(got) != 1 || got[0].Command != "STOR" {
		t.Fatalf("first read: %v %v full=%v", got, err, full)
	}
	tok := c.String()
	if back, err := ParseCursor(tok); err != nil || back != c {
		t.Fatalf("ParseCursor(%q) = %v, %v; want %v", tok, back, err, c)
	}
	if _, err := ParseCursor("nonsense"); err == nil {
		t.Fatal("ParseCursor took a bad token")
	}
	j.Update(ref, func(e *Entry) { e.Codes = append(e.Codes, 150) })
	j.Add(&Entry{Session: 1, Command: "QUIT"})
	got, c, full, err = j.Changes(ctx, c)
	if err != nil || full || len(got) != 2 || got[0].Seq != 1 || got[0].LastCode() != 150 || got[1].Command != "QUIT" {
		t.Fatalf("after an update and an entry: %+v %v full=%v", got, err, full)
	}
	short, stop := context.WithTimeout(ctx, 20*time.Millisecond)
	defer stop()
	if got, _, _, err := j.Changes(short, c); err == nil || len(got) != 0 {
		t.Fatalf("with nothing new: %v, %v; want the context's error", got, err)
	}
	done := make(chan []*Entry)
	go func() {
		got, _, _, _ := j.Changes(ctx, c)
		done <- got
	}()
	j.Add(&Entry{Session: 2, Command: Connect})
	if got := <-done; len(got) != 1 || got[0].Session != 2 {
		t.Fatalf("a waiting follower got %v", got)
	}
	j.Reset()
	j.Add(&Entry{Session: 1, Command: "NOOP"})
	got, _, full, _ = j.Changes(ctx, c)
	if !full || len(got) != 1 || got[0].Command != "NOOP" {
		t.Fatalf("after Reset: %v full=%v; want the whole journal", got, full)
	}
	got, _, full, _ = New(Options{}).Changes(ctx, c)
	if !full || len(got) != 0 {
		t.Fatalf("another journal's cursor: %v full=%v", got, full)
	}
}
