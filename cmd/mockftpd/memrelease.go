package main

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/mockftpd/mockftpd/memfs"
)

// Bounds of releaseMemory: how much the stored bytes must have dropped,
// and how often it looks.
const (
	releaseDrop  = 64 << 20
	releaseEvery = 500 * time.Millisecond
)

// releaseMemory gives the memory of deleted files back to the operating
// system. memfs drops deleted files' chunks, but the Go runtime returns
// freed memory only after its next collection, which an idle server may
// not run for two minutes: three 256 MiB uploads deleted kept the process
// at 800 MB resident. So once the bytes stored have dropped by releaseDrop
// or more since the last release and the server is quiet (the figure did
// not change since the last look), the binary drops memfs's recycled
// chunks and calls debug.FreeOSMemory. This lives in the binary, not in
// the library: a forced collection stops the whole program, which an
// embedding test binary should decide for itself.
func releaseMemory(ctx context.Context, fs *memfs.Fs) {
	t := time.NewTicker(releaseEvery)
	defer t.Stop()
	_, high := fs.Usage()
	last := high
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, now := fs.Usage()
		high = max(high, now)
		if quiet := now == last; quiet && high-now >= releaseDrop {
			fs.Release()
			debug.FreeOSMemory()
			high = now
		}
		last = now
	}
}
