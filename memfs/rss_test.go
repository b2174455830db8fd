package memfs

import (
	"io"
	"net"
	"os"
	"runtime/debug"
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
// file size (also when overwriting the file, thanks to chunk recycling).
// After the file is deleted and the recycler's quiet period has passed,
// memfs must hold none of the memory: memfs never forces a collection, so
// the test does what a program wanting the memory back at once does
// (debug.FreeOSMemory), and resident memory must then be within 64 MiB of
// the starting point. Without it, the memory goes back at the Go runtime's
// pace (the next collection, then the scavenger); the log shows how much
// was still resident before it.
func TestUploadMemory(t *testing.T) {
	if testing.Short() || raceEnabled || rss() == 0 {
		t.Skip("needs /proc, no -race, no -short")
	}
	const size = 256 << 20
	fsys := New()
	debug.FreeOSMemory()
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
	deadline := time.Now().Add(5 * time.Second)
	for fsys.rec.kept() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	unforced := rss() - base
	debug.FreeOSMemory()
	after := rss() - base
	t.Logf("after delete: RSS +%d MiB with no collection forced, +%d MiB after debug.FreeOSMemory", unforced>>20, after>>20)
	if k := fsys.rec.kept(); k > 0 {
		t.Errorf("%d chunks still kept after the quiet period", k)
	}
	if after >= 64<<20 {
		t.Errorf("RSS still +%d MiB after delete and debug.FreeOSMemory: memfs holds freed memory", after>>20)
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
