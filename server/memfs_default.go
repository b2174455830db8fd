package server

import (
	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/memfs"
)

// newMemFs is the default in-memory filesystem: memfs, whose files keep
// the io.ReaderFrom/io.WriterTo fast paths for STOR and RETR, store data
// in chunks without copying on growth, and give freed memory back to the
// operating system.
// A quota above 0 caps the bytes stored and MaxFileSize the size of one
// file (552 past either).
func newMemFs(cfg *Config) afero.Fs {
	return memfs.NewWithOptions(memfs.Options{Quota: cfg.Quota, MaxFileSize: cfg.MaxFileSize})
}
