package bench

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// BigSize is the size of the large transfers.
const BigSize = 256 << 20

// SmallSize is the size of the small transfers.
const SmallSize = 1 << 10

// ListFiles is the number of files in the listed directory.
const ListFiles = 1000

// ListDir is the directory SeedListing fills.
const ListDir = "/list"

// StartToReady starts a target and logs a client in: the time from the
// call that starts the server to the 230 reply. The target is returned
// for the caller to close.
func StartToReady(kind string, rules int) (time.Duration, Target, error) {
	t0 := time.Now()
	t, err := Start(kind, rules)
	if err != nil {
		return 0, nil, err
	}
	c, err := DialLogin(t.Addr())
	d := time.Since(t0)
	if err != nil {
		_ = t.Close()
		return 0, nil, err
	}
	_ = c.Quit()
	return d, t, nil
}

// ConnectLogin times a TCP connect, the 220 greeting and USER/PASS.
func ConnectLogin(addr string) (time.Duration, error) {
	t0 := time.Now()
	c, err := DialLogin(addr)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	return d, c.Quit()
}

// RoundTrips sends line n times, one at a time (each waits for its
// reply), and returns each round trip's duration.
func RoundTrips(c *Client, line string, want, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		code, msg, err := c.Cmd(line)
		d := time.Since(t0)
		if err != nil {
			return out, err
		}
		if code != want {
			return out, fmt.Errorf("%s: want %d, got %d %s", line, want, code, msg)
		}
		out = append(out, d)
	}
	return out, nil
}

// StorBig uploads size pattern bytes as name and returns the time from the
// EPSV to the 226.
func StorBig(c *Client, name string, size int64) (time.Duration, error) {
	t0 := time.Now()
	n, err := c.Stor(name, NewPattern(size))
	d := time.Since(t0)
	if err == nil && n != size {
		err = fmt.Errorf("STOR %s: sent %d of %d bytes", name, n, size)
	}
	return d, err
}

// RetrBig downloads name, which must hold size bytes, and returns the time
// from the EPSV to the 226.
func RetrBig(c *Client, name string, size int64) (time.Duration, error) {
	t0 := time.Now()
	n, err := c.Retr(name, nil)
	d := time.Since(t0)
	if err == nil && n != size {
		err = fmt.Errorf("RETR %s: got %d of %d bytes", name, n, size)
	}
	return d, err
}

// SeedListing fills ListDir with ListFiles small files.
func SeedListing(t Target) error {
	body := PatternBytes(100)
	for i := range ListFiles {
		if err := t.WriteFile(fmt.Sprintf("%s/file-%04d.dat", ListDir, i), body); err != nil {
			return err
		}
	}
	return nil
}

// ListOnce times one listing of ListDir (EPSV to 226) and checks that it
// is complete.
func ListOnce(c *Client, verb string) (time.Duration, error) {
	t0 := time.Now()
	n, err := c.List(verb, ListDir)
	d := time.Since(t0)
	if err == nil && n < int64(ListFiles*len("file-0000.dat\r\n")) {
		err = fmt.Errorf("%s %s: only %d bytes", verb, ListDir, n)
	}
	return d, err
}

// SmallStorRate uploads n files of SmallSize bytes one after the other and
// returns the rate per second.
func SmallStorRate(c *Client, prefix string, n int) (float64, error) {
	body := PatternBytes(SmallSize)
	t0 := time.Now()
	for i := range n {
		if err := c.StorBytes(prefix+strconv.Itoa(i%100), body); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// SmallRetrRate downloads name (SmallSize bytes) n times and returns the
// rate per second.
func SmallRetrRate(c *Client, name string, n int) (float64, error) {
	t0 := time.Now()
	for range n {
		got, err := c.Retr(name, nil)
		if err != nil {
			return 0, err
		}
		if got != SmallSize {
			return 0, fmt.Errorf("RETR %s: %d bytes", name, got)
		}
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// SessionsResult is the outcome of a burst of simultaneous sessions.
type SessionsResult struct {
	N       int
	Elapsed time.Duration
	Errors  int
	First   error // the first error, if any
}

// PerSecond is the rate of completed sessions.
func (r SessionsResult) PerSecond() float64 {
	return float64(r.N-r.Errors) / r.Elapsed.Seconds()
}

// Sessions opens n sessions at once; each logs in, stores SmallSize bytes,
// reads them back and quits. The name of each file is prefix+index.
func Sessions(addr, prefix string, n int) SessionsResult {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	body := PatternBytes(SmallSize)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = oneSession(addr, prefix+strconv.Itoa(i), body)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	r := SessionsResult{N: n, Elapsed: time.Since(t0)}
	for _, err := range errs {
		if err != nil {
			if r.First == nil {
				r.First = err
			}
			r.Errors++
		}
	}
	return r
}

func oneSession(addr, name string, body []byte) error {
	c, err := DialReady(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.StorBytes(name, body); err != nil {
		return err
	}
	got, err := c.Retr(name, nil)
	if err != nil {
		return err
	}
	if got != int64(len(body)) {
		return fmt.Errorf("RETR %s: %d bytes", name, got)
	}
	return c.Quit()
}

// HoldSessions opens n logged-in idle sessions, a few at a time; the
// caller closes them.
func HoldSessions(addr string, n int) ([]*Client, error) {
	out := make([]*Client, n)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := DialReady(addr)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			out[i] = c
		}()
	}
	wg.Wait()
	if first != nil {
		CloseAll(out)
		return nil, first
	}
	return out, nil
}

// CloseAll closes every client that is not nil.
func CloseAll(cs []*Client) {
	for _, c := range cs {
		if c != nil {
			_ = c.Close()
		}
	}
}

// ParallelServers starts n mockftpd servers at once, logs a client in to
// each, runs NOOP and a small STOR/RETR, and closes them. It returns the
// wall time and the errors.
func ParallelServers(n int) (time.Duration, []error) {
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = oneServer()
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	d := time.Since(t0)
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return d, out
}

func oneServer() error {
	t, err := StartMockftpd(10)
	if err != nil {
		return err
	}
	c, err := DialReady(t.Addr())
	if err != nil {
		return errors.Join(err, t.Close())
	}
	err = c.Expect(200, "NOOP")
	if err == nil {
		err = oneTransfer(c)
	}
	if qerr := c.Quit(); err == nil {
		err = qerr
	}
	return errors.Join(err, t.Close())
}

func oneTransfer(c *Client) error {
	body := PatternBytes(SmallSize)
	if err := c.StorBytes("/one.bin", body); err != nil {
		return err
	}
	n, err := c.Retr("/one.bin", nil)
	if err == nil && n != SmallSize {
		err = fmt.Errorf("RETR: %d bytes", n)
	}
	return err
}

// Median is the median of ds (0 for none).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// MedianF is the median of fs (0 for none).
func MedianF(fs []float64) float64 {
	if len(fs) == 0 {
		return 0
	}
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}
