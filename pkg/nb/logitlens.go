package nb

import (
	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// LogitLens shows one layer's logit lens as a table: per emotion, the tokens its vector promotes most and
// suppresses most, with their logits (spaces shown as ␣).
func LogitLens(r *logitlens.Result) { HTML(LogitLensHTML(r)) }

// LogitLensHTML is the table that LogitLens shows.
func LogitLensHTML(r *logitlens.Result) string {
	conv := func(ts []logitlens.Token) []drawing.TokenScore {
		out := make([]drawing.TokenScore, len(ts))
		for i, t := range ts {
			out[i] = drawing.TokenScore{Token: t.Text, Score: t.Logit}
		}
		return out
	}
	rows := make([]drawing.LogitLensRow, len(r.Emotions))
	for i, e := range r.Emotions {
		rows[i] = drawing.LogitLensRow{Emotion: e.Emotion, Top: conv(e.Top), Bottom: conv(e.Bottom)}
	}
	return drawing.LogitLensTable(rows)
}
