//go:build !unix

package server

import "os"

// ownerOf is a file's owner, group and link count: not known here.
func ownerOf(os.FileInfo) (uid, gid, links int, ok bool) { return 0, 0, 0, false }
