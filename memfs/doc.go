// Package memfs provides an in-memory [afero.Fs] tuned for mockftpd: large
// uploads and downloads run at memory/network speed, memory use stays close
// to the bytes stored, and the filesystem can be shared by many concurrent
// FTP sessions.
//
// # Storage
//
// A regular file is a list of fixed-size chunks (2 MiB by default, see
// [Options.ChunkSize]). Appending allocates new chunks and never copies the
// data already stored, so writing a 256 MiB file costs 256 MiB of memory and
// a single pass over the data (afero's MemMapFs grows one []byte and copies it
// on every growth step). Chunks are allocated lazily: regions created by
// seeking past the end or by growing Truncate are holes that read as zeros and
// use no memory. The first chunk of a small file grows geometrically, and the
// last chunk is compacted when a writable handle is closed, so a 1 KiB file
// occupies about 1 KiB.
//
// The memory of a full-size chunk is a reference-counted block. On Linux,
// blocks of at least 64 KiB live outside the Go heap, one private anonymous
// mapping each, aligned to and advised for transparent huge pages when the
// chunk size is a multiple of the huge page size (2 MiB on x86-64): storing
// 256 MiB then takes 128 page faults instead of 65,536, the Go allocator
// never zeroes chunk memory, and the garbage collector neither scans nor
// paces on it. Elsewhere, or if mapping fails, blocks are ordinary heap
// slices. The file holds one reference to each of its blocks; WriteTo holds
// one to the block it is sending while it calls conn.Write without the file
// lock; whoever drops the last reference recycles or frees the block. So a
// file may be truncated, overwritten or removed during a download, and the
// bytes being sent stay mapped and unchanged until the write returns.
// Off-heap memory is unmapped only when its count reaches zero, or by a
// runtime cleanup once the block is unreachable (the blocks of a dropped
// Fs), never while anything can still read it.
//
// Truncate, Remove, RemoveAll and replacing Rename drop chunk references
// immediately. Up to [Options.RecycleLimit] bytes of freed blocks are kept
// for reuse by later writes: memory the process has already touched needs
// neither page faults nor zeroing, which makes re-uploads about as fast as
// the network and keeps the peak memory of overwriting a file at its size.
// Once the filesystem has been quiet for [Options.ReleaseDelay] (250 ms), the
// kept blocks are freed (off-heap ones unmapped at once) and, if at least
// [Options.AutoRelease] bytes were freed, debug.FreeOSMemory runs on a timer
// goroutine so that heap memory goes back to the operating system too.
// debug.FreeOSMemory is never called on the goroutine doing file
// operations; [Fs.Release] does all of this immediately.
//
// Fresh memory is still the main cost of a first upload: the kernel must
// supply and zero every page. Huge pages make that one fault per 2 MiB, but
// in virtual machines that report free memory back to the host (virtio
// balloon free page reporting works on 2 MiB blocks) a huge page is
// usually memory the host must supply again, and faulting it in costs more
// than the small pages the guest still has at hand. Recycling, not page
// size, is what makes repeated uploads fast there.
//
// # Fast paths
//
// [File] implements [io.ReaderFrom] and [io.WriterTo]. ftpserverlib copies
// transfers with io.Copy(file, conn) for STOR and io.Copy(conn, file) for
// RETR. For STOR, io.Copy first calls (*net.TCPConn).WriteTo, which on Linux
// can only splice into Unix sockets and otherwise falls back to io.Copy with
// the connection's WriteTo hidden, which in turn calls File.ReadFrom: data is
// received straight into freshly allocated chunk memory that is then attached
// to the file without a further copy. For RETR, io.Copy calls File.WriteTo,
// which hands whole chunks to conn.Write without an intermediate buffer. Both
// fast paths are lost if the file is wrapped in a type that does not forward
// these methods (for example afero.BasePathFs or afero.ReadOnlyFs wrappers)
// or when ASCII transfer conversion is active.
//
// # Concurrency
//
// An Fs may be used from any number of goroutines. The directory tree is
// protected by one RWMutex held only for short metadata operations; file
// contents are protected by a per-file RWMutex, so transfers of different
// files never serialise on each other, and readers of a file run in parallel.
// WriteTo sends chunk memory to the network without holding the file lock; a
// writer that overwrites bytes a WriteTo may still be sending copies the
// affected chunk first (copy-on-write), so readers always see consistent
// data and the race detector stays quiet. File handles are safe for
// concurrent use, like *os.File.
//
// # Semantics
//
// Paths are cleaned like afero.MemMapFs does (OS separators accepted, "."
// and ".." resolved) and are always relative to the root, so "a/b", "/a/b"
// and "/x/../a/b" name the same file. Unlike MemMapFs, memfs follows POSIX
// where the two differ: missing parent directories are not created
// implicitly (ENOENT), removing a non-empty directory fails with ENOTEMPTY,
// handles honour their access mode (EBADF), O_APPEND writes always go to the
// current end of file, WriteAt/ReadAt do not move the file offset, ReadAt
// reports io.EOF on short reads, Create truncates an existing file in place,
// and Rename replaces a file target like rename(2). Errors are *os.PathError
// values wrapping syscall errnos, so os.IsNotExist, errors.Is(err,
// fs.ErrExist) and friends work. Directories report size 0.
package memfs
