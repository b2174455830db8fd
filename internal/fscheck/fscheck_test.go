package fscheck

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	ftpserver "github.com/fclairamb/ftpserverlib"
)

func TestCheckName(t *testing.T) {
	for _, name := range []string{"/a", "/a b", "/ä", "/a\tb", ""} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"/a\rb", "/a\nb", "/a\x00b", "/d\r\n212 forged/x", "\n"} {
		err := CheckName(name)
		if !errors.Is(err, ErrName) || !errors.Is(err, ftpserver.ErrFileNameNotAllowed) ||
			!errors.Is(err, fs.ErrInvalid) || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}

func TestTooLarge(t *testing.T) {
	err := TooLarge(16 << 30)
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ftpserver.ErrStorageExceeded) || !errors.Is(err, syscall.EFBIG) {
		t.Errorf("%v does not match its sentinels", err)
	}
	if got, want := err.Error(), "file too large: the maximum file size is 17179869184 bytes"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
