// Command mockftpd-bench measures mockftpd against bare ftpserverlib (the
// baseline) and raw loopback TCP (the limit) in one run, prints every
// figure with its ratios, and writes them to a Markdown report:
//
//	go run ./cmd/mockftpd-bench -out docs/performance.md
//
// Figures that need a whole process (process start, memory) come from
// child processes: the mockftpd binary built once, and this program run
// again as a worker (-worker KIND) serving one target.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	out      string
	quick    bool
	profiles bool
	only     string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mockftpd-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	worker := fs.String("worker", "", "internal: serve one target (mockftpd, baseline or limit) for the parent")
	fs.StringVar(&o.out, "out", "", "write the Markdown report to this `file`, e.g. docs/performance.md")
	fs.BoolVar(&o.quick, "quick", false, "fewer repetitions (a smoke run; figures are rougher)")
	fs.BoolVar(&o.profiles, "profiles", true, "with -out, add CPU profiles (go test -cpuprofile, pprof -top) of the benchmarks behind missed targets")
	fs.StringVar(&o.only, "only", "", "run only the figures whose section name contains this text")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *worker != "" {
		return runWorker(*worker)
	}
	raiseNoFile()
	r := &runner{o: o, log: stderr}
	if err := r.all(); err != nil {
		fmt.Fprintln(stderr, "mockftpd-bench:", err)
		return 1
	}
	r.print(stdout)
	if o.out != "" {
		if err := r.write(o.out); err != nil {
			fmt.Fprintln(stderr, "mockftpd-bench:", err)
			return 1
		}
		fmt.Fprintln(stderr, "wrote", o.out)
	}
	return 0
}

// figure is one measured quantity for the three targets; NaN where a
// target has no such figure.
type figure struct {
	section string
	name    string
	unit    string
	higher  bool // higher is better (rates); else lower is better
	m, b, l float64
	note    string
}

func (f figure) ratio(x float64) float64 {
	if math.IsNaN(f.m) || math.IsNaN(x) || x == 0 {
		return math.NaN()
	}
	return f.m / x
}

// check is one target of the issue, met or missed.
type check struct {
	what string
	want string
	got  string
	met  bool
}

type runner struct {
	o       options
	log     io.Writer
	figs    []figure
	checks  []check
	notes   []string
	profs   []profile
	started time.Time
	elapsed time.Duration
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, format+"\n", args...)
}

func (r *runner) add(f figure) {
	r.figs = append(r.figs, f)
	r.logf("  %-44s %s", f.name, fmtTriple(f))
}

func (r *runner) reps(full, quick int) int {
	if r.o.quick {
		return quick
	}
	return full
}

func (r *runner) want(section string) bool {
	return r.o.only == "" || strings.Contains(section, r.o.only)
}

func (r *runner) all() error {
	r.started = time.Now()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"start", r.start},
		{"process", r.process},
		{"login", r.login},
		{"round trip", r.roundTrip},
		{"transfer", r.transfers},
		{"listing", r.listings},
		{"sessions", r.sessions},
		{"small", r.small},
		{"rules", r.rules},
		{"memory", r.memory},
		{"parallel", r.parallel},
	}
	for _, s := range steps {
		if !r.want(s.name) {
			continue
		}
		r.logf("== %s", s.name)
		settle(r)
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.elapsed = time.Since(r.started)
	r.evaluate()
	if r.o.out != "" && r.o.profiles && r.o.only == "" {
		r.collectProfiles()
	}
	return nil
}

