//go:build linux

package memfs

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux, blocks live outside the Go heap in private anonymous mappings,
// one mapping per block. This matters for uploads into memory the process
// has not used before (the first upload after start or after memory was
// returned to the operating system):
//
//   - The mapping is marked MADV_HUGEPAGE and aligned to the transparent
//     huge page size when the chunk size is a multiple of it (2 MiB on
//     x86-64 with the default chunk size). Receiving 256 MiB then takes 128
//     page faults instead of 65,536, each fault being taken inside the
//     read syscall's copy to user space. This works when THP is "always"
//     or "madvise" (the common default); with "never" the mapping simply
//     uses 4 KiB pages.
//   - The Go allocator does not zero it (the kernel hands out zeroed pages
//     once), and the garbage collector neither paces on it nor has to
//     reclaim it: a block is unmapped as soon as it is freed.
//
// Mapping can fail (for example when vm.max_map_count is reached); the
// block then falls back to the Go heap.

// hugePageSize is the PMD-sized transparent huge page size, or 0 if the
// kernel does not report one.
var hugePageSize = sync.OnceValue(func() int {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 || n&(n-1) != 0 {
		return 0
	}
	return n
})

// poisonFreed makes unmapChunk leave freed memory mapped without access
// rights instead of unmapping it, so that a use after free faults at once
// instead of possibly hitting a later mapping at the same address. Tests
// only.
var poisonFreed atomic.Bool

// mapChunk returns size bytes of zeroed off-heap memory, or nil if it
// cannot be mapped. size is a multiple of the page size.
func mapChunk(size int) []byte {
	const prot = unix.PROT_READ | unix.PROT_WRITE
	const flags = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	hp := hugePageSize()
	huge := hp > 0 && size%hp == 0
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(size), prot, flags)
	if err != nil {
		return nil
	}
	if huge && uintptr(p)%uintptr(hp) != 0 {
		// Recent kernels align large anonymous mappings by themselves;
		// otherwise map one huge page more and trim both ends.
		_ = unix.MunmapPtr(p, uintptr(size))
		q, err := unix.MmapPtr(-1, 0, nil, uintptr(size+hp), prot, flags)
		if err != nil {
			return nil
		}
		head := (uintptr(hp) - uintptr(q)%uintptr(hp)) % uintptr(hp)
		if head > 0 {
			_ = unix.MunmapPtr(q, head)
		}
		if tail := uintptr(hp) - head; tail > 0 {
			_ = unix.MunmapPtr(unsafe.Add(q, head+uintptr(size)), tail)
		}
		p = unsafe.Add(q, head)
	}
	buf := unsafe.Slice((*byte)(p), size)
	if huge {
		// Advice only: without THP support the mapping uses small pages.
		_ = unix.Madvise(buf, unix.MADV_HUGEPAGE)
	}
	return buf
}

// unmapChunk returns memory from mapChunk to the operating system.
func unmapChunk(buf []byte) {
	if poisonFreed.Load() {
		_ = unix.Madvise(buf, unix.MADV_DONTNEED)
		_ = unix.Mprotect(buf, unix.PROT_NONE)
		return
	}
	// munmap only fails for ranges that were never mapped; there is
	// nothing useful to do about that here.
	_ = unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(buf)), uintptr(len(buf)))
}
