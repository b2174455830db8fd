package memfs

import (
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rss returns the resident set size of the process, or 0 if unknown.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// TestUploadMemory measures resident memory around 256 MiB uploads over
// loopback TCP with default options: the peak must stay below 1.25x the
// file size (also when overwriting the file, thanks to chunk recycling) and
// memory must return to within 64 MiB of the starting point after the file
// is deleted (AutoRelease after the quiet period).
func TestUploadMemory(t *testing.T) {
	if testing.Short() || raceEnabled || rss() == 0 {
		t.Skip("needs /proc, no -race, no -short")
	}
	const size = 256 << 20
	fsys := New()
	fsys.Release()
	base := rss()
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				if r := rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	})
	for i := range 3 {
		peak.Store(0)
		start := time.Now()
		upload(t, fsys, size)
		d := time.Since(start)
		p := peak.Load() - base
		t.Logf("upload %d: %.0f MiB/s, peak RSS +%d MiB", i, float64(size)/d.Seconds()/(1<<20), p>>20)
		if p > size*5/4 {
			t.Errorf("upload %d: peak RSS +%d MiB exceeds 1.25x of %d MiB", i, p>>20, size>>20)
		}
	}
	if err := fsys.Remove("/up"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var after int64
	for time.Since(start) < 5*time.Second {
		if after = rss() - base; after < 64<<20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("after delete: RSS +%d MiB after %v", after>>20, time.Since(start).Round(time.Millisecond))
	if after >= 64<<20 {
		t.Errorf("RSS still +%d MiB after delete", after>>20)
	}
}

// upload stores size bytes as /up through a loopback TCP connection the
// way ftpserverlib does (io.Copy(file, conn), file opened with O_TRUNC).
func upload(t *testing.T, fsys *Fs, size int64) {
	client, server := tcpPair(t)
	go sendN(client, size)
	f, err := fsys.OpenFile("/up", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, os.ModePerm)
	if err != nil {
		t.Fatal(err)
	}
	var conn net.Conn = server
	if n, err := io.Copy(f, conn); err != nil || n != size {
		t.Fatalf("upload: %d bytes, %v", n, err)
	}
	f.Close()
	server.Close()
}
