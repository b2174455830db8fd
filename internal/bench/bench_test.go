package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every benchmark runs against the three targets of the same run:
// mockftpd (with a 10-rule scenario none of whose rules match), the
// baseline (bare ftpserverlib on afero's MemMapFs) and the limit (raw
// loopback TCP with the least protocol). They are quick enough with
// -benchtime 1x to prove in CI that they still run:
//
//	go test -run xxx -bench . -benchtime 1x ./bench/

const benchRules = 10

func startT(tb testing.TB, kind string) Target {
	tb.Helper()
	t, err := Start(kind, benchRules)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = t.Close() })
	return t
}

func ready(tb testing.TB, t Target) *Client {
	tb.Helper()
	c, err := DialReady(t.Addr())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func forKinds(b *testing.B, fn func(b *testing.B, kind string)) {
	for _, k := range Kinds {
		b.Run(k, func(b *testing.B) { fn(b, k) })
	}
}

func BenchmarkStartToReady(b *testing.B) {
	forKinds(b, func(b *testing.B, kind string) {
		for b.Loop() {
			_, t, err := StartToReady(kind, benchRules)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			_ = t.Close()
			b.StartTimer()
		}
	})
}

func BenchmarkConnectLogin(b *testing.B) {
	forKinds(b, func(b *testing.B, kind string) {
		t := startT(b, kind)
		for b.Loop() {
			if _, err := ConnectLogin(t.Addr()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchCmd(b *testing.B, line string, want int) {
	forKinds(b, func(b *testing.B, kind string) {
		c := ready(b, startT(b, kind))
		for b.Loop() {
			if _, err := RoundTrips(c, line, want, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkNOOP(b *testing.B) { benchCmd(b, "NOOP", 200) }
func BenchmarkPWD(b *testing.B)  { benchCmd(b, "PWD", 257) }

// BenchmarkRules is mockftpd's NOOP round trip with 1 and 10,000 rules
// that do not match it: "same-verbs" rules name NOOP and the other
// measured verbs (the engine checks each NOOP rule's argument),
// "other-verbs" rules name verbs never sent.
func BenchmarkRules(b *testing.B) {
	cases := []struct {
		name  string
		start func() (*MockTarget, error)
	}{
		{"1", func() (*MockTarget, error) { return StartMockftpd(1) }},
		{"10000-same-verbs", func() (*MockTarget, error) { return StartMockftpd(10000) }},
		{"10000-other-verbs", func() (*MockTarget, error) { return StartMockftpdScenario(ScenarioOtherVerbs(10000)) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			t, err := tc.start()
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = t.Close() })
			c := ready(b, t)
			for b.Loop() {
				if _, err := RoundTrips(c, "NOOP", 200, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkStor256MiB(b *testing.B) {
	forKinds(b, func(b *testing.B, kind string) {
		c := ready(b, startT(b, kind))
		b.SetBytes(BigSize)
		i := 0
		for b.Loop() {
			name := "/big-" + strconv.Itoa(i)
			i++
			if _, err := StorBig(c, name, BigSize); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := c.Expect(250, "DELE "+name); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}

func BenchmarkRetr256MiB(b *testing.B) {
	forKinds(b, func(b *testing.B, kind string) {
		t := startT(b, kind)
		c := ready(b, t)
		if l, ok := t.(*LimitTarget); ok {
			l.SetSize("/big", BigSize)
		} else if _, err := StorBig(c, "/big", BigSize); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(BigSize)
		for b.Loop() {
			if _, err := RetrBig(c, "/big", BigSize); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkList1000(b *testing.B) {
	for _, verb := range []string{"LIST", "NLST", "MLSD"} {
		b.Run(verb, func(b *testing.B) {
			forKinds(b, func(b *testing.B, kind string) {
				t := startT(b, kind)
				if err := SeedListing(t); err != nil {
					b.Fatal(err)
				}
				c := ready(b, t)
				for b.Loop() {
					if _, err := ListOnce(c, verb); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkSmallStor(b *testing.B) {
	forKinds(b, func(b *testing.B, kind string) {
		c := ready(b, startT(b, kind))
		b.SetBytes(SmallSize)
		body := PatternBytes(SmallSize)
		i := 0
		for b.Loop() {
			if err := c.StorBytes("/small-"+strconv.Itoa(i%100), body); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkSmallRetr(b *testing.B) {
	forKinds(b, func(b *testing.B, kind string) {
		t := startT(b, kind)
		if err := t.WriteFile("/small", PatternBytes(SmallSize)); err != nil {
			b.Fatal(err)
		}
		c := ready(b, t)
		b.SetBytes(SmallSize)
		for b.Loop() {
			if n, err := c.Retr("/small", nil); err != nil || n != SmallSize {
				b.Fatal(n, err)
			}
		}
	})
}

// BenchmarkSessions opens 200 and 500 sessions at once per iteration; each
// logs in, stores and reads back 1 KiB and quits. Any error fails.
func BenchmarkSessions(b *testing.B) {
	for _, n := range []int{200, 500} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			forKinds(b, func(b *testing.B, kind string) {
				t := startT(b, kind)
				var total time.Duration
				i := 0
				for b.Loop() {
					r := Sessions(t.Addr(), fmt.Sprintf("/s%d-", i), n)
					i++
					if r.Errors > 0 {
						b.Fatalf("%d of %d sessions failed; first: %v", r.Errors, n, r.First)
					}
					total += r.Elapsed
				}
				b.ReportMetric(float64(n*i)/total.Seconds(), "sessions/s")
			})
		})
	}
}

// Test100ServersInParallel starts 100 mockftpd servers at once in this
// process; each serves a login, a NOOP and a small upload and download.
// It checks that all work, not how fast.
func Test100ServersInParallel(t *testing.T) {
	_, errs := ParallelServers(100)
	for i, err := range errs {
		if i >= 5 {
			t.Errorf("... and %d more", len(errs)-5)
			break
		}
		t.Error(err)
	}
}

// TestTargetsAgree checks that the three targets answer the benchmarks'
// commands the same way and that mockftpd and the baseline store and
// return the exact bytes, so that no figure comes from skipped work.
func TestTargetsAgree(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			tg := startT(t, kind)
			if err := SeedListing(tg); err != nil {
				t.Fatal(err)
			}
			c := ready(t, tg)
			for _, verb := range []string{"LIST", "NLST", "MLSD"} {
				b, err := c.ListBytes(verb, ListDir)
				if err != nil {
					t.Fatal(err)
				}
				if n := strings.Count(string(b), "\r\n"); n != ListFiles {
					t.Errorf("%s: %d lines, want %d", verb, n, ListFiles)
				}
			}
			if _, err := RoundTrips(c, "NOOP", 200, 3); err != nil {
				t.Fatal(err)
			}
			if _, err := RoundTrips(c, "PWD", 257, 3); err != nil {
				t.Fatal(err)
			}
			if r := Sessions(tg.Addr(), "/agree-", 20); r.Errors > 0 {
				t.Fatalf("%d sessions failed: %v", r.Errors, r.First)
			}
			if kind == Limit {
				return
			}
			const size = 3<<20 + 12345
			if _, err := StorBig(c, "/check.bin", size); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := c.Retr("/check.bin", &got); err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if _, err := NewPattern(size).WriteTo(&want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("RETR returned different bytes (%d, want %d)", got.Len(), want.Len())
			}
		})
	}
}

// BenchmarkNOOPJournalLoaded is mockftpd's NOOP round trip with a journal
// of 100,000 entries, a Wait pending on it and the admin API reading it
// every 500 ms, next to the same without ("plain"); p99-µs is the 99th
// percentile of the round trips.
func BenchmarkNOOPJournalLoaded(b *testing.B) {
	for _, loaded := range []bool{false, true} {
		name := "plain"
		if loaded {
			name = "loaded"
		}
		b.Run(name, func(b *testing.B) {
			t, err := StartMockftpd(10)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = t.Close() })
			if loaded {
				stop := JournalLoad(t, JournalEntries, JournalReadEvery)
				b.Cleanup(stop)
			}
			c := ready(b, t)
			var ds []time.Duration
			for b.Loop() {
				d, err := RoundTrips(c, "NOOP", 200, 1)
				if err != nil {
					b.Fatal(err)
				}
				ds = append(ds, d...)
			}
			b.ReportMetric(float64(Percentile(ds, 0.99).Microseconds()), "p99-µs")
		})
	}
}
