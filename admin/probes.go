package admin

import (
	_ "embed"
	"net/http"
	"strconv"
	"time"

	"github.com/mockftpd/mockftpd/internal/ftpprobe"
	"github.com/mockftpd/mockftpd/server"
)

//go:embed openapi.json
var openAPIDoc []byte

func (a *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDoc)))
	_, _ = w.Write(openAPIDoc)
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds the probe connection of GET /api/ready?dial=true.
const readyTimeout = 3 * time.Second

type readyBody struct {
	Ready bool   `json:"ready"`
	FTP   string `json:"ftp"`             // the control address
	Dial  bool   `json:"dialed"`          // whether a probe connection was made
	Reply string `json:"reply,omitempty"` // the greeting the probe got
}

// ready answers 200 when the FTP server takes connections. With
// ?dial=true it also connects to the control port and reads the 220
// greeting; that connection is a session like any other (it gets a number
// and a journal entry), which is why it is not the default.
func (a *API) ready(w http.ResponseWriter, r *http.Request) {
	body := readyBody{FTP: a.srv.Addr()}
	if err := a.srv.Accepting(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	if dial, _ := strconv.ParseBool(r.URL.Query().Get("dial")); dial {
		body.Dial = true
		greeting, err := ftpprobe.Greeting(a.srv.Addr(), a.srv.Config().TLS == server.TLSImplicit, readyTimeout)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		body.Reply = greeting
	}
	body.Ready = true
	writeJSON(w, http.StatusOK, body)
}
