package memfs

import (
	"runtime"
	"sync/atomic"
)

// block is the memory of one full-size chunk: len(buf) == cap(buf) == the
// chunk size. Blocks are the only memory memfs recycles and the only memory
// it may place outside the Go heap (see offheap_linux.go); smaller chunks
// (the start of a small file, a compacted tail) are ordinary heap slices
// without a block.
//
// # Lifetime
//
// A block is reference counted. Each holder of a reference may use buf; the
// holders are:
//
//   - a file: every node.chunks entry with a non-nil blk owns one reference;
//   - a WriteTo call sending bytes of the block without the file lock: it
//     takes a reference (under the file's read lock, while the chunk is
//     still in the file, so the count is at least 1 and never comes back
//     from 0) and drops it after conn.Write returned;
//   - ReadFrom's staging buffer, until it is adopted by the file (the
//     reference moves to the file) or handed back.
//
// Whoever drops the last reference hands the block to the recycler
// (recycler.unref, recycler.release), which keeps it for reuse or frees it.
// Freeing off-heap memory unmaps it, so a count that is too low would crash
// the process: every code path that removes a chunk from a file goes
// through node.release, exactly once per removed chunk, and no code touches
// block memory without either holding the file lock while the chunk is in
// the file, or holding a reference of its own. The tests check both
// directions: memory freed too early faults (poisonFreed), and every block
// must be freed once all files are removed (recycler.blocks).
//
// Every off-heap block also has a runtime cleanup, which unmaps the memory of a
// block that became unreachable without being freed: the blocks of an Fs
// that is dropped without removing its files, or a block leaked by a
// counting bug. That is safe because every holder of buf also holds the
// *block, so an unreachable block has no users. Blocks freed through the
// count cancel their cleanup first.
type block struct {
	buf     []byte
	refs    atomic.Int32
	offHeap bool // buf is mapped by mapChunk, not Go heap memory
	cleanup runtime.Cleanup
}

// offHeapBytes is the off-heap chunk memory currently mapped, for tests
// and diagnostics.
var offHeapBytes atomic.Int64

// newBlock returns a block of size bytes with one reference. Off-heap
// memory is used when offHeap is set and mapping succeeds; otherwise the
// block lives on the Go heap.
func newBlock(size int, offHeap bool) *block {
	b := &block{}
	if offHeap {
		if buf := mapChunk(size); buf != nil {
			b.buf, b.offHeap = buf, true
			offHeapBytes.Add(int64(size))
		}
	}
	if b.buf == nil {
		b.buf = make([]byte, size)
	}
	b.refs.Store(1)
	if b.offHeap {
		b.cleanup = runtime.AddCleanup(b, freeUnreachable, b.buf)
	}
	return b
}

// freeUnreachable is the cleanup of an off-heap block that became
// unreachable without being freed.
func freeUnreachable(mem []byte) {
	unmapChunk(mem)
	offHeapBytes.Add(-int64(len(mem)))
}

// ref adds a reference. The caller must already hold one, or hold the lock
// of a file whose chunks hold one, so the count never rises from zero.
func (b *block) ref() { b.refs.Add(1) }

// unref drops a reference and reports whether it was the last one; the
// caller then owns the block exclusively and must free or recycle it.
func (b *block) unref() bool {
	switch r := b.refs.Add(-1); {
	case r == 0:
		return true
	case r < 0:
		panic("memfs: block reference count below zero")
	}
	return false
}

// free gives the block's memory back: off-heap memory is unmapped at once,
// heap memory is left to the garbage collector. The block must have no
// references and must not be used afterwards.
func (b *block) free() {
	if b.refs.Load() != 0 {
		panic("memfs: freeing a referenced block")
	}
	b.cleanup.Stop()
	if b.offHeap {
		unmapChunk(b.buf)
		offHeapBytes.Add(-int64(len(b.buf)))
	}
	b.buf = nil
}
