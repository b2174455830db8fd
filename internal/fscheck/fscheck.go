// Package fscheck holds the rules every filesystem mockftpd serves applies
// to what clients make: which names may be created, and how large a file
// may grow. memfs and hostfs share them, so both backends refuse the same
// things with the same errors.
package fscheck

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	ftpserver "github.com/fclairamb/ftpserverlib"
)

// ErrName is returned (wrapped in an *os.PathError or *os.LinkError) when a
// name to be created contains a carriage return, a line feed or a NUL byte.
// Such names could end an FTP reply line early or be cut short by the
// operating system, so no file, directory or rename target may carry one.
//
// It matches ftpserverlib's ErrFileNameNotAllowed (a 553 reply to STOR,
// APPE and RNTO), fs.ErrInvalid and syscall.EINVAL with errors.Is.
var ErrName error = nameError{}

type nameError struct{}

func (nameError) Error() string { return "file name contains CR, LF or NUL" }

func (nameError) Unwrap() []error {
	return []error{ftpserver.ErrFileNameNotAllowed, fs.ErrInvalid, syscall.EINVAL}
}

// CheckName returns ErrName if name contains CR, LF or NUL.
func CheckName(name string) error {
	if strings.ContainsAny(name, "\r\n\x00") {
		return ErrName
	}
	return nil
}

// ErrTooLarge is returned (wrapped) when a write, a truncate or the offset
// of a writable handle would take a file past the largest size allowed.
//
// It matches ftpserverlib's ErrStorageExceeded (a 552 reply, "exceeded
// storage allocation") and syscall.EFBIG with errors.Is.
var ErrTooLarge error = tooLargeError{}

type tooLargeError struct{}

func (tooLargeError) Error() string { return "file too large" }

func (tooLargeError) Unwrap() []error {
	return []error{ftpserver.ErrStorageExceeded, syscall.EFBIG}
}

// TooLarge returns ErrTooLarge with the limit in its message.
func TooLarge(limit int64) error {
	return fmt.Errorf("%w: the maximum file size is %d bytes", ErrTooLarge, limit)
}
