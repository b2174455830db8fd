package admin_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/server"
)

// journalPage is GET /api/journal's answer.
type journalPage struct {
	Entries []journal.Entry `json:"entries"`
	LastSeq int             `json:"last_seq"`
	Next    int             `json:"next"`
	Dropped int64           `json:"dropped"`
}

func (e *env) journalPage(t *testing.T, query string) journalPage {
	t.Helper()
	var p journalPage
	if err := json.Unmarshal(e.expect(200, "GET", "/api/journal"+query, "").body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJournalPaging (issue 14.5): since=SEQ&limit=N gives a page and the
// cursor of the next one; paging through gives every entry once.
func TestJournalPaging(t *testing.T) {
	e := newEnv(t, admin.Options{})
	c := testclient.RawDial(t, e.ftp.Addr())
	c.Login("u", "p")
	for i := range 20 {
		c.Cmd(257, "MKD /d%d", i)
	}
	c.Cmd(221, "QUIT")
	if _, err := e.ftp.WaitSessionEnd(1, clientTimeout); err != nil {
		t.Fatal(err)
	}
	all := e.journalPage(t, "")
	if len(all.Entries) != 25 || all.LastSeq != 25 || all.Next != 0 || all.Entries[24].Command != journal.Disconnect || all.Entries[24].Reason != "quit" {
		t.Fatalf("whole journal: %d entries, last %d, next %d", len(all.Entries), all.LastSeq, all.Next)
	}
	var seqs []int
	since, pages := 0, 0
	for pages = 1; pages < 100; pages++ {
		p := e.journalPage(t, "?since="+strconv.Itoa(since)+"&limit=7")
		for _, en := range p.Entries {
			seqs = append(seqs, en.Seq)
		}
		if p.Next == 0 {
			break
		}
		if p.Next != p.Entries[len(p.Entries)-1].Seq || len(p.Entries) != 7 {
			t.Fatalf("page %d: %d entries, next %d", pages, len(p.Entries), p.Next)
		}
		since = p.Next
	}
	if pages != 4 || len(seqs) != 25 || seqs[0] != 1 || seqs[24] != 25 {
		t.Fatalf("%d pages, seqs %v", pages, seqs)
	}
	// filters apply within pages
	p := e.journalPage(t, "?since=0&limit=5&command=MKD")
	if len(p.Entries) != 5 || p.Entries[0].Command != "MKD" || p.Next != p.Entries[4].Seq {
		t.Fatalf("MKD page: %+v", p)
	}
}

// TestJournalBounds: the journal keeps at most its byte budget, drops the
// oldest and says how many; an entry keeps at most 1024 bytes of an
// argument and its length as sent.
func TestJournalBounds(t *testing.T) {
	e := newEnv(t, admin.Options{}, func(t *testing.T, cfg *server.Config) { cfg.JournalBytes = 20_000 })
	srv := e.ftp
	c := testclient.RawDial(t, srv.Addr())
	c.Expect(220)
	long := strings.Repeat("x", 3000)
	for range 40 {
		c.Cmd(530, "MKD /%s", long)
	}
	p := e.journalPage(t, "")
	if p.Dropped == 0 || len(p.Entries) == 0 || p.Entries[len(p.Entries)-1].Seq != p.LastSeq {
		t.Fatalf("%d entries, %d dropped, last %d", len(p.Entries), p.Dropped, p.LastSeq)
	}
	last := p.Entries[len(p.Entries)-1]
	if len(last.Arg) != 1024 || last.ArgLen != len(long)+1 {
		t.Fatalf("argument kept: %d bytes, arg_len %d", len(last.Arg), last.ArgLen)
	}
	if st := srv.Journal().Stats(); st.Bytes > 20_000 {
		t.Fatalf("journal holds %d bytes", st.Bytes)
	}
}
