//go:build !linux

package server

import "net"

// unsentBytes is not known on this system.
func unsentBytes(net.Conn) (int, bool) { return 0, false }
