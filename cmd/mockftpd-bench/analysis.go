package main

import _ "embed"

// analysis is the part of the report that explains the figures; it is
// kept with the tool so that the report is regenerated whole. It states
// causes (from the profiles at the end of the report, the code, and the
// separate measurements it names), not this run's numbers: those are the
// tables above.
//
//go:embed analysis.md
var analysis string
