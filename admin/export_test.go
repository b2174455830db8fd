package admin

import "time"

// For the external tests.
var (
	OpenAPIDoc = openAPIDoc
	ParseRule  = parseRule
)

// SetTransferWindow shortens how long a file transfer may go without
// progress.
func SetTransferWindow(a *API, d time.Duration) { a.transferWindow = d }
