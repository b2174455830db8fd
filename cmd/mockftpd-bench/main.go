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
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
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
		{"journal", r.journalLoad},
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
