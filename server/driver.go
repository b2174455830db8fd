package server

import (
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"net"
	"path"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

// driver is what ftpserverlib asks about settings, logins, TLS and passive
// listeners.
type driver struct {
	srv      *Server
	settings *ftpserver.Settings
}

var (
	_ ftpserver.MainDriver                        = (*driver)(nil)
	_ ftpserver.MainDriverExtensionPassiveWrapper = (*driver)(nil)
)

func (d *driver) GetSettings() (*ftpserver.Settings, error) { return d.settings, nil }

// ClientConnected gives the greeting text, and the session ftpserverlib's
// view of the client (its working directory).
func (d *driver) ClientConnected(cc ftpserver.ClientContext) (string, error) {
	if sess := sessionOf(cc.RemoteAddr()); sess != nil {
		sess.mu.Lock()
		sess.cc = cc
		sess.mu.Unlock()
	}
	return d.srv.effective().banner, nil
}

// ClientDisconnected is ftpserverlib's last word on a connection.
func (d *driver) ClientDisconnected(cc ftpserver.ClientContext) {
	if sessionOf(cc.RemoteAddr()) != nil {
		d.srv.upstreams.Done()
	}
}

var errBadLogin = errors.New("invalid username or password")

// AuthUser checks a login against the configured users (or lets anyone
// in when there are none). The engine's own password logs in any user: it
// is how a scripted 230 becomes a real login.
func (d *driver) AuthUser(cc ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	sess := sessionOf(cc.RemoteAddr())
	if sess == nil {
		return nil, errBadLogin
	}
	home, ok := d.srv.checkLogin(user, pass)
	if !ok {
		return nil, errBadLogin
	}
	if home != "" && home != "/" {
		home = path.Clean("/" + home)
		if err := d.srv.fs.MkdirAll(home, 0o755); err != nil {
			return nil, err
		}
		cc.SetPath(home)
	}
	return &sessionFs{Fs: d.srv.fs, sess: sess}, nil
}

// checkLogin returns the user's home and whether the password is right.
func (s *Server) checkLogin(user, pass string) (string, bool) {
	internal := subtle.ConstantTimeCompare([]byte(pass), []byte(s.token)) == 1
	users := s.effective().users
	if len(users) == 0 {
		return "", true
	}
	for _, u := range users {
		if u.Name == user {
			ok := internal || subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1
			return u.Home, ok
		}
	}
	if internal {
		return "", true
	}
	if (user == "anonymous" || user == "ftp") && s.cfg.AllowAnonymous {
		return "", true
	}
	return "", false
}

// GetTLSConfig tells ftpserverlib whether to list AUTH TLS in FEAT. The
// engine itself terminates TLS on both connections.
func (d *driver) GetTLSConfig() (*tls.Config, error) {
	if d.srv.cfg.TLS == TLSNone {
		return nil, errors.New("TLS is not enabled on this server")
	}
	return d.srv.tls.get()
}

// WrapPassiveListener registers each passive listener (with multiplexed
// ports, a reservation of a port for the client's address) so that the
// engine can bind it to its session when it relays the 227/229 reply.
func (d *driver) WrapPassiveListener(l net.Listener) (net.Listener, error) {
	port := 0
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	dl := &dataListener{Listener: l, srv: d.srv, port: port, closed: make(chan struct{}), settled: make(chan struct{})}
	d.srv.pool.hold(port)
	d.srv.registerPassive(dl)
	return dl, nil
}

var (
	_ afero.Fs                                    = (*sessionFs)(nil)
	_ ftpserver.ClientDriverExtentionFileTransfer = (*sessionFs)(nil)
	_ ftpserver.ClientDriverExtensionFileList     = (*sessionFs)(nil)
)
