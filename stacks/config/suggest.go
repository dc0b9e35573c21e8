package config

import (
	"fmt"
	"strings"
)

// Suggest returns the candidate a mistyped value most likely meant: one that differs only in
// case, or else the nearest within a small edit distance (one edit for words of four or five
// characters, two for longer ones; a swap of two neighbours is one edit). Digits are meant, not
// typed by accident: a candidate with other digits (10k for 50k, us-east-1 for us-east-9) is
// never suggested, nor anything for a word under four characters but its case. It returns ""
// when nothing is near, so a message never guesses wildly.
func Suggest(got string, candidates []string) string {
	if got == "" {
		return ""
	}
	for _, c := range candidates {
		if strings.EqualFold(got, c) {
			return c
		}
	}
	limit := 0
	switch n := len([]rune(got)); {
	case n >= 6:
		limit = 2
	case n >= 4:
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if digits(c) != digits(got) {
			continue
		}
		if d := editDistance(strings.ToLower(got), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean is Suggest as the end of an error message: `; did you mean "100k"?`, or "".
func DidYouMean(got string, candidates []string) string {
	if s := Suggest(got, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions, deletions, substitutions
// and swaps of adjacent characters, each one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
