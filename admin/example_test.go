package admin_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mockftpd/mockftpd/admin"
	"github.com/mockftpd/mockftpd/server"
)

// A test suite in any language drives a running mockftpd through the admin
// API; here a rule is added that makes every upload fail with 452.
func ExampleNew() {
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	api := httptest.NewServer(admin.New(srv, admin.Options{Token: "s3cret"}))
	defer api.Close()

	req, _ := http.NewRequest("POST", api.URL+"/api/rules", strings.NewReader("when: {command: STOR}\nreply: 452 Insufficient storage space\n"))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := api.Client().Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Print(string(body))
	api.Client().CloseIdleConnections()
	// Output:
	// 201 Created
	// {
	//   "added": "rule #1",
	//   "rules": 1
	// }
}

// Other containers reach mockftpd under its service name: allow that name.
// A request under a name the API was not given (a web page that made its
// own name resolve to the API's address) is refused, and so is a write
// typed as a form.
func ExampleOptions_allowedHosts() {
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	api := httptest.NewServer(admin.New(srv, admin.Options{AllowedHosts: []string{"mockftpd"}}))
	defer api.Close()

	send := func(host, contentType string) {
		req, _ := http.NewRequest("PUT", api.URL+"/api/state", strings.NewReader(`{"state": "down"}`))
		req.Host = host
		req.Header.Set("Content-Type", contentType)
		resp, err := api.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(host, contentType, resp.Status)
	}
	send("mockftpd:8021", "application/json")
	send("evil.example:8021", "application/json")
	send("mockftpd:8021", "application/x-www-form-urlencoded")
	api.Client().CloseIdleConnections()
	// Output:
	// mockftpd:8021 application/json 200 OK
	// evil.example:8021 application/json 403 Forbidden
	// mockftpd:8021 application/x-www-form-urlencoded 415 Unsupported Media Type
}
