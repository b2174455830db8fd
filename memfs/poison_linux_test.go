package memfs

import "testing"

// setPoison makes freed off-heap blocks fault on any later access until the
// returned function is called (see poisonFreed).
func setPoison(testing.TB) func() {
	old := poisonFreed.Swap(true)
	return func() { poisonFreed.Store(old) }
}
