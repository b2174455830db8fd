package memfs

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net/textproto"
	"sync/atomic"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/jlaffaye/ftp"
)

// testDriver serves one memfs to every client.
type testDriver struct{ fs *Fs }

func (d *testDriver) GetSettings() (*ftpserver.Settings, error) {
	return &ftpserver.Settings{ListenAddr: "127.0.0.1:0", DefaultTransferType: ftpserver.TransferTypeBinary}, nil
}
func (d *testDriver) ClientConnected(ftpserver.ClientContext) (string, error) { return "memfs", nil }
func (d *testDriver) ClientDisconnected(ftpserver.ClientContext)              {}
func (d *testDriver) GetTLSConfig() (*tls.Config, error)                      { return nil, errors.New("no TLS") }
func (d *testDriver) AuthUser(ftpserver.ClientContext, string, string) (ftpserver.ClientDriver, error) {
	return d.fs, nil
}

func startFTP(t *testing.T, fsys *Fs) *ftp.ServerConn {
	t.Helper()
	srv := ftpserver.NewFtpServer(&testDriver{fs: fsys})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Stop() })
	c, err := ftp.Dial(srv.Addr(), ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("u", "p"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Quit() })
	return c
}

// TestFTPServer stores and retrieves a file through ftpserverlib, checks that
// the fast paths are taken, and that a quota violation is answered with 552.
func TestFTPServer(t *testing.T) {
	var rf, wt atomic.Int32
	testHookReadFrom = func() { rf.Add(1) }
	testHookWriteTo = func() { wt.Add(1) }
	defer func() { testHookReadFrom, testHookWriteTo = nil, nil }()

	fsys := NewWithOptions(Options{Quota: 12 << 20})
	c := startFTP(t, fsys)
	data := make([]byte, 10<<20+7)
	io.ReadFull(newPatternReader(int64(len(data))), data)
	if err := c.Stor("/up.bin", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if files, used := fsys.Usage(); files != 1 || used != int64(len(data)) {
		t.Errorf("Usage = %d, %d", files, used)
	}
	r, err := c.Retr("/up.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("RETR: %d bytes, %v", len(got), err)
	}
	if rf.Load() == 0 || wt.Load() == 0 {
		t.Errorf("fast paths not used: ReadFrom %d, WriteTo %d", rf.Load(), wt.Load())
	}

	err = c.Stor("/second.bin", bytes.NewReader(data))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != ftp.StatusExceededStorage {
		t.Errorf("STOR over quota: %v, want code %d", err, ftp.StatusExceededStorage)
	}
	if err := c.Delete("/up.bin"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/second.bin"); err != nil {
		t.Fatal(err)
	}
	if files, used := fsys.Usage(); files != 0 || used != 0 {
		t.Errorf("Usage after delete = %d, %d", files, used)
	}
}
