package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LimitTarget is the physical limit: the least a server speaking the same
// protocol over loopback TCP must do. One goroutine per connection, a
// reply per command line with no parsing beyond the verb, a new passive
// listener per EPSV (as FTP requires), uploads read and discarded with
// 1 MiB reads, downloads and listings written from memory in 1 MiB writes.
// Nothing is stored: its STOR and RETR are the raw loopback TCP stream,
// its NOOP the raw TCP ping-pong.
type LimitTarget struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	data map[string][]byte // seeded files and directory listings
	size map[string]int64  // seeded file sizes (content is the pattern)
	conn map[net.Conn]struct{}
	done chan struct{}
}

// StartLimit starts the limit server on a free loopback port.
func StartLimit() (*LimitTarget, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &LimitTarget{ln: ln, data: map[string][]byte{}, size: map[string]int64{}, conn: map[net.Conn]struct{}{}, done: make(chan struct{})}
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

// Addr is the control address.
func (l *LimitTarget) Addr() string { return l.ln.Addr().String() }

// WriteFile records a file: RETR sends its bytes, and the listings of
// its directory grow by one line of the size ftpserverlib's LIST writes.
func (l *LimitTarget) WriteFile(name string, data []byte) error {
	dir, base := dirOf(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.data[dir+"/"+base] = data
	l.data["LIST "+dir] = fmt.Appendf(l.data["LIST "+dir], "-rw-r--r-- 1 ftp ftp %12d Jan  1 00:00 %s\r\n", len(data), base)
	l.data["NLST "+dir] = fmt.Appendf(l.data["NLST "+dir], "%s\r\n", base)
	l.data["MLSD "+dir] = fmt.Appendf(l.data["MLSD "+dir], "Type=file;Size=%d;Modify=20240101000000;Perm=rwadfw; %s\r\n", len(data), base)
	return nil
}

// SetSize records a file of n pattern bytes without holding them.
func (l *LimitTarget) SetSize(name string, n int64) {
	dir, base := dirOf(name)
	l.mu.Lock()
	l.size[dir+"/"+base] = n
	l.mu.Unlock()
}

// Close stops the server and ends its connections.
func (l *LimitTarget) Close() error {
	err := l.ln.Close()
	l.mu.Lock()
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	for c := range l.conn {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}

func (l *LimitTarget) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		select {
		case <-l.done:
			l.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		l.conn[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go l.serve(c)
	}
}

func (l *LimitTarget) serve(c net.Conn) {
	defer l.wg.Done()
	defer func() {
		l.mu.Lock()
		delete(l.conn, c)
		l.mu.Unlock()
		_ = c.Close()
	}()
	r := bufio.NewReaderSize(c, 4096)
	say := func(s string) bool {
		_, err := io.WriteString(c, s)
		return err == nil
	}
	if !say("220 limit\r\n") {
		return
	}
	var pasv net.Listener
	defer func() {
		if pasv != nil {
			_ = pasv.Close()
		}
	}()
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(string(line), "\r\n"), " ")
		ok := true
		switch strings.ToUpper(verb) {
		case "USER":
			ok = say("331 ok\r\n")
		case "PASS":
			ok = say("230 ok\r\n")
		case "PWD":
			ok = say("257 \"/\"\r\n")
		case "DELE":
			ok = say("250 ok\r\n")
		case "QUIT":
			say("221 bye\r\n")
			return
		case "EPSV":
			if pasv != nil {
				_ = pasv.Close()
			}
			pasv, err = net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				ok = say("425 no\r\n")
				break
			}
			ok = say("229 Entering Extended Passive Mode (|||" + strconv.Itoa(pasv.Addr().(*net.TCPAddr).Port) + "|)\r\n")
		case "STOR", "RETR", "LIST", "NLST", "MLSD":
			if pasv == nil {
				ok = say("425 no\r\n")
				break
			}
			bp := bufPool.Get().(*[]byte)
			ok = l.transfer(strings.ToUpper(verb), trimArg(arg), pasv, say, *bp)
			bufPool.Put(bp)
			_ = pasv.Close()
			pasv = nil
		default:
			ok = say("200 ok\r\n")
		}
		if !ok {
			return
		}
	}
}

// transfer accepts the data connection and moves the bytes.
func (l *LimitTarget) transfer(verb, arg string, pasv net.Listener, say func(string) bool, buf []byte) bool {
	if tl, ok := pasv.(*net.TCPListener); ok {
		_ = tl.SetDeadline(time.Now().Add(clientTimeout))
	}
	d, err := pasv.Accept()
	if err != nil {
		return say("425 no\r\n")
	}
	defer d.Close()
	if !say("150 ok\r\n") {
		return false
	}
	_ = d.SetDeadline(time.Now().Add(clientTimeout))
	switch verb {
	case "STOR":
		var total int64
		for {
			n, err := d.Read(buf)
			total += int64(n)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					return say("426 cut\r\n")
				}
				break
			}
		}
		// only the size is kept: RETR sends that many pattern bytes
		l.SetSize(arg, total)
	default:
		dir, base := dirOf(arg)
		key := dir + "/" + base
		if verb != "RETR" {
			key = verb + " " + path0(arg)
		}
		l.mu.Lock()
		b, n := l.data[key], l.size[key]
		l.mu.Unlock()
		if b != nil {
			if _, err := d.Write(b); err != nil {
				return say("426 cut\r\n")
			}
		} else if n > 0 {
			if _, err := NewPattern(n).WriteTo(d); err != nil {
				return say("426 cut\r\n")
			}
		}
	}
	_ = d.Close()
	return say("226 done\r\n")
}

func path0(arg string) string { return path.Clean("/" + arg) }
