package memfs

import (
	"sync"
	"time"
)

// recycler keeps full-size chunks freed by truncation and removal for reuse.
// Reusing memory the process has already touched avoids both the page faults
// of fresh memory and the zeroing the Go allocator does for reused heap
// memory, which together cost more than the network copy itself. Chunk
// contents are never assumed to be zero, so recycled chunks are handed out
// as they are.
//
// After a quiet period (no chunk freed or reused) the kept chunks are
// dropped, so that idle memory goes to the garbage collector and, from
// there, back to the operating system.
type recycler struct {
	size  int // chunk size
	limit int // max chunks kept; 0 disables keeping
	delay time.Duration

	mu     sync.Mutex
	free   [][]byte
	active bool // chunks were freed or reused since the timer was armed
	timer  *time.Timer
}

// get returns a chunk of len and cap r.size with arbitrary contents.
func (r *recycler) get() []byte {
	r.mu.Lock()
	if k := len(r.free); k > 0 {
		c := r.free[k-1]
		r.free[k-1] = nil
		r.free = r.free[:k-1]
		r.active = true
		r.mu.Unlock()
		return c[:r.size]
	}
	r.mu.Unlock()
	return make([]byte, r.size)
}

// put takes chunks no longer referenced by any file or reader. Chunks that
// are not full-size, or beyond the limit, are left to the garbage collector.
func (r *recycler) put(chunks ...[]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range chunks {
		if cap(c) == r.size && len(r.free) < r.limit {
			r.free = append(r.free, c)
		}
	}
	r.active = true
	r.arm()
}

// arm starts the idle timer if it is not running. Callers hold r.mu.
func (r *recycler) arm() {
	if r.timer == nil && len(r.free) > 0 {
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
	r.drop()
	r.mu.Unlock()
}

// drop forgets all kept chunks. Callers hold r.mu.
func (r *recycler) drop() {
	clear(r.free)
	r.free = nil
}

// stop cancels the idle timer and drops kept chunks.
func (r *recycler) stop() {
	r.mu.Lock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.drop()
	r.mu.Unlock()
}

// kept returns the number of chunks held for reuse.
func (r *recycler) kept() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.free)
}
