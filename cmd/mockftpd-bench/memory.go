package main

import (
	"fmt"
	"math"
	"time"

	"github.com/mockftpd/mockftpd/internal/bench"
)

// 7. memory, each figure from fresh worker processes
func (r *runner) memory() error {
	held := r.reps(1000, 200)
	per := map[string]float64{}
	peak := map[string]float64{}
	after := map[string]float64{}
	for _, k := range bench.Kinds {
		v, err := r.memHeld(k, held)
		if err != nil {
			return fmt.Errorf("%s held sessions: %w", k, err)
		}
		per[k] = v
		if k == bench.Limit {
			continue
		}
		v, err = r.memPeak(k)
		if err != nil {
			return fmt.Errorf("%s peak: %w", k, err)
		}
		peak[k] = v
		v, err = r.memAfterDelete(k)
		if err != nil {
			return fmt.Errorf("%s after delete: %w", k, err)
		}
		after[k] = v
	}
	r.add(figure{section: "7", name: fmt.Sprintf("Memory per held idle session (%d sessions)", held), unit: "KiB",
		m: per[bench.Mockftpd], b: per[bench.Baseline], l: per[bench.Limit],
		note: "VmRSS growth of the server process / sessions; limit: a goroutine and a 4 KiB reader per connection"})
	r.add(figure{section: "7", name: "Peak memory during a 256 MiB upload, over idle", unit: "MiB",
		m: peak[bench.Mockftpd], b: peak[bench.Baseline], l: 256,
		note: "VmHWM − idle VmRSS; limit: the file's own size"})
	r.add(figure{section: "7", name: "Resident after 3×256 MiB uploaded then deleted, over idle", unit: "MiB",
		m: after[bench.Mockftpd], b: after[bench.Baseline], l: 0,
		note: "VmRSS 2 s after the last DELE − idle VmRSS; limit: nothing kept"})
	return nil
}

func (r *runner) memHeld(kind string, n int) (float64, error) {
	w, err := startWorker(kind)
	if err != nil {
		return 0, err
	}
	defer w.stop()
	// one session first, so that what every server does once is in the idle figure
	if c, err := bench.DialReady(w.addr); err == nil {
		_ = c.Quit()
	}
	time.Sleep(300 * time.Millisecond)
	idle, _, err := w.rss()
	if err != nil {
		return 0, err
	}
	cs, err := bench.HoldSessions(w.addr, n)
	if err != nil {
		return 0, err
	}
	defer bench.CloseAll(cs)
	time.Sleep(500 * time.Millisecond)
	rss, _, err := w.rss()
	if err != nil {
		return 0, err
	}
	return float64(rss-idle) / float64(n) / 1024, nil
}

// settledWorker starts a worker serving kind, logs a client in, lets the
// process settle and reads its idle resident size; done stops both.
func settledWorker(kind string) (w *worker, c *bench.Client, idle int64, done func(), err error) {
	if w, err = startWorker(kind); err != nil {
		return nil, nil, 0, nil, err
	}
	if c, err = bench.DialReady(w.addr); err != nil {
		w.stop()
		return nil, nil, 0, nil, err
	}
	done = func() { _ = c.Close(); w.stop() }
	time.Sleep(300 * time.Millisecond)
	if idle, _, err = w.rss(); err != nil {
		done()
		return nil, nil, 0, nil, err
	}
	return w, c, idle, done, nil
}

func (r *runner) memPeak(kind string) (float64, error) {
	w, c, idle, done, err := settledWorker(kind)
	if err != nil {
		return 0, err
	}
	defer done()
	if _, err := w.ask("peak0"); err != nil {
		return 0, err
	}
	if _, err := bench.StorBig(c, "/peak.bin", bench.BigSize); err != nil {
		return 0, err
	}
	_, hwm, err := w.rss()
	if err != nil {
		return 0, err
	}
	return float64(hwm-idle) / (1 << 20), nil
}

func (r *runner) memAfterDelete(kind string) (float64, error) {
	w, c, idle, done, err := settledWorker(kind)
	if err != nil {
		return 0, err
	}
	defer done()
	for i := range 3 {
		if _, err := bench.StorBig(c, fmt.Sprintf("/del-%d", i), bench.BigSize); err != nil {
			return 0, err
		}
	}
	for i := range 3 {
		if err := c.Expect(250, fmt.Sprintf("DELE /del-%d", i)); err != nil {
			return 0, err
		}
	}
	time.Sleep(2 * time.Second)
	rss, _, err := w.rss()
	if err != nil {
		return 0, err
	}
	return float64(rss-idle) / (1 << 20), nil
}

// 100 servers in parallel
func (r *runner) parallel() error {
	d, errs := bench.ParallelServers(100)
	r.add(figure{section: "8", name: "100 mockftpd servers started in parallel (each: login, NOOP, 1 KiB STOR+RETR)", unit: "ms",
		m: ms(d), b: math.NaN(), l: math.NaN(), note: fmt.Sprintf("%d errors", len(errs))})
	r.add(figure{section: "8", name: "100 servers in parallel: errors", unit: "errors",
		m: float64(len(errs)), b: math.NaN(), l: math.NaN()})
	for i, err := range errs {
		if i >= 3 {
			break
		}
		r.notes = append(r.notes, "parallel servers: "+err.Error())
	}
	return nil
}
