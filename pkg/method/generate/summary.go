package generate

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Summary counts what a run of a generation stage produced, over the units it covered (its shard).
type Summary struct {
	Units     int            `json:"units"`           // units covered
	Resumed   int            `json:"resumed"`         // of which already finished by an earlier run
	Requested int            `json:"requested"`       // texts wanted
	Kept      int            `json:"kept"`            // texts kept
	Attempts  int            `json:"attempts"`        // completions drawn
	Rejected  map[Reason]int `json:"rejected"`        // candidates refused, by reason
	Short     []string       `json:"short,omitempty"` // units that ended with fewer texts than requested
	// Problems are the corpus rows left out, each "file:line: why" (a corpus source only).
	Problems []string `json:"problems,omitempty"`
	// Skipped counts the corpus rows of emotions the run leaves out.
	Skipped int `json:"skipped,omitempty"`
	// What names the texts in String ("stories", "dialogues"); "" reads "texts".
	What string `json:"-"`
	// Order is the order String lists the reasons in (the stage's list); others follow, sorted.
	Order []Reason `json:"-"`
}

// Add counts one finished unit; its Name identifies it in Short.
func (s *Summary) Add(t Tally) {
	s.Units++
	s.Requested += t.Requested
	s.Kept += t.Kept
	s.Attempts += t.Attempts
	if s.Rejected == nil {
		s.Rejected = map[Reason]int{}
	}
	for _, r := range t.Rejected {
		s.Rejected[r]++
	}
	if t.Kept < t.Requested {
		s.Short = append(s.Short, fmt.Sprintf("%s (%d/%d)", t.Name, t.Kept, t.Requested))
	}
}

// String is the short report printed after the stage, for example
//
//	kept 238/240 stories from 301 attempts (40 units, 12 resumed); rejected 63: emotion-word 41, meta 12, ...
//	short: afraid / A train is late (2/4)
func (s *Summary) String() string {
	what := s.What
	if what == "" {
		what = "texts"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kept %d/%d %s from %d attempts (%d units", s.Kept, s.Requested, what, s.Attempts, s.Units)
	if s.Resumed > 0 {
		fmt.Fprintf(&b, ", %d resumed", s.Resumed)
	}
	b.WriteString(")")
	total := 0
	for _, n := range s.Rejected {
		total += n
	}
	if total > 0 {
		fmt.Fprintf(&b, "; rejected %d:", total)
		sep := " "
		for _, r := range s.Order {
			if n := s.Rejected[r]; n > 0 {
				fmt.Fprintf(&b, "%s%s %d", sep, r, n)
				sep = ", "
			}
		}
		var other []string
		for r, n := range s.Rejected {
			if !slices.Contains(s.Order, r) && n > 0 {
				other = append(other, fmt.Sprintf("%s %d", r, n))
			}
		}
		sort.Strings(other)
		for _, o := range other {
			fmt.Fprintf(&b, "%s%s", sep, o)
			sep = ", "
		}
	}
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "\n%d corpus rows of emotions outside this run skipped", s.Skipped)
	}
	if len(s.Problems) > 0 {
		const show = 10
		fmt.Fprintf(&b, "\n%d corpus rows left out:\n  %s", len(s.Problems), strings.Join(s.Problems[:min(show, len(s.Problems))], "\n  "))
		if len(s.Problems) > show {
			fmt.Fprintf(&b, "\n  ... (every one is in the units' \"rejected\" lists, with its row)")
		}
	}
	if len(s.Short) > 0 {
		const show = 5
		fmt.Fprintf(&b, "\nshort (%d units): %s", len(s.Short), strings.Join(s.Short[:min(show, len(s.Short))], "; "))
		if len(s.Short) > show {
			b.WriteString("; ...")
		}
	}
	return b.String()
}
