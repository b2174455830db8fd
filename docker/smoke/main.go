// Command smoke drives a running mockftpd with a real FTP client
// (jlaffaye/ftp), for .ci/docker-check.sh: it logs in, stores a file, lists
// the folder and reads the file back. With -expect-stor CODE it checks
// instead that STOR is answered with that reply code.
//
//	go run ./docker/smoke -addr 127.0.0.1:2121
//	go run ./docker/smoke -addr 127.0.0.1:2121 -expect-stor 452
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path"
	"time"

	"github.com/jlaffaye/ftp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2121", "FTP control `address`")
	user := flag.String("user", "smoke", "user `name`")
	pass := flag.String("pass", "smoke", "`password`")
	name := flag.String("file", "/smoke/hello.bin", "`path` to store, list and read back")
	expectStor := flag.Int("expect-stor", 0, "expect STOR to fail with this reply `code` instead of doing the round trip")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline of every connection")
	flag.Parse()
	if err := run(*addr, *user, *pass, *name, *expectStor, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "smoke: FAIL:", err)
		os.Exit(1)
	}
}

func run(addr, user, pass, name string, expectStor int, timeout time.Duration) error {
	dial := func(network, address string) (net.Conn, error) {
		c, err := net.DialTimeout(network, address, timeout)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(timeout))
		return c, nil
	}
	c, err := ftp.Dial(addr, ftp.DialWithDialFunc(dial))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer func() { _ = c.Quit() }()
	if err := c.Login(user, pass); err != nil {
		return fmt.Errorf("login as %s: %w", user, err)
	}
	fmt.Printf("smoke: logged in to %s as %s\n", addr, user)

	data := make([]byte, 64<<10)
	if _, err := rand.Read(data); err != nil {
		return err
	}
	if dir := path.Dir(name); dir != "/" {
		_ = c.MakeDir(dir) // may exist already
	}
	err = c.Stor(name, bytes.NewReader(data))
	if expectStor != 0 {
		var reply *textproto.Error
		if !errors.As(err, &reply) {
			return fmt.Errorf("STOR %s: got %v, want reply %d", name, err, expectStor)
		}
		if reply.Code != expectStor {
			return fmt.Errorf("STOR %s: got reply %d %q, want %d", name, reply.Code, reply.Msg, expectStor)
		}
		fmt.Printf("smoke: STOR %s answered %d %s, as expected\n", name, reply.Code, reply.Msg)
		return nil
	}
	if err != nil {
		return fmt.Errorf("STOR %s: %w", name, err)
	}
	fmt.Printf("smoke: STOR %s (%d bytes)\n", name, len(data))

	entries, err := c.List(path.Dir(name))
	if err != nil {
		return fmt.Errorf("LIST %s: %w", path.Dir(name), err)
	}
	found := false
	for _, e := range entries {
		if e.Name == path.Base(name) {
			found = true
			if e.Size != uint64(len(data)) {
				return fmt.Errorf("LIST %s: %s has size %d, want %d", path.Dir(name), e.Name, e.Size, len(data))
			}
		}
	}
	if !found {
		return fmt.Errorf("LIST %s: %s is not listed (%d entries)", path.Dir(name), path.Base(name), len(entries))
	}
	fmt.Printf("smoke: LIST %s shows %s\n", path.Dir(name), path.Base(name))

	r, err := c.Retr(name)
	if err != nil {
		return fmt.Errorf("RETR %s: %w", name, err)
	}
	got, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("RETR %s: %w", name, err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("RETR %s: got %d bytes that differ from the %d stored", name, len(got), len(data))
	}
	fmt.Printf("smoke: RETR %s returned the same %d bytes\n", name, len(got))
	return nil
}
