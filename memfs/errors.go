package memfs

import (
	"errors"
	"os"
	"syscall"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// ErrQuotaExceeded is returned (wrapped in an *os.PathError) when a write or
// truncate would grow the bytes stored beyond [Options.Quota].
//
// It matches ftpserverlib's ErrStorageExceeded and syscall.ENOSPC with
// errors.Is, so ftpserverlib answers a failed STOR/APPE with 552
// ("Requested file action aborted, exceeded storage allocation") instead of
// the generic 451/550.
var ErrQuotaExceeded error = quotaError{}

type quotaError struct{}

func (quotaError) Error() string { return "memfs: storage quota exceeded" }

func (quotaError) Unwrap() []error {
	return []error{ftpserver.ErrStorageExceeded, syscall.ENOSPC}
}

// ErrFileTooLarge is returned (wrapped in an *os.PathError) when a write,
// a truncate or the offset of a writable handle would take a file past
// [Options.MaxFileSize]. It matches ftpserverlib's ErrStorageExceeded (so
// ftpserverlib answers 552) and syscall.EFBIG with errors.Is.
var ErrFileTooLarge = fscheck.ErrTooLarge

// ErrInvalidName is returned (wrapped in an *os.PathError or
// *os.LinkError) when a file, directory or rename target would get a name
// containing a carriage return, a line feed or a NUL byte. It matches
// ftpserverlib's ErrFileNameNotAllowed (553 to STOR, APPE and RNTO),
// fs.ErrInvalid and syscall.EINVAL with errors.Is.
var ErrInvalidName = fscheck.ErrName

// errWriteAtInAppendMode mirrors the error os.File.WriteAt returns.
var errWriteAtInAppendMode = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")

var errNegativeOffset = errors.New("negative offset")

func pathErr(op, path string, err error) error {
	return &os.PathError{Op: op, Path: path, Err: err}
}
