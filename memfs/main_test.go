package memfs

import (
	"testing"

	"go.uber.org/goleak"
)

// Some tests start FTP servers on memfs: none may leave a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
