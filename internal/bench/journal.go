package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/journal"
)

// JournalEntries is how many entries JournalLoad puts in the journal.
const JournalEntries = 100_000

// JournalReadEvery is how often JournalLoad's admin reader fetches the
// whole journal (GET /api/journal, about a fifth of a second of CPU for
// 100,000 entries on the reference machine).
const JournalReadEvery = 500 * time.Millisecond

// JournalLoad fills t's journal with n done entries (of the size a NOOP
// makes), and until stop is called keeps a Wait pending on it (one that
// never matches, so it looks at every change) and reads the whole journal
// through the admin API every period.
func JournalLoad(t *MockTarget, n int, period time.Duration) (stop func()) {
	j := t.Journal()
	now := time.Now()
	for i := range n {
		j.Add(&journal.Entry{Session: 1 + i/1000, Time: now, User: "bench", Command: "NOOP",
			Replies: []string{"200 NOOP ok"}, Codes: []int{200}, Done: now})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = j.Wait(ctx, func(*journal.Entry) bool { return false })
	})
	api := admin.New(t.Server, admin.Options{})
	wg.Go(func() {
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				api.ServeHTTP(discard{h: http.Header{}}, httptest.NewRequest(http.MethodGet, "/api/journal", nil))
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// discard is a ResponseWriter that drops the body.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}

// Percentile is the p-th percentile of ds (0 < p ≤ 1; 0 for none).
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
