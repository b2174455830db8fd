package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mockftpd/mockftpd/internal/bench"
)

// The memory figures and the process start figures of the baseline and
// the limit come from a child process per measurement: this program run
// again as "-worker". A worker starts one target, prints "ADDR host:port"
// and then answers commands on its standard input, one per line:
//
//	rss     prints "RSS <VmRSS kB> <VmHWM kB>"
//	peak0   resets VmHWM (via /proc/self/clear_refs)
//	cpu     prints "CPU <user+system CPU time used so far, ns>"
//	quit    exits

func runWorker(kind string) int {
	raiseNoFile()
	t, err := bench.Start(kind, 10)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	fmt.Printf("ADDR %s\n", t.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "rss":
			rss, hwm, err := readRSS()
			if err != nil {
				fmt.Println("ERR", err)
				continue
			}
			fmt.Printf("RSS %d %d\n", rss, hwm)
		case "peak0":
			err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
			if err != nil {
				fmt.Println("ERR", err)
				continue
			}
			fmt.Println("OK")
		case "cpu":
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
				fmt.Println("ERR", err)
				continue
			}
			fmt.Printf("CPU %d\n", ru.Utime.Nano()+ru.Stime.Nano())
		case "quit":
			return 0
		default:
			fmt.Println("ERR unknown command")
		}
	}
	return 0
}

// readRSS reads VmRSS and VmHWM (kB) of this process.
func readRSS() (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc/self/status")
	}
	return rss, hwm, nil
}

// raiseNoFile lifts the soft file descriptor limit to the hard one:
// 1,000 held sessions need about 2,000 descriptors on each side.
func raiseNoFile() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// worker is the parent's handle on a worker process.
type worker struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
}

// startWorker runs this program as a worker for kind.
func startWorker(kind string) (*worker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-worker", kind)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := w.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		w.stop()
		return nil, fmt.Errorf("worker %s: %q %v", kind, line, err)
	}
	w.addr = strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
	return w, nil
}

func (w *worker) ask(cmd string) (string, error) {
	if _, err := io.WriteString(w.in, cmd+"\n"); err != nil {
		return "", err
	}
	line, err := w.out.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "ERR") {
		return "", errors.New(line)
	}
	return line, nil
}

// rss returns the worker's VmRSS and VmHWM in bytes.
func (w *worker) rss() (int64, int64, error) {
	line, err := w.ask("rss")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(line)
	if len(f) != 3 {
		return 0, 0, fmt.Errorf("bad answer %q", line)
	}
	rss, _ := strconv.ParseInt(f[1], 10, 64)
	hwm, _ := strconv.ParseInt(f[2], 10, 64)
	return rss << 10, hwm << 10, nil
}

// cpu returns the CPU time (user and system) the worker has used so far.
func (w *worker) cpu() (time.Duration, error) {
	line, err := w.ask("cpu")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		return 0, fmt.Errorf("bad answer %q", line)
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	return time.Duration(ns), err
}

func (w *worker) stop() {
	_, _ = io.WriteString(w.in, "quit\n")
	_ = w.in.Close()
	done := make(chan struct{})
	go func() {
		_ = w.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = w.cmd.Process.Kill()
		<-done
	}
}

// processStart runs argv and returns the time until a client has read
// the 220 greeting; the address is the one after "addr=" or "ADDR " in
// the first output line that has one (stderr for mockftpd's log, stdout
// for a worker).
func processStart(argv []string, fromStderr bool) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var pipe io.ReadCloser
	var err error
	if fromStderr {
		pipe, err = cmd.StderrPipe()
	} else {
		pipe, err = cmd.StdoutPipe()
	}
	if err != nil {
		return 0, err
	}
	if !fromStderr {
		// a worker quits at the end of its input: keep it open until it is stopped
		r, w, perr := os.Pipe()
		if perr != nil {
			return 0, perr
		}
		defer w.Close()
		defer r.Close()
		cmd.Stdin = r
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			_, _ = io.Copy(io.Discard, pipe)
			_ = cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	br := bufio.NewReader(pipe)
	addr := ""
	for range 20 {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return 0, fmt.Errorf("%s: no address in its output: %w", argv[0], err)
		}
		if i := bytes.Index(line, []byte("addr=")); i >= 0 {
			addr = strings.Fields(string(line[i+5:]))[0]
			break
		}
		if rest, ok := bytes.CutPrefix(line, []byte("ADDR ")); ok {
			addr = strings.TrimSpace(string(rest))
			break
		}
	}
	if addr == "" {
		return 0, fmt.Errorf("%s: no address in its first lines", argv[0])
	}
	c, err := bench.Dial(addr)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	_ = c.Close()
	return d, nil
}
