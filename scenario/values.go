package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the units a size may carry: decimal (kB, MB…) and binary
// (KiB, MiB…), compared without regard to case.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"tb":  1000 * 1000 * 1000 * 1000,
	"pb":  1000 * 1000 * 1000 * 1000 * 1000,
	"eb":  1000 * 1000 * 1000 * 1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
	"pib": 1 << 50,
	"eib": 1 << 60,
}

// ParseSize reads a byte count written as a plain number ("1048576") or a
// number with a unit: "64kB", "5MB", "1PB" (powers of 1000), "1KiB",
// "10MiB", "1.5GiB", "1PiB" (powers of 1024), up to 8 EiB. The result must
// be a whole number of bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("a size must not be negative, got %q", s)
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == '_') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("expected a size like 1024, \"64kB\" or \"10MiB\", got %q", s)
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown size unit %q in %q (use B, kB, MB, GB, TB, PB, EB, KiB, MiB, GiB, TiB, PiB or EiB)", t[i:], s)
	}
	num = strings.ReplaceAll(num, "_", "")
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/mult {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("expected a size like 1024, \"64kB\" or \"10MiB\", got %q", s)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	return int64(v), nil
}

// FormatSize writes n with the largest binary unit that divides it exactly
// ("10MiB", "1536KiB"), or as a plain number.
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"EiB", 1 << 60}, {"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// parseDuration reads a Go duration ("1.5s", "250ms", "2m"); it must not be
// negative.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("expected a duration like \"1.5s\" or \"250ms\", got %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return d, nil
}

var errNotReply = errors.New("not a reply")

// parseReplyString reads "CODE text" or "CODE". Only the single space after
// the code separates it from the text, which is kept as written (newlines
// make a multi-line reply).
func parseReplyString(s string) (Reply, error) {
	if len(s) < 3 || !isDigits(s[:3]) || (len(s) > 3 && s[3] != ' ') {
		return Reply{}, errNotReply
	}
	code, _ := strconv.Atoi(s[:3])
	r := Reply{Code: code}
	if len(s) > 4 {
		r.Text = s[4:]
	}
	return r, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// rawCode reads the reply code a raw reply starts with, or 0.
func rawCode(raw string) int {
	if len(raw) >= 3 && isDigits(raw[:3]) && (len(raw) == 3 || raw[3] == ' ' || raw[3] == '-' || raw[3] == '\r' || raw[3] == '\n') {
		n, _ := strconv.Atoi(raw[:3])
		return n
	}
	return 0
}
