package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// The benchmarks and tests start servers: none may leave a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
