package memfs

import (
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// minOffHeapChunk is the smallest chunk size for which blocks are mapped
// outside the Go heap; smaller chunks (only useful in tests) would cost a
// system call per few kilobytes.
const minOffHeapChunk = 64 << 10

// recycler allocates blocks and keeps blocks whose last reference was
// dropped for reuse. Reusing memory the process has already touched avoids
// the page faults of fresh memory (and, for heap blocks, the zeroing the Go
// allocator does for reused heap memory), which together cost more than
// the network copy itself. Block contents are never assumed to be zero, so
// recycled blocks are handed out as they are.
//
// After a quiet period (no block freed or reused) the kept blocks are freed
// (off-heap blocks are unmapped at once) and, if enough data was freed,
// debug.FreeOSMemory is called from the timer's goroutine, so idle memory
// goes back to the operating system.
type recycler struct {
	size    int  // chunk size
	offHeap bool // map blocks outside the Go heap when possible
	limit   int  // max blocks kept; 0 disables keeping
	delay   time.Duration
	// releaseAt is the freed-bytes threshold for FreeOSMemory; < 0 never.
	releaseAt int64

	// blocks counts the blocks allocated and not yet freed through the
	// reference count (held by files, readers or the free list).
	blocks atomic.Int64

	mu     sync.Mutex
	free   []*block
	freed  int64 // bytes freed since the last release
	active bool  // blocks were freed or reused since the timer was armed
	timer  *time.Timer
}

func newRecycler(size int, limit int64, delay time.Duration, releaseAt int64) recycler {
	return recycler{
		size:      size,
		offHeap:   size >= minOffHeapChunk && size%os.Getpagesize() == 0,
		limit:     int(max(limit, 0) / int64(size)),
		delay:     delay,
		releaseAt: releaseAt,
	}
}

// get returns a block with one reference (the caller's) and arbitrary
// contents.
func (r *recycler) get() *block {
	r.mu.Lock()
	if k := len(r.free); k > 0 {
		b := r.free[k-1]
		r.free[k-1] = nil
		r.free = r.free[:k-1]
		r.active = true
		r.mu.Unlock()
		b.refs.Store(1)
		return b
	}
	r.mu.Unlock()
	r.blocks.Add(1)
	return newBlock(r.size, r.offHeap)
}

// unref drops one reference to b and recycles b if it was the last one.
func (r *recycler) unref(b *block) {
	if b.unref() {
		r.put(0, b)
	}
}

// release records that freed bytes of file data were released and drops
// the references that chunks hold to their blocks, recycling the blocks
// whose last reference that was. It is the only way chunks removed from a
// file give up their memory.
func (r *recycler) release(freed int64, chunks []chunk) {
	var last []*block
	for _, c := range chunks {
		if c.blk != nil && c.blk.unref() {
			last = append(last, c.blk)
		}
	}
	if freed > 0 || len(last) > 0 {
		r.put(freed, last...)
	}
}

// put takes blocks without references. Blocks beyond the limit are freed.
// freedBytes is the file data released along with them (for AutoRelease).
func (r *recycler) put(freedBytes int64, blocks ...*block) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range blocks {
		if len(r.free) < r.limit {
			r.free = append(r.free, b)
		} else {
			b.free()
			r.blocks.Add(-1)
		}
	}
	r.freed += freedBytes
	r.active = true
	r.arm()
}

// arm starts the idle timer if it is not running. Callers hold r.mu.
func (r *recycler) arm() {
	if r.timer == nil && (len(r.free) > 0 || r.freed > 0) {
		r.active = false
		r.timer = time.AfterFunc(r.delay, r.idle)
	}
}

func (r *recycler) idle() {
	r.mu.Lock()
	r.timer = nil
	if r.active {
		r.arm()
		r.mu.Unlock()
		return
	}
	release := r.releaseAt >= 0 && r.freed+int64(len(r.free)*r.size) >= r.releaseAt
	r.drop()
	r.mu.Unlock()
	if release {
		debug.FreeOSMemory()
	}
}

// drop frees all kept blocks. Callers hold r.mu.
func (r *recycler) drop() {
	for _, b := range r.free {
		b.free()
	}
	r.blocks.Add(-int64(len(r.free)))
	clear(r.free)
	r.free = nil
	r.freed = 0
}

// stop cancels the idle timer and frees kept blocks.
func (r *recycler) stop() {
	r.mu.Lock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.drop()
	r.mu.Unlock()
}

// kept returns the number of blocks held for reuse.
func (r *recycler) kept() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.free)
}
