package scenario

import (
	"errors"
	"strings"
	"testing"
)

// badInputs are scenario files with mistakes, and the exact errors Parse
// reports for them (named "t.yaml").
var badInputs = []struct {
	name, in, want string
}{
	{`unknown field with suggestion`,
		`version: 1
rules:
  - when: {command: STOR}
    reply: {cod: 452}
`,
		`t.yaml:4:13: unknown field "cod" in a reply (did you mean "code"?)`},
	{`missing version`,
		`name: x
`,
		`t.yaml:1:1: missing "version: 1" (the scenario format version)`},
	{`unsupported version`,
		`version: 2
`,
		`t.yaml:1:10: unsupported version 2 (this mockftpd reads version 1)`},
	{`reply code too small`,
		`version: 1
rules:
  - when: {command: STOR}
    reply: 99
`,
		`t.yaml:4:12: expected a reply code between 100 and 699, got 99`},
	{`reply code too big in string`,
		`version: 1
rules:
  - when: {command: STOR}
    reply: "700 too big"
`,
		`t.yaml:4:12: expected a reply code between 100 and 699, got 700`},
	{`bad regex`,
		`version: 1
rules:
  - when: {command: RETR, arg: {regex: "a(b"}}
    reply: 550
`,
		"t.yaml:3:40: invalid regex \"a(b\": missing closing ): `a(b`"},
	{`bad glob`,
		`version: 1
rules:
  - when: {command: RETR, arg: {glob: "a[b"}}
    reply: 550
`,
		`t.yaml:3:39: invalid glob "a[b": syntax error in pattern`},
	{`bad duration`,
		`version: 1
rules:
  - when: {command: RETR}
    delay: 3 seconds
`,
		`t.yaml:4:12: expected a duration like "1.5s" or "250ms", got "3 seconds"`},
	{`pass with reply`,
		`version: 1
rules:
  - when: {command: RETR}
    pass: true
    reply: 550
`,
		`t.yaml:4:11: "pass: true" conflicts with "reply": a step either replies itself or passes the command on`},
	{`two content sources`,
		`version: 1
files:
  - {path: /a, content: hi, base64: aGk=}
`,
		`t.yaml:3:37: conflicting content sources "content" and "base64": a file entry takes only one`},
	{`undefined state`,
		`version: 1
rules:
  - when: {command: RETR, state: dwon}
    reply: 550
  - when: {command: QUIT}
    next_state: down
`,
		`t.yaml:3:34: state "dwon" is never set: no rule has "next_state: dwon" (did you mean "down"?)`},
	{`duplicate user`,
		`version: 1
users:
  - {name: alice}
  - {name: alice, password: x}
`,
		`t.yaml:4:12: user "alice" is defined twice (first at line 3)`},
	{`connect rule with command`,
		`version: 1
rules:
  - when: {event: connect, command: USER}
    reply: 421
`,
		`t.yaml:3:37: a connect rule matches a new connection, not a command: remove "command"`},
	{`unknown when field`,
		`version: 1
rules:
  - when: {evnt: connect}
    reply: 421
`,
		`t.yaml:3:12: unknown field "evnt" in a "when" pattern (did you mean "event"?)`},
	{`shorthand with responses`,
		`version: 1
rules:
  - when: {command: RETR}
    reply: 450
    responses:
      - reply: 450
`,
		`t.yaml:4:5: "reply" cannot be combined with "responses" at the rule level: put it inside a response`},
	{`exhausted without responses`,
		`version: 1
rules:
  - when: {command: RETR}
    exhausted: cycle
    reply: 450
`,
		`t.yaml:4:5: "exhausted" applies only to a rule with "responses"`},
	{`unknown exhausted mode`,
		`version: 1
rules:
  - when: {command: RETR}
    responses:
      - reply: 450
    exhausted: forever
`,
		`t.yaml:6:16: unknown exhausted mode "forever" (use pass, repeat or cycle)`},
	{`unknown then`,
		`version: 1
rules:
  - when: {command: RETR}
    then: hangup
`,
		`t.yaml:4:11: unknown then "hangup" (use close, reset or stall)`},
	{`bad size unit`,
		`version: 1
files:
  - {path: /big, size: 10XB}
`,
		`t.yaml:3:24: unknown size unit "XB" in "10XB" (use B, kB, MB, GB, TB, PB, EB, KiB, MiB, GiB, TiB, PiB or EiB)`},
	{`relative file path`,
		`version: 1
files:
  - {path: relative.txt}
`,
		`t.yaml:3:12: path must be absolute (start with "/"), got "relative.txt"`},
	{`negative nth`,
		`version: 1
rules:
  - when: {command: RETR, nth: -1}
`,
		`t.yaml:3:32: expected a position (1 for the first), got -1`},
	{`probability above 1`,
		`version: 1
rules:
  - when: {command: RETR, probability: 1.5}
`,
		`t.yaml:3:40: expected a probability greater than 0 and at most 1, got 1.5`},
	{`count without nth`,
		`version: 1
rules:
  - when: {command: RETR, count: global}
`,
		`t.yaml:3:34: "count" applies only with "nth"`},
	{`preliminary without pass`,
		`version: 1
rules:
  - when: {command: RETR}
    reply: 450
    preliminary: 150
`,
		`t.yaml:5:18: "preliminary" applies only to a command passed on to the server, but this step replies itself`},
	{`unknown data end`,
		`version: 1
rules:
  - when: {command: RETR}
    data: {after: 1MiB, end: explode}
`,
		`t.yaml:4:30: unknown end "explode" (use close, reset or stall)`},
	{`refuse with after`,
		`version: 1
rules:
  - when: {command: RETR}
    data: {refuse: ignore, after: 10}
`,
		`t.yaml:4:35: "refuse" never opens the data connection, so "after" does not apply`},
	{`negative idle timeout`,
		`version: 1
settings:
  idle_timeout: -5s
`,
		`t.yaml:3:17: duration "-5s" must not be negative`},
	{`two arg patterns`,
		`version: 1
rules:
  - when: {command: STOR, arg: {exact: a, glob: b*}}
`,
		`t.yaml:3:32: an argument pattern takes only one of exact, glob and regex`},
	{`times with at_least`,
		`version: 1
expect:
  - {command: STOR, times: 1, at_least: 2}
`,
		`t.yaml:3:41: "times" conflicts with "at_least": use times alone, or at_least and at_most`},
	{`no_command_after with command`,
		`version: 1
expect:
  - {no_command_after: 530, command: USER}
`,
		`t.yaml:3:38: "no_command_after" cannot be combined with "command"`},
	{`rules not a list`,
		`version: 1
rules: {when: {command: RETR}}
`,
		`t.yaml:2:8: expected a list of rules, got a mapping`},
	{`command with space`,
		`version: 1
rules:
  - when: {command: "RE TR"}
`,
		`t.yaml:3:21: invalid command "RE TR": a command is a word like STOR`},
	{`seed not an int`,
		`version: 1
seed: abc
`,
		`t.yaml:2:7: expected an integer seed, got "abc"`},
	{`delay max below min`,
		`version: 1
rules:
  - when: {command: RETR}
    delay: {min: 2s, max: 1s}
`,
		`t.yaml:4:12: delay max (1s) is less than min (2s)`},
	{`bad base64`,
		`version: 1
files:
  - {path: /a, base64: "!!!"}
`,
		`t.yaml:3:24: invalid base64: illegal base64 data at input byte 0`},
	{`empty reply list`,
		`version: 1
rules:
  - when: {command: STOR}
    reply: [ ]
`,
		`t.yaml:4:12: expected at least one reply, got an empty list`},
	{`dash reply string`,
		`version: 1
rules:
  - when: {command: STOR}
    reply: "211-Status"
`,
		`t.yaml:4:12: expected a reply like "452 Insufficient storage space", a code, or {code: 452, text: "..."} (for a multi-line reply give a text of several lines; to send bytes as they are use {raw: "..."}), got "211-Status"`},
	{`bad advertise host and port`,
		`version: 1
rules:
  - when: {command: PASV}
    data: {advertise_host: "::1", advertise_port: 70000}
`,
		`t.yaml:4:28: advertise_host must be an IPv4 address (227 replies carry one), got "::1"
t.yaml:4:51: expected a port between 1 and 65535, got 70000`},
	{`yaml syntax error`,
		`version: 1
rules:
  - when: {command: RETR
`,
		`t.yaml:3:3: YAML syntax error: did not find expected ',' or '}'`},
	{`repeated field`,
		`version: 1
version: 1
`,
		`t.yaml:2:1: field "version" is repeated (first at line 1)`},
	{`pass false alone`,
		`version: 1
rules:
  - when: {command: RETR}
    pass: false
`,
		`t.yaml:3:5: "pass: false" with no reply and no then does nothing: add a reply, or "then: stall" to stop answering`},
	{`raw with text`,
		`version: 1
rules:
  - name: x
    when: {command: RETR}
    reply: {code: 450, raw: "450 x\r\n", text: y}
`,
		`t.yaml:5:12: a reply takes "text" or "raw", not both`},
	{`bad user glob`,
		`version: 1
rules:
  - when: {command: RETR, user: "["}
`,
		`t.yaml:3:33: invalid glob "[": syntax error in pattern`},
	{`star with other verbs`,
		`version: 1
rules:
  - when: {command: [RETR, "*"]}
`,
		`t.yaml:3:21: "*" already means any command: list it alone`},
	{`two documents`,
		`---
version: 1
---
version: 1
`,
		`t.yaml:3:1: a scenario file holds one YAML document; found a second one`},
	{`data with reply`,
		`version: 1
rules:
  - when: {command: RETR}
    data: {reply: none}
    then: close
    reply: 550
`,
		`t.yaml:4:11: "data" applies only to a command passed on to the server, but this step replies itself`},
	{`data on connect rule`,
		`version: 1
rules:
  - when: {event: connect}
    data: {after: 1}
`,
		`t.yaml:4:11: "data" does not apply to a connect rule`},
	{`connect rule counted per session`,
		`version: 1
rules:
  - when: {event: connect, count: session, nth: 2}
`,
		`t.yaml:3:35: a connect rule counts connections across sessions: remove "count: session"`},
	{`empty reply mapping`,
		`version: 1
rules:
  - when: {command: RETR}
    reply: {}
`,
		`t.yaml:4:12: a reply needs a code or raw`},
	{`file path problems`,
		`version: 1
files:
  - {path: /a/../b}
  - {path: /x, seed: 3}
  - {path: /x, dir: true}
`,
		`t.yaml:3:12: path "/a/../b" is not clean (did you mean "/b"?)
t.yaml:4:22: "seed" applies only to generated content ("size")
t.yaml:5:12: file "/x" is listed twice (first at line 4)`},
	{`user without name and relative home`,
		`version: 1
users:
  - {password: x, home: alice}
`,
		`t.yaml:3:5: a user needs a name
t.yaml:3:25: home must be an absolute path like "/alice", got "alice"`},
	{`expectation problems`,
		`version: 1
expect:
  - {user: alice}
  - {command: STOR, at_least: 3, at_most: 1}
`,
		`t.yaml:3:5: an expectation needs "command" (use "*" for any) or "no_command_after"
t.yaml:4:43: at_most (1) is less than at_least (3)`},
	{`fractional session`,
		`version: 1
rules:
  - when: {command: RETR, session: 0.5}
`,
		`t.yaml:3:36: expected a session number (1 or more), got 0.5`},
	{`int arg and yes times`,
		`version: 1
rules:
  - when: {command: RETR, arg: 5}
    times: yes
`,
		`t.yaml:4:12: expected a number of times (1 or more), got "yes"`},
	{`chunk delay and negative corrupt`,
		`version: 1
rules:
  - when: {command: RETR}
    data: {chunk_delay: 1s, corrupt: -1}
`,
		`t.yaml:4:25: "chunk_delay" applies only with "chunk"
t.yaml:4:38: a size must not be negative, got "-1"`},
	{`over-indented key`,
		`version: 1
rules:
  - when: {command: STOR}
     reply: 452
`,
		`t.yaml:4:6: YAML syntax error: did not find expected key (check the indentation of this line)`},
	{`under-indented key`,
		`version: 1
rules:
  - when:
      command: STOR
    reply: 452
   then: close
`,
		`t.yaml:6:4: YAML syntax error: did not find expected '-' indicator (check the indentation of this line)`},
	{`key indented as its parent's sibling`,
		`version: 1
settings:
  banner: x
 syst: y
`,
		`t.yaml:4:2: YAML syntax error: did not find expected key (check the indentation of this line)`},
	{`unquoted colon in a reply`,
		`version: 1
rules:
  - when: {command: STOR}
    reply: 452 Error: disk full
`,
		`t.yaml:4: YAML syntax error: mapping values are not allowed in this context (check the indentation of this line, and quote a text that holds ": ")`},
	{`top level list`,
		`[1, 2]
`,
		`t.yaml:1:1: expected a scenario (a mapping of key: value), got a list`},
	{`bad disable and features`,
		`version: 1
settings:
  disable: [EPSV, "bad verb"]
  features: ["", UTF8]
`,
		`t.yaml:3:19: invalid command "BAD VERB": a command is a word like EPSV
t.yaml:4:14: a feature is one non-empty line, got ""`},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := Parse("t.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("no error; want\n%s", tc.want)
			}
			if sc != nil {
				t.Errorf("a scenario was returned with the error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is %T, want a non-empty ErrorList", err)
			}
			for _, e := range list {
				if e.File != "t.yaml" || e.Line < 1 {
					t.Errorf("error not located: %#v", e)
				}
				if !strings.HasPrefix(e.Error(), "t.yaml:") {
					t.Errorf("bad format: %q", e.Error())
				}
			}
		})
	}
}
