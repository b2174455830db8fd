// Package memfs provides an in-memory [afero.Fs] tuned for mockftpd: large
// uploads and downloads run at memory/network speed, memory use stays close
// to the bytes stored, and the filesystem can be shared by many concurrent
// FTP sessions.
//
// # Storage
//
// A regular file is a sorted list of fixed-size chunks (1 MiB by default,
// see [Options.ChunkSize]). Appending allocates new chunks and never copies
// the data already stored, so writing a 256 MiB file costs 256 MiB of
// memory and a single pass over the data (afero's MemMapFs grows one []byte
// and copies it on every growth step). Only chunks that were written to are
// stored: regions created by seeking past the end or by growing Truncate
// are holes that read as zeros and cost no memory, however large, so a
// one-byte upload at offset 2^62 stores one chunk. The first chunk of a
// small file grows geometrically, and the last chunk is compacted when a
// writable handle is closed, so a 1 KiB file occupies about 1 KiB.
//
// No file grows past [Options.MaxFileSize] (16 GiB by default): a write,
// a truncate or the offset of a writable handle past it fails with
// [ErrFileTooLarge], which ftpserverlib answers with 552. [Options.Quota]
// bounds the sum of all file sizes.
//
// [Fs.Generate] makes a file whose content is computed on demand and never
// stored: a terabyte file is listed, read and sent with constant memory.
// Writing into it stores only the chunks written to.
//
// Truncate, Remove, RemoveAll and replacing Rename drop chunk references
// immediately. Up to [Options.RecycleLimit] bytes of freed full-size chunks
// are kept for reuse by later writes: memory the process has already touched
// needs neither page faults nor zeroing, which makes re-uploads about as fast
// as the network and keeps the peak memory of overwriting a file at its size.
// Once the filesystem has been quiet for [Options.ReleaseDelay] (250 ms), the
// kept chunks are dropped and their memory is the garbage collector's, which
// gives it back to the operating system at the runtime's pace (the next
// collection, then the background scavenger). memfs never forces a
// collection, which would stop the whole program it runs in; [Fs.Release]
// drops the kept chunks at once, and a program that wants the memory back
// immediately calls debug.FreeOSMemory after it.
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
// fs.ErrExist) and friends work. Directories report size 0. Names with a
// carriage return, a line feed or a NUL byte cannot be created
// ([ErrInvalidName]): they would break the lines of an FTP reply.
package memfs
