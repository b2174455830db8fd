//go:build unix

package dialectprobe

import (
	"time"

	"golang.org/x/sys/unix"
)

// lchtimes sets a symbolic link's own times (os.Chtimes follows it).
func lchtimes(p string, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}
