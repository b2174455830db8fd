package journal_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mockftpd/mockftpd/journal"
)

// A session's command goes in with its first reply, and is updated when
// its final reply is sent; a reader waits for it.
func ExampleJournal_Wait() {
	j := journal.New(journal.Options{}) // DefaultMaxEntries, DefaultMaxBytes
	ref := j.Add(&journal.Entry{Session: 1, Time: time.Now(), Command: "RETR", Arg: "/a.bin", Codes: []int{150}, Replies: []string{"150 Using transfer connection"}})
	go j.Update(ref, func(e *journal.Entry) {
		e.Codes = append(e.Codes, 226)
		e.Replies = append(e.Replies, "226 Closing transfer connection")
		e.Transfer = &journal.Transfer{Mode: "EPSV", BytesOut: 1024, End: "complete"}
		e.Done = time.Now()
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := j.Wait(ctx, func(e *journal.Entry) bool { return e.Command == "RETR" && !e.Done.IsZero() })
	fmt.Println(e.Seq, e.Command, e.Codes, e.Transfer.End, err)
	// Output: 1 RETR [150 226] complete <nil>
}

// Reading the journal a page at a time, as the admin API's
// GET /api/journal?since=SEQ&limit=N does.
func ExampleJournal_Scan() {
	j := journal.New(journal.Options{})
	for _, verb := range []string{"USER", "PASS", "PWD", "NOOP", "QUIT"} {
		j.Add(&journal.Entry{Session: 1, Command: verb})
	}
	since := 0
	for page := 1; ; page++ {
		var got []string
		j.Scan(since, func(e *journal.Entry) bool {
			got = append(got, e.Command)
			since = e.Seq
			return len(got) < 2
		})
		if len(got) == 0 {
			break
		}
		fmt.Println(page, got)
	}
	// Output:
	// 1 [USER PASS]
	// 2 [PWD NOOP]
	// 3 [QUIT]
}

// Following the journal as the admin API's live page does: the whole
// journal first, then each new entry and each new version of one.
func ExampleJournal_Changes() {
	j := journal.New(journal.Options{})
	ref := j.Add(&journal.Entry{Session: 1, Command: "STOR", Arg: "a.txt", Codes: []int{150}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	entries, cursor, full, _ := j.Changes(ctx, journal.Cursor{})
	fmt.Println(len(entries), full)
	j.Update(ref, func(e *journal.Entry) { e.Codes = append(e.Codes, 452) })
	entries, _, full, _ = j.Changes(ctx, cursor)
	fmt.Println(entries[0].Seq, entries[0].Codes, full)
	// Output:
	// 1 true
	// 1 [150 452] false
}
