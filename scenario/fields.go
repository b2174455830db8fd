package scenario

// Object kinds of the scenario file format. Each names a JSON Schema
// definition in schema.json ("scenario" is the root).
const (
	objScenario = "scenario"
	objUser     = "user"
	objFile     = "file"
	objSettings = "settings"
	objRule     = "rule"
	objStep     = "step"
	objWhen     = "when"
	objArg      = "arg"
	objReply    = "reply"
	objDelay    = "delay"
	objData     = "data"
	objExpect   = "expect"
)

// stepFields are the keys of a step, also allowed at the rule level as the
// shorthand for a rule with a single step.
var stepFields = []string{"reply", "delay", "pass", "preliminary", "final", "then", "data"}

// knownFields lists the keys of every mapping of the format, in the order
// Format writes them. The decoder rejects any other key, and a test checks
// that schema.json lists exactly these properties.
var knownFields = map[string][]string{
	objScenario: {"version", "name", "description", "seed", "users", "files", "settings", "rules", "expect"},
	objUser:     {"name", "password", "home"},
	objFile:     {"path", "content", "base64", "size", "seed", "dir", "from", "modtime"},
	objSettings: {"banner", "features", "syst", "disable", "idle_timeout"},
	objRule:     append([]string{"name", "when", "times", "next_state"}, append(append([]string(nil), stepFields...), "responses", "exhausted")...),
	objStep:     stepFields,
	objWhen:     {"event", "command", "arg", "user", "session", "nth", "count", "state", "probability"},
	objArg:      {"exact", "glob", "regex"},
	objReply:    {"code", "text", "raw"},
	objDelay:    {"min", "max"},
	objData: {"refuse", "after", "end", "reply", "keep_partial", "rate", "chunk", "chunk_delay", "corrupt",
		"delay_preliminary", "delay_data", "delay_final", "advertise_host", "advertise_port"},
	objExpect: {"name", "command", "arg", "user", "times", "at_least", "at_most", "no_command_after"},
}

// Enumerated values, for validation and suggestions.
var (
	eventValues     = []string{string(EventCommand), string(EventConnect)}
	countValues     = []string{string(PerSession), string(Global)}
	thenValues      = []string{string(ThenClose), string(ThenReset), string(ThenStall)}
	exhaustedValues = []string{string(ExhaustedPass), string(ExhaustedRepeat), string(ExhaustedCycle)}
	refuseValues    = []string{string(RefuseIgnore), string(RefuseClose), string(Refuse425)}
	endValues       = []string{string(EndClose), string(EndReset), string(EndStall)}
)
