//go:build unix

package server

import (
	"os"
	"syscall"
)

// ownerOf is a file's owner, group and link count, where its
// filesystem is the host's.
func ownerOf(fi os.FileInfo) (uid, gid, links int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0, false
	}
	return int(st.Uid), int(st.Gid), int(st.Nlink), true
}
