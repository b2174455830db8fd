package server

import "github.com/spf13/afero"

// newMemFs is the default in-memory filesystem.
func newMemFs() afero.Fs { return afero.NewMemMapFs() }