// startTargets starts one of each target.
func startTargets(rules int) (map[string]bench.Target, func(), error) {
	ts := map[string]bench.Target{}
	stop := func() {
		for _, t := range ts {
			_ = t.Close()
		}
	}
	for _, k := range bench.Kinds {
		t, err := bench.Start(k, rules)
		if err != nil {
			stop()
			return nil, nil, err
		}
		ts[k] = t
	}
	return ts, stop, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// interleave measures each of kinds rounds times, the kinds taking turns
// within a round so that drifts of the machine hit them alike, and
// collects every sample measure returns.
func interleave(rounds int, kinds []string, measure func(kind string) ([]time.Duration, error)) (map[string][]time.Duration, error) {
	samples := map[string][]time.Duration{}
	for range rounds {
		for _, k := range kinds {
			s, err := measure(k)
			if err != nil {
				return nil, err
			}
			samples[k] = append(samples[k], s...)
		}
	}
	return samples, nil
}

// one wraps a single measurement as a list of samples.
func one(d time.Duration, err error) ([]time.Duration, error) { return []time.Duration{d}, err }

// dialAll logs one client in to each address; closeAll closes them all.
func dialAll(addrs map[string]string) (cs map[string]*bench.Client, closeAll func(), err error) {
	cs = map[string]*bench.Client{}
	closeAll = func() {
		for _, c := range cs {
			_ = c.Close()
		}
	}
	for k, a := range addrs {
		c, err := bench.DialReady(a)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		cs[k] = c
	}
	return cs, closeAll, nil
}

// addrsOf lists the targets' addresses by kind.
func addrsOf(ts map[string]bench.Target) map[string]string {
	addrs := map[string]string{}
	for k, t := range ts {
		addrs[k] = t.Addr()
	}
	return addrs
}

// medians sets a figure's three values to the medians of each target's
// samples, in the unit conv converts to.
func (f figure) medians(samples map[string][]time.Duration, conv func(time.Duration) float64) figure {
	f.m = conv(bench.Median(samples[bench.Mockftpd]))
	f.b = conv(bench.Median(samples[bench.Baseline]))
	f.l = conv(bench.Median(samples[bench.Limit]))
	return f
}

// 1. embedded start-to-ready
func (r *runner) start() error {
	n := r.reps(200, 20)
	samples, err := interleave(n, bench.Kinds, func(k string) ([]time.Duration, error) {
		d, t, err := bench.StartToReady(k, 10)
		if err != nil {
			return nil, err
		}
		_ = t.Close()
		return []time.Duration{d}, nil
	})
	if err != nil {
		return err
	}
	r.add(figure{section: "1", name: "Embedded start-to-ready (start call → 230)", unit: "ms",
		note: fmt.Sprintf("median of %d; mockftpd has the 10-rule scenario", n)}.medians(samples, ms))
	return nil
}

// 1. process start-to-220
func (r *runner) process() error {
	dir, err := os.MkdirTemp("", "mockftpd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "mockftpd")
	r.logf("  building the mockftpd binary")
	build := exec.Command("go", "build", "-o", bin, "github.com/mockftpd/mockftpd/cmd/mockftpd")
	build.Stderr = r.log
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	yml, err := bench.Scenario(10).Format()
	if err != nil {
		return err
	}
	scFile := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(scFile, yml, 0o644); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	n := r.reps(21, 5)
	samples := map[string][]time.Duration{}
	for range n {
		d, err := processStart([]string{bin, "-listen", "127.0.0.1:0", "-scenario", scFile, "-reload=false"}, true)
		if err != nil {
			return err
		}
		samples[bench.Mockftpd] = append(samples[bench.Mockftpd], d)
		for _, k := range []string{bench.Baseline, bench.Limit} {
			d, err := processStart([]string{exe, "-worker", k}, false)
			if err != nil {
				return err
			}
			samples[k] = append(samples[k], d)
		}
	}
	r.add(figure{section: "1", name: "Process start-to-220 (exec → greeting read)", unit: "ms",
		note: fmt.Sprintf("median of %d; mockftpd: its binary with -scenario (10 rules); baseline/limit: this program as a worker", n)}.medians(samples, ms))
	return nil
}

// 2. connect + login
func (r *runner) login() error {
	ts, stop, err := startTargets(10)
	if err != nil {
		return err
	}
	defer stop()
	n := r.reps(400, 40)
	samples, err := interleave(n, bench.Kinds, func(k string) ([]time.Duration, error) {
		return one(bench.ConnectLogin(ts[k].Addr()))
	})
	if err != nil {
		return err
	}
	r.add(figure{section: "2", name: "Connect + login (TCP connect, 220, USER, PASS)", unit: "µs",
		note: fmt.Sprintf("median of %d", n)}.medians(samples, us))
	return nil
}

// 3. command round trips
func (r *runner) roundTrip() error {
	ts, stop, err := startTargets(10)
	if err != nil {
		return err
	}
	defer stop()
	cs, closeAll, err := dialAll(addrsOf(ts))
	if err != nil {
		return err
	}
	defer closeAll()
	rounds, per := r.reps(20, 4), r.reps(1000, 200)
	for _, cmd := range []struct {
		line string
		code int
	}{{"NOOP", 200}, {"PWD", 257}} {
		samples, err := interleave(rounds, bench.Kinds, func(k string) ([]time.Duration, error) {
			return bench.RoundTrips(cs[k], cmd.line, cmd.code, per)
		})
		if err != nil {
			return err
		}
		r.add(figure{section: "3", name: cmd.line + " round trip (one at a time)", unit: "µs",
			note: fmt.Sprintf("median of %d×%d, targets interleaved", rounds, per)}.medians(samples, us))
	}
	return nil
}

func mibps(size int64, d time.Duration) float64 {
	return float64(size) / (1 << 20) / d.Seconds()
}

// 4. 256 MiB STOR and RETR
func (r *runner) transfers() error {
	ts, stop, err := startTargets(10)
	if err != nil {
		return err
	}
	defer stop()
	n := r.reps(5, 2)
	size := int64(bench.BigSize)
	stor := map[string][]float64{}
	retr := map[string][]float64{}
	for i := range n {
		for _, k := range bench.Kinds {
			c, err := bench.DialReady(ts[k].Addr())
			if err != nil {
				return err
			}
			name := fmt.Sprintf("/big-%d", i)
			d, err := bench.StorBig(c, name, size)
			if err != nil {
				return err
			}
			stor[k] = append(stor[k], mibps(size, d))
			d, err = bench.RetrBig(c, name, size)
			if err != nil {
				return err
			}
			retr[k] = append(retr[k], mibps(size, d))
			if err := c.Expect(250, "DELE "+name); err != nil {
				return err
			}
			_ = c.Quit()
		}
	}
	note := fmt.Sprintf("median of %d; a new file each time, deleted after its RETR", n)
	r.add(figure{section: "4", name: "STOR 256 MiB", unit: "MiB/s", higher: true,
		m: bench.MedianF(stor[bench.Mockftpd]), b: bench.MedianF(stor[bench.Baseline]), l: bench.MedianF(stor[bench.Limit]), note: note})
	r.add(figure{section: "4", name: "RETR 256 MiB", unit: "MiB/s", higher: true,
		m: bench.MedianF(retr[bench.Mockftpd]), b: bench.MedianF(retr[bench.Baseline]), l: bench.MedianF(retr[bench.Limit]), note: note})
	return nil
}

// 4. listings of 1,000 files
func (r *runner) listings() error {
	ts, stop, err := startTargets(10)
	if err != nil {
		return err
	}
	defer stop()
	for _, t := range ts {
		if err := bench.SeedListing(t); err != nil {
			return err
		}
	}
	cs, closeAll, err := dialAll(addrsOf(ts))
	if err != nil {
		return err
	}
	defer closeAll()
	n := r.reps(60, 10)
	for _, verb := range []string{"LIST", "NLST", "MLSD"} {
		samples, err := interleave(n, bench.Kinds, func(k string) ([]time.Duration, error) {
			return one(bench.ListOnce(cs[k], verb))
		})
		if err != nil {
			return err
		}
		r.add(figure{section: "4", name: verb + " of 1,000 files (EPSV → 226)", unit: "ms",
			note: fmt.Sprintf("median of %d", n)}.medians(samples, ms))
	}
	return nil
}

// 4. 1 KiB transfers per second
func (r *runner) small() error {
	ts, stop, err := startTargets(10)
	if err != nil {
		return err
	}
	defer stop()
	for _, t := range ts {
		if err := t.WriteFile("/small", bench.PatternBytes(bench.SmallSize)); err != nil {
			return err
		}
	}
	cs, closeAll, err := dialAll(addrsOf(ts))
	if err != nil {
		return err
	}
	defer closeAll()
	rounds, per := r.reps(9, 3), r.reps(300, 50)
	stor := map[string][]float64{}
	retr := map[string][]float64{}
	for range rounds {
		for _, k := range bench.Kinds {
			v, err := bench.SmallStorRate(cs[k], "/up-", per)
			if err != nil {
				return err
			}
			stor[k] = append(stor[k], v)
			v, err = bench.SmallRetrRate(cs[k], "/small", per)
			if err != nil {
				return err
			}
			retr[k] = append(retr[k], v)
		}
	}
	note := fmt.Sprintf("one session, EPSV + command per file; median of %d rounds of %d", rounds, per)
	r.add(figure{section: "4", name: "1 KiB STOR per second", unit: "/s", higher: true,
		m: bench.MedianF(stor[bench.Mockftpd]), b: bench.MedianF(stor[bench.Baseline]), l: bench.MedianF(stor[bench.Limit]), note: note})
	r.add(figure{section: "4", name: "1 KiB RETR per second", unit: "/s", higher: true,
		m: bench.MedianF(retr[bench.Mockftpd]), b: bench.MedianF(retr[bench.Baseline]), l: bench.MedianF(retr[bench.Limit]), note: note})
	return nil
}

// 5. sessions opened at once
func (r *runner) sessions() error {
	rounds := r.reps(5, 1)
	for _, n := range []int{200, 500} {
		rates := map[string][]float64{}
		cpus := map[string][]time.Duration{}
		errs := map[string]int{}
		firstErr := map[string]error{}
		for i := range rounds {
			// Each target serves from a process of its own, as a server
			// under a client suite does: the load generator's goroutines and
			// garbage collector are not the server's. The order turns each
			// round, so that none always comes first after a wait.
			for j := range bench.Kinds {
				k := bench.Kinds[(i+j)%len(bench.Kinds)]
				// a fresh server each round: no files or sessions left from the
				// last, and no crowd of TIME_WAIT sockets slowing connect and bind
				settle(r)
				w, err := startWorker(k)
				if err != nil {
					return err
				}
				// a few sessions first, not counted: the process's first
				// connections fault in its code and grow its heap
				bench.Sessions(w.addr, fmt.Sprintf("/w%d-", i), sessionsWarmUp)
				cpu0, err0 := w.cpu()
				res := bench.Sessions(w.addr, fmt.Sprintf("/s%d-", i), n)
				cpu1, err1 := w.cpu()
				w.stop()
				if err := errors.Join(err0, err1); err != nil {
					return err
				}
				rates[k] = append(rates[k], res.PerSecond())
				cpus[k] = append(cpus[k], (cpu1-cpu0)/time.Duration(n))
				errs[k] += res.Errors
				if res.First != nil && firstErr[k] == nil {
					firstErr[k] = res.First
				}
			}
		}
		r.add(figure{section: "5", name: fmt.Sprintf("%d sessions at once (login, 1 KiB STOR+RETR, QUIT)", n), unit: "sessions/s", higher: true,
			m: bench.MedianF(rates[bench.Mockftpd]), b: bench.MedianF(rates[bench.Baseline]), l: bench.MedianF(rates[bench.Limit]),
			note: fmt.Sprintf("median of %d bursts; each target in a worker process, after %d sessions not counted", rounds, sessionsWarmUp)})
		r.add(figure{section: "5", name: fmt.Sprintf("%d sessions at once: server CPU per session", n), unit: "µs",
			note: fmt.Sprintf("median of %d bursts; user and system CPU of the worker process", rounds)}.medians(cpus, us))
		r.add(figure{section: "5", name: fmt.Sprintf("%d sessions at once: errors", n), unit: "errors",
			m: float64(errs[bench.Mockftpd]), b: float64(errs[bench.Baseline]), l: float64(errs[bench.Limit]),
			note: fmt.Sprintf("total over %d bursts", rounds)})
		for k, err := range firstErr {
			r.notes = append(r.notes, fmt.Sprintf("%d sessions, %s: first error: %v", n, k, err))
		}
	}
	return nil
}

// sessionsWarmUp is how many sessions a fresh worker serves before a
// burst is measured.
const sessionsWarmUp = 100

// 6. rule scaling
func (r *runner) rules() error {
	one, err := bench.StartMockftpd(1)
	if err != nil {
		return err
	}
	defer one.Close()
	same, err := bench.StartMockftpd(10000)
	if err != nil {
		return err
	}
	defer same.Close()
	other, err := bench.StartMockftpdScenario(bench.ScenarioOtherVerbs(10000))
	if err != nil {
		return err
	}
	defer other.Close()
	lim, err := bench.StartLimit()
	if err != nil {
		return err
	}
	defer lim.Close()
	names := []string{"1", "same", "other", "limit"}
	addrs := map[string]string{"1": one.Addr(), "same": same.Addr(), "other": other.Addr(), "limit": lim.Addr()}
	cs, closeAll, err := dialAll(addrs)
	if err != nil {
		return err
	}
	defer closeAll()
	rounds, per := r.reps(20, 4), r.reps(1000, 200)
	samples, err := interleave(rounds, names, func(k string) ([]time.Duration, error) {
		return bench.RoundTrips(cs[k], "NOOP", 200, per)
	})
	if err != nil {
		return err
	}
	m1 := us(bench.Median(samples["1"]))
	lim1 := us(bench.Median(samples["limit"]))
	r.add(figure{section: "6", name: "NOOP round trip, 1 rule", unit: "µs", m: m1, b: math.NaN(), l: lim1,
		note: fmt.Sprintf("median of %d×%d", rounds, per)})
	r.add(figure{section: "6", name: "NOOP round trip, 10,000 rules naming the measured verbs", unit: "µs",
		m: us(bench.Median(samples["same"])), b: m1, l: lim1,
		note: "×baseline column is ×(1 rule); 770 of the rules name NOOP with another argument"})
	r.add(figure{section: "6", name: "NOOP round trip, 10,000 rules naming other verbs", unit: "µs",
		m: us(bench.Median(samples["other"])), b: m1, l: lim1,
		note: "×baseline column is ×(1 rule)"})
	return nil
}

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

func (r *runner) find(prefix string) (figure, bool) {
	for _, f := range r.figs {
		if strings.HasPrefix(f.name, prefix) {
			return f, true
		}
	}
	return figure{}, false
}

// evaluate compares the figures with the targets.
func (r *runner) evaluate() {
	type rule struct {
		fig  string
		what string
		want string
		ok   func(f figure) (string, bool)
	}
	x := func(v float64) string { return fmt.Sprintf("%.2f×", v) }
	rules := []rule{
		{"STOR 256 MiB", "STOR 256 MiB vs raw TCP stream", "≥ 0.75× limit", func(f figure) (string, bool) { v := f.ratio(f.l); return x(v), v >= 0.75 }},
		{"RETR 256 MiB", "RETR 256 MiB vs raw TCP stream", "≥ 0.85× limit", func(f figure) (string, bool) { v := f.ratio(f.l); return x(v), v >= 0.85 }},
		{"Resident after", "Resident memory after deleting uploads", "≤ idle + 64 MiB", func(f figure) (string, bool) {
			return fmt.Sprintf("+%.1f MiB", f.m), f.m <= 64
		}},
		{"Peak memory", "Peak during a 256 MiB upload", "< 1.25× file size (320 MiB)", func(f figure) (string, bool) {
			return fmt.Sprintf("%.0f MiB = %.2f× file", f.m, f.m/256), f.m < 320
		}},
		{"NOOP round trip (", "NOOP round trip", "≤ 1.10× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1.10 }},
		{"NOOP round trip, 10,000 rules naming the measured", "10,000 non-matching rules (same verbs)", "≤ 1.10× the 1-rule figure", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1.10 }},
		{"NOOP round trip, 10,000 rules naming other", "10,000 non-matching rules (other verbs)", "≤ 1.10× the 1-rule figure", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1.10 }},
		{"LIST of 1,000", "LIST of 1,000 files", "≤ 0.75× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 0.75 }},
		{"1 KiB STOR", "1 KiB STOR rate", "≥ 1.5× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v >= 1.5 }},
		{"1 KiB RETR", "1 KiB RETR rate", "≥ 1.5× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v >= 1.5 }},
		{"500 sessions at once: errors", "500 sessions at once: errors", "0", func(f figure) (string, bool) { return fmt.Sprintf("%.0f", f.m), f.m == 0 }},
		{"500 sessions at once (", "500 sessions at once: rate", "≥ baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v >= 1 }},
		{"200 sessions at once (", "200 sessions at once: rate", "≥ baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v >= 1 }},
		{"Memory per held", "Memory per held session", "≤ 1.2× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1.2 }},
		{"Embedded start-to-ready", "Embedded start-to-ready", "< 2 ms median", func(f figure) (string, bool) { return fmt.Sprintf("%.2f ms", f.m), f.m < 2 }},
		{"100 servers in parallel: errors", "100 servers started in parallel", "no error", func(f figure) (string, bool) { return fmt.Sprintf("%.0f errors", f.m), f.m == 0 }},
	}
	for _, ru := range rules {
		f, ok := r.find(ru.fig)
		if !ok {
			continue
		}
		got, met := ru.ok(f)
		r.checks = append(r.checks, check{what: ru.what, want: ru.want, got: got, met: met})
	}
}

func fmtVal(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	switch {
	case unit == "errors":
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

func fmtTriple(f figure) string {
	return fmt.Sprintf("mockftpd %s  baseline %s  limit %s %s  (×b %s, ×l %s)",
		fmtVal(f.m, f.unit), fmtVal(f.b, f.unit), fmtVal(f.l, f.unit), f.unit, fmtRatio(f.ratio(f.b)), fmtRatio(f.ratio(f.l)))
}

func (r *runner) print(w io.Writer) {
	fmt.Fprintf(w, "\n%-62s %12s %12s %12s %-10s %9s %9s\n", "figure", "mockftpd", "baseline", "limit", "unit", "×baseline", "×limit")
	for _, f := range r.figs {
		fmt.Fprintf(w, "%-62s %12s %12s %12s %-10s %9s %9s\n", trunc(f.name, 62), fmtVal(f.m, f.unit), fmtVal(f.b, f.unit), fmtVal(f.l, f.unit), f.unit, fmtRatio(f.ratio(f.b)), fmtRatio(f.ratio(f.l)))
	}
	fmt.Fprintln(w)
	for _, c := range r.checks {
		mark := "MET   "
		if !c.met {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "%s %-44s want %-28s got %s\n", mark, c.what, c.want, c.got)
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func trunc(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func machineInfo() []string {
	out := []string{
		fmt.Sprintf("CPUs (nproc): %d, GOMAXPROCS %d", runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		"Go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				out = append(out, "CPU: "+strings.TrimSpace(v))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		out = append(out, "Memory: "+strings.Join(strings.Fields(first)[1:], " "))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		out = append(out, "Load average at the end of the run: "+strings.Join(strings.Fields(string(b))[:3], " "))
	}
	return out
}

// settle waits (at most 70 s) until few loopback sockets are in
// TIME_WAIT: the steps before open thousands of connections, and with
// the ephemeral port range nearly used up, connect slows down and the
// next step's figures would pay for the last one's sockets.
func settle(r *runner) {
	for i := range 70 {
		n := timeWait()
		if n < 4000 {
			return
		}
		if i == 0 {
			r.logf("  waiting for %d TIME_WAIT sockets to expire", n)
		}
		time.Sleep(time.Second)
	}
}

func timeWait() int {
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if fl := strings.Fields(line); len(fl) > 3 && fl[3] == "06" {
				n++
			}
		}
	}
	return n
}
