package nb

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// ExcerptLen is how many characters of a story or dialogue the sample tables show.
const ExcerptLen = 320

// Stories shows a sample of the stories stage's output: for each (emotion, topic) unit, its first kept
// stories and its first rejected candidates, with the verdict (kept, or the reason it was refused).
func Stories(units []stories.Unit, kept, rejected int) { HTML(StoriesHTML(units, kept, rejected)) }

// StoriesHTML is the table that Stories shows.
func StoriesHTML(units []stories.Unit, kept, rejected int) string {
	var rows [][]string
	for _, u := range units {
		for _, s := range u.Kept[:min(kept, len(u.Kept))] {
			verdict := "kept"
			if s.Cut {
				verdict = "kept (cut to its last sentence)"
			}
			rows = append(rows, []string{u.Emotion, u.Topic, s.Person, strconv.Itoa(s.Tokens), verdict, Excerpt(s.Text, ExcerptLen)})
		}
		for _, r := range u.Rejected[:min(rejected, len(u.Rejected))] {
			rows = append(rows, []string{u.Emotion, u.Topic, "", "", rejectVerdict(r.Reason, r.Detail), Excerpt(r.Text, ExcerptLen)})
		}
	}
	return drawing.HTMLTable([]string{"emotion", "topic", "person", "tokens", "verdict", "text"}, rows)
}

// StoryCounts shows, per emotion, how many stories were kept of those asked for, how many completions
// that took, and why candidates were refused.
func StoryCounts(units []stories.Unit) { HTML(StoryCountsHTML(units)) }

// StoryCountsHTML is the table that StoryCounts shows.
func StoryCountsHTML(units []stories.Unit) string {
	type count struct {
		pairs, kept, requested, attempts int
		reasons                          map[generate.Reason]int
	}
	by := map[string]*count{}
	var order []string
	for _, u := range units {
		c := by[u.Emotion]
		if c == nil {
			c = &count{reasons: map[generate.Reason]int{}}
			by[u.Emotion] = c
			order = append(order, u.Emotion)
		}
		c.pairs++
		c.kept += len(u.Kept)
		c.requested += u.Requested
		c.attempts += u.Attempts
		for _, r := range u.Rejected {
			c.reasons[r.Reason]++
		}
	}
	var rows [][]string
	for _, e := range order {
		c := by[e]
		rows = append(rows, []string{e, strconv.Itoa(c.pairs), fmt.Sprintf("%d/%d", c.kept, c.requested),
			strconv.Itoa(c.attempts), reasonList(c.reasons)})
	}
	return drawing.HTMLTable([]string{"emotion", "topics", "kept", "completions", "rejected, by reason"}, rows)
}

// Dialogues shows a sample of the neutral stage's output: for each topic, its first kept dialogues and
// its first rejected ones, with the verdict.
func Dialogues(units []neutral.Unit, kept, rejected int) { HTML(DialoguesHTML(units, kept, rejected)) }

// DialoguesHTML is the table that Dialogues shows.
func DialoguesHTML(units []neutral.Unit, kept, rejected int) string {
	var rows [][]string
	for _, u := range units {
		for _, d := range u.Kept[:min(kept, len(u.Kept))] {
			verdict := "kept"
			if d.Cut {
				verdict = "kept (last turn cut)"
			}
			rows = append(rows, []string{u.Topic, d.Kind, strconv.Itoa(d.Exchanges), strconv.Itoa(d.Tokens), verdict, Excerpt(d.Text, ExcerptLen)})
		}
		for _, r := range u.Rejected[:min(rejected, len(u.Rejected))] {
			rows = append(rows, []string{u.Topic, "", "", "", rejectVerdict(r.Reason, r.Detail), Excerpt(r.Text, ExcerptLen)})
		}
	}
	return drawing.HTMLTable([]string{"topic", "kind", "exchanges", "tokens", "verdict", "text"}, rows)
}

func rejectVerdict(r generate.Reason, detail string) string {
	if detail != "" {
		return fmt.Sprintf("rejected: %s (%s)", r, detail)
	}
	return "rejected: " + string(r)
}

// reasonList formats counts by reason, most frequent first: "emotion-word 3, meta 1".
func reasonList(m map[generate.Reason]int) string {
	type rc struct {
		r generate.Reason
		n int
	}
	var l []rc
	for r, n := range m {
		l = append(l, rc{r, n})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].n != l[j].n {
			return l[i].n > l[j].n
		}
		return l[i].r < l[j].r
	})
	parts := make([]string, len(l))
	for i, x := range l {
		parts[i] = fmt.Sprintf("%s %d", x.r, x.n)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
