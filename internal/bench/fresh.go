package bench

import (
	"errors"
	"io"
	"net"
	"runtime/debug"
	"time"
)

// FreshStream is the raw loopback TCP stream of size bytes received into
// memory fresh from the operating system, in 1 MiB chunks as memfs
// stores an upload: what a server that keeps an upload must at least pay
// when the memory of the last one went back to the system (the STOR
// figure's case, see the report). It returns the time from the first
// byte sent to the last byte stored.
func FreshStream(size int64) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	sent := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			sent <- err
			return
		}
		_, err = NewPattern(size).WriteTo(c)
		if cerr := c.Close(); err == nil {
			err = cerr
		}
		sent <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	debug.FreeOSMemory() // the heap's free pages go back: the chunks below are fresh
	const chunk = 1 << 20
	kept := make([][]byte, 0, size/chunk+1)
	t0 := time.Now()
	var got int64
	for got < size {
		b := make([]byte, min(chunk, size-got))
		n, err := io.ReadFull(c, b)
		got += int64(n)
		kept = append(kept, b)
		if err != nil {
			return 0, err
		}
	}
	d := time.Since(t0)
	if len(kept) == 0 {
		return 0, errors.New("nothing received")
	}
	return d, <-sent
}
