package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

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
		{"STOR 256 MiB vs the raw stream into fresh", "STOR 256 MiB vs raw TCP into fresh memory (the storing limit)", "≥ 0.75× that limit", func(f figure) (string, bool) { v := f.ratio(f.l); return x(v), v >= 0.75 }},
		{"RETR 256 MiB", "RETR 256 MiB vs raw TCP stream", "≥ 0.85× limit", func(f figure) (string, bool) { v := f.ratio(f.l); return x(v), v >= 0.85 }},
		{"Resident after", "Resident memory after deleting uploads", "≤ idle + 64 MiB", func(f figure) (string, bool) {
			return fmt.Sprintf("+%.1f MiB", f.m), f.m <= 64
		}},
		{"Peak memory", "Peak during a 256 MiB upload", "< 1.25× file size (320 MiB)", func(f figure) (string, bool) {
			return fmt.Sprintf("%.0f MiB = %.2f× file", f.m, f.m/256), f.m < 320
		}},
		{"NOOP round trip (", "NOOP round trip", "≤ 1.25× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1.25 }},
		{"NOOP round trip p99, journal", "NOOP p99, journal of 100,000 + Wait + reader", "≤ 2× without", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 2 }},
		{"NOOP round trip, 10,000 rules naming the measured", "10,000 non-matching rules (same verbs)", "≤ 1.10× the 1-rule figure", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1.10 }},
		{"NOOP round trip, 10,000 rules naming other", "10,000 non-matching rules (other verbs)", "≤ 1.10× the 1-rule figure", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1.10 }},
		{"LIST of 1,000", "LIST of 1,000 files", "≤ 0.5× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 0.5 }},
		{"200 sessions at once: errors", "200 sessions at once: errors", "0", func(f figure) (string, bool) { return fmt.Sprintf("%.0f", f.m), f.m == 0 }},
		{"500 sessions at once: errors", "500 sessions at once: errors", "0", func(f figure) (string, bool) { return fmt.Sprintf("%.0f", f.m), f.m == 0 }},
		{"200 sessions at once (", "200 sessions at once: rate", "≥ 1.5× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v >= 1.5 }},
		{"500 sessions at once (", "500 sessions at once: rate", "≥ 1.5× baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v >= 1.5 }},
		{"Memory per held", "Memory per held idle session", "≤ baseline", func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v <= 1 }},
		{"Embedded start-to-ready", "Embedded start-to-ready", "< 1 ms median", func(f figure) (string, bool) { return fmt.Sprintf("%.2f ms", f.m), f.m < 1 }},
		{"100 servers in parallel: errors", "100 servers started in parallel", "no error", func(f figure) (string, bool) { return fmt.Sprintf("%.0f errors", f.m), f.m == 0 }},
	}
	// the per-transfer issue: 1 KiB transfers at least at pure-ftpd's rate
	// when it ran beside, else ≥ 1.6× bare ftpserverlib
	for _, verb := range []string{"STOR", "RETR"} {
		fig, want, min := "1 KiB "+verb+" per second", "≥ 1.6× baseline", 1.6
		if _, ok := r.find(fig + ", pure-ftpd"); ok {
			fig, want, min = fig+", pure-ftpd", "≥ pure-ftpd's rate", 1
		}
		rules = append(rules, rule{fig, "1 KiB " + verb + " rate", want, func(f figure) (string, bool) { v := f.ratio(f.b); return x(v), v >= min }})
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
