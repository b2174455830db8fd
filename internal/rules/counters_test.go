package rules

import "testing"

// TestSnapshotCounters: the snapshot follows firings, responses used,
// global nth counts, times used up, state changes and a reset.
func TestSnapshotCounters(t *testing.T) {
	sc := mustParse(t, `version: 1
rules:
  - when: {command: STOR}
    times: 2
    reply: 452 Full
    next_state: full
  - when: {command: RETR, nth: 2, count: global}
    reply: 450 Busy
  - when: {command: SIZE}
    responses: [{reply: 550 No}, {reply: 213 5}]
`)
	norm, err := sc.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	rt := New(norm)
	s := rt.NewSession()
	if got := codes(s, "u", "STOR a", "STOR b", "STOR c", "RETR x", "SIZE y", "SIZE y", "SIZE y"); got != "452 452 - - 550 213 -" {
		t.Fatalf("codes: %s", got)
	}
	snap := rt.Snapshot()
	if snap.Scenario != rt.Scenario() || snap.State != "full" || len(snap.Rules) != 3 {
		t.Fatalf("snapshot: %+v", snap)
	}
	want := []Counter{
		{Fires: 2, Next: 2, Exhausted: true},
		{Fires: 0, Seen: 1},
		{Fires: 2, Next: 2, Exhausted: true},
	}
	for i, w := range want {
		if snap.Rules[i] != w {
			t.Errorf("rule %d: %+v, want %+v", i+1, snap.Rules[i], w)
		}
	}
	rt.Reset()
	if snap := rt.Snapshot(); snap.State != "" || snap.Rules[0] != (Counter{}) {
		t.Fatalf("after Reset: %+v", snap)
	}
}
