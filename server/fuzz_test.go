package server_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// FuzzSession sends arbitrary bytes to a live server as a client's control
// connection; afterwards the server must still serve a normal session.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"USER a\r\nPASS b\r\nPWD\r\nQUIT\r\n",
		"USER a\r\nPASS b\r\nEPSV\r\nRETR /f\r\nABOR\r\nSTAT\r\n",
		"AUTH TLS\r\n\x16\x03\x01\x00\x05hello",
		"PORT 127,0,0,1,0,1\r\nEPRT |2|::1|1|\r\nPASV\r\n",
		"\xff\xf4\xff\xf2ABOR\r\nREST 99999999999999999999\r\n",
		"NOOP\r\nNOOP\r\nSITE STALL\r\nNOOP\r\n",
		"USER a\r\nPASS b\r\nPROT P\r\nPBSZ 0\r\nLIST\r\n",
	} {
		f.Add([]byte(seed))
	}
	sc := scenario.New("fuzz").
		Rule(scenario.On("SITE").Arg("STALL").Then(scenario.ThenStall)).
		Rule(scenario.On("NOOP").Nth(2).Reply(421, "").Then(scenario.ThenClose)).
		File("/f", []byte("data"))
	srv, err := server.Start(server.Config{Scenario: sc, TLS: server.TLSExplicit, DataTimeout: 200 * time.Millisecond, IdleTimeout: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
		_, _ = conn.Write(data)
		_ = conn.(*net.TCPConn).CloseWrite() // the server finishes what it got, then hangs up
		_, _ = io.Copy(io.Discard, conn)
		_ = conn.Close()

		c := rawDial(t, srv.Addr())
		c.Login("u", "p")
		c.Cmd(257, "PWD")
	})
}
