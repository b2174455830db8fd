// Package suggest finds the known word a mistyped one was meant to be,
// for "did you mean" hints in error messages.
package suggest

import "strings"

// Closest returns the known word closest to w by edit distance, or ""
// when none is close enough to be a likely typo: a few edits (more for
// longer words), the same word with another case or separator
// ("idle-timeout", "IdleTimeout"), or the start of a single known word.
func Closest(w string, known []string) string {
	best, bestD := "", 1<<30
	lw := strings.ToLower(w)
	for _, k := range known {
		d := editDistance(lw, strings.ToLower(k))
		if d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len(w) <= 3 {
		limit = 1
	}
	if len(w) >= 8 {
		limit = 3
	}
	if bestD <= limit && bestD < len(w) {
		return best
	}
	// a prefix or a different separator ("idle-timeout", "idletimeout")
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(s))
	}
	for _, k := range known {
		if norm(k) == norm(w) {
			return k
		}
	}
	// the start of one known word only ("filezilla" for "filezilla-server")
	if len(w) >= 4 {
		found := ""
		for _, k := range known {
			if strings.HasPrefix(strings.ToLower(k), lw) {
				if found != "" {
					return ""
				}
				found = k
			}
		}
		return found
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes,
// counting a swap of two neighbours as one edit.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// DidYouMean returns ` (did you mean "x"?)` for the known word closest
// to w, or "".
func DidYouMean(w string, known []string) string {
	if s := Closest(w, known); s != "" {
		return ` (did you mean "` + s + `"?)`
	}
	return ""
}
