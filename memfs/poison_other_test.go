//go:build !linux

package memfs

import "testing"

// setPoison does nothing: blocks are heap memory on this platform.
func setPoison(testing.TB) func() { return func() {} }
