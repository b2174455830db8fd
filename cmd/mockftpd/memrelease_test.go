package main

import (
	"context"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/memfs"
)

// released is the heap memory the Go runtime has given back to the
// operating system (the race detector's shadow memory, which stays, is
// not counted, as VmRSS would).
func released() int64 {
	m := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(m)
	return int64(m[0].Value.Uint64())
}

// TestReleaseMemory: once uploads are deleted and the server is quiet,
// the binary gives their memory back to the operating system.
func TestReleaseMemory(t *testing.T) {
	fs := memfs.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		releaseMemory(ctx, fs)
	}()
	defer func() { cancel(); <-done }()
	const size = 192 << 20
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	f, err := fs.Create("/big")
	if err != nil {
		t.Fatal(err)
	}
	for range size / len(buf) {
		if _, err := f.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	before := released()
	if err := fs.Remove("/big"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if released()-before >= size/2 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("10 s after deleting a %d MiB file, %d MiB went back to the OS", size>>20, (released()-before)>>20)
}
