package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/mockftpd/mockftpd/internal/bench"
	"github.com/mockftpd/mockftpd/internal/realftpd"
)

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
	kinds := bench.Kinds
	peers := r.peers()
	for _, p := range peers {
		defer p.close()
		cs[p.name] = p.c
		kinds = append(slices.Clone(kinds), p.name)
	}
	rounds, per := r.reps(20, 4), r.reps(1000, 200)
	for _, cmd := range []struct {
		line string
		code int
	}{{"NOOP", 200}, {"PWD", 257}} {
		samples, err := interleave(rounds, kinds, func(k string) ([]time.Duration, error) {
			return bench.RoundTrips(cs[k], cmd.line, cmd.code, per)
		})
		if err != nil {
			return err
		}
		note := fmt.Sprintf("median of %d×%d, targets interleaved", rounds, per)
		r.add(figure{section: "3", name: cmd.line + " round trip (one at a time)", unit: "µs", note: note}.medians(samples, us))
		for _, p := range peers {
			r.add(figure{section: "3", name: cmd.line + " round trip, " + p.name + " as the baseline", unit: "µs",
				m: us(bench.Median(samples[bench.Mockftpd])), b: us(bench.Median(samples[p.name])), l: math.NaN(),
				note: fmt.Sprintf("×baseline column is ×%s (Debian, run by `internal/realftpd`), in the same rounds; %s", p.name, note)})
		}
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
	var fresh []float64 // the storing limit, interleaved with the targets
	for i := range n {
		d, err := bench.FreshStream(size)
		if err != nil {
			return err
		}
		fresh = append(fresh, mibps(size, d))
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
	r.add(figure{section: "4", name: "STOR 256 MiB vs the raw stream into fresh memory", unit: "MiB/s", higher: true,
		m: bench.MedianF(stor[bench.Mockftpd]), b: bench.MedianF(stor[bench.Baseline]), l: bench.MedianF(fresh),
		note: fmt.Sprintf("median of %d; limit: raw loopback TCP received into 1 MiB chunks fresh from the OS (`bench.FreshStream`)", n)})
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
	kinds := bench.Kinds
	dirs := map[string]string{} // where each target stores and reads
	peers := r.peers()
	for _, p := range peers {
		defer p.close()
		cs[p.name] = p.c
		kinds = append(slices.Clone(kinds), p.name)
		dirs[p.name] = "/up" // their roots are read-only
	}
	rounds, per := r.reps(9, 3), r.reps(300, 50)
	stor := map[string][]float64{}
	retr := map[string][]float64{}
	for range rounds {
		for _, k := range kinds {
			v, err := bench.SmallStorRate(cs[k], dirs[k]+"/up-", per)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			stor[k] = append(stor[k], v)
			v, err = bench.SmallRetrRate(cs[k], dirs[k]+"/small", per)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			retr[k] = append(retr[k], v)
		}
	}
	note := fmt.Sprintf("one session, EPSV + command per file; median of %d rounds of %d", rounds, per)
	r.add(figure{section: "4", name: "1 KiB STOR per second", unit: "/s", higher: true,
		m: bench.MedianF(stor[bench.Mockftpd]), b: bench.MedianF(stor[bench.Baseline]), l: bench.MedianF(stor[bench.Limit]), note: note})
	r.add(figure{section: "4", name: "1 KiB RETR per second", unit: "/s", higher: true,
		m: bench.MedianF(retr[bench.Mockftpd]), b: bench.MedianF(retr[bench.Baseline]), l: bench.MedianF(retr[bench.Limit]), note: note})
	for _, p := range peers {
		pnote := fmt.Sprintf("×baseline column is ×%s (Debian, run by `internal/realftpd`), measured in the same rounds; %s", p.name, note)
		r.add(figure{section: "4", name: "1 KiB STOR per second, " + p.name + " as the baseline", unit: "/s", higher: true,
			m: bench.MedianF(stor[bench.Mockftpd]), b: bench.MedianF(stor[p.name]), l: math.NaN(), note: pnote})
		r.add(figure{section: "4", name: "1 KiB RETR per second, " + p.name + " as the baseline", unit: "/s", higher: true,
			m: bench.MedianF(retr[bench.Mockftpd]), b: bench.MedianF(retr[p.name]), l: math.NaN(), note: pnote})
	}
	return nil
}

// peerKinds are the real servers the round trips and the 1 KiB figures
// run beside mockftpd when they are installed: pure-ftpd, the issue's
// reference for small transfers, and vsftpd.
var peerKinds = []realftpd.Kind{realftpd.PureFTPd, realftpd.VSFTPD}

// peer is a real FTP server running beside the targets, with a client
// logged in to it.
type peer struct {
	name  string
	c     *bench.Client
	close func()
}

// peers starts each of peerKinds that can run here and logs a client in,
// ready to transfer; one that cannot run is left out, with a note in the
// report saying why.
func (r *runner) peers() []peer {
	var out []peer
	for _, kind := range peerKinds {
		p, err := startPeer(kind)
		if err != nil {
			note := fmt.Sprintf("figures without %s as a peer: %v (scripts/install-ftp-servers.sh installs it)", kind, err)
			if !slices.Contains(r.notes, note) {
				r.notes = append(r.notes, note)
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

func startPeer(kind realftpd.Kind) (peer, error) {
	s, stop, err := realftpd.Run(kind, realftpd.Options{Files: map[string]string{
		"up/":      "",
		"up/small": string(bench.PatternBytes(bench.SmallSize)),
	}})
	if err != nil {
		return peer{}, err
	}
	c, err := bench.Dial(s.Addr)
	if err == nil {
		if err = c.LoginAs(s.User, s.Password); err == nil {
			err = c.Expect(200, "TYPE I")
		}
		if err != nil {
			_ = c.Close()
		}
	}
	if err != nil {
		stop()
		return peer{}, err
	}
	return peer{name: string(kind), c: c, close: func() { _ = c.Close(); stop() }}, nil
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

// 6. the journal under load: NOOP round trips on a server whose journal
// holds 100,000 entries, with a Wait pending and the admin API reading the
// whole journal every 500 ms, against the same server without
func (r *runner) journalLoad() error {
	plain, err := bench.StartMockftpd(10)
	if err != nil {
		return err
	}
	defer plain.Close()
	loaded, err := bench.StartMockftpd(10)
	if err != nil {
		return err
	}
	defer loaded.Close()
	stop := bench.JournalLoad(loaded, bench.JournalEntries, bench.JournalReadEvery)
	defer stop()
	names := []string{"plain", "loaded"}
	cs, closeAll, err := dialAll(map[string]string{"plain": plain.Addr(), "loaded": loaded.Addr()})
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
	note := fmt.Sprintf("%d×%d; ×baseline column is ×(the same server without the load); the admin API reads the whole journal every %s", rounds, per, bench.JournalReadEvery)
	r.add(figure{section: "6", name: "NOOP round trip p99, journal of 100,000 entries + Wait + admin reader", unit: "µs",
		m: us(bench.Percentile(samples["loaded"], 0.99)), b: us(bench.Percentile(samples["plain"], 0.99)), l: math.NaN(), note: "99th percentile of " + note})
	r.add(figure{section: "6", name: "NOOP round trip median, journal of 100,000 entries + Wait + admin reader", unit: "µs",
		m: us(bench.Median(samples["loaded"])), b: us(bench.Median(samples["plain"])), l: math.NaN(), note: "median of " + note})
	return nil
}
