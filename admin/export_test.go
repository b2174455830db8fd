package admin

import (
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// For the external tests.
var OpenAPIDoc = openAPIDoc

// ParseRule parses a rule as POST /api/rules does, in a scenario whose
// rules move to states.
func ParseRule(data []byte, states []string) (scenario.Rule, error) {
	in := &scenario.Scenario{}
	for _, s := range states {
		in.Rules = append(in.Rules, scenario.Rule{NextState: s})
	}
	return parseRule(data, in)
}

// SetTransferWindow shortens how long a file transfer may go without
// progress.
func SetTransferWindow(a *API, d time.Duration) { a.transferWindow = d }
