package nb

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/tokenizer"
	"github.com/emotion-probes/emotion-probes/pkg/support/drawing"
)

// ModelCard shows a loaded model's hyper-parameters (read from its file, none hard-coded), where it came
// from, and the residual-stream layer the pipeline reads by default.
func ModelCard(m *Loaded) { HTML(ModelCardHTML(m)) }

// ModelCardHTML is the table that ModelCard shows.
func ModelCardHTML(m *Loaded) string {
	c := m.Config
	yes := map[bool]string{true: "yes", false: "no"}
	chat := m.ChatWarning() // the model's own template, a built-in stand-in, or why chats cannot be formatted
	if chat == "" {
		chat = m.Chat.Name()
	}
	var stops []string
	for _, id := range m.StopTokens() {
		stops = append(stops, fmt.Sprintf("%s (%d)", drawing.VisibleToken(m.Tokenizer.TokenText(id)), id))
	}
	rows := [][]string{
		{"model", m.Resolved.Describe()},
		{"file", m.Resolved.Path},
		{"sha256", m.SHA256},
		{"backend", m.Backend},
		{"architecture", c.Architecture},
		{"layers (decoder blocks)", strconv.Itoa(c.NumLayers)},
		{"d_model (residual stream width)", strconv.Itoa(c.HiddenSize)},
		{"MLP width", strconv.Itoa(c.IntermediateSize)},
		{"attention heads (query / key-value)", fmt.Sprintf("%d / %d, head width %d", c.NumHeads, c.NumKVHeads, c.HeadDim)},
		{"vocabulary", strconv.Itoa(c.VocabSize)},
		{"context length", strconv.Itoa(c.MaxPositions)},
		{"RoPE theta", strconv.FormatFloat(c.RopeTheta, 'g', -1, 64)},
		{"tied embeddings", yes[c.TieWordEmbeddings]},
		{"chat template", chat},
		{"stop tokens", strings.Join(stops, ", ")},
		{"default layer read", fmt.Sprintf("%d = int(2/3 x %d)", c.DefaultLayer(), c.NumLayers)},
	}
	return drawing.HTMLTable([]string{"property", "value"}, rows)
}

// tokenCSS styles Tokens' chips; scoped to class "nb-tokens".
const tokenCSS = `<style>
.nb-tokens{display:flex;flex-wrap:wrap;gap:3px;font:13px/1.3 ui-monospace,Menlo,Consolas,monospace;margin:6px 0}
.nb-tokens .t{border:1px solid #cfd8e3;border-radius:4px;padding:2px 5px;background:#f3f7fb;text-align:center}
.nb-tokens .t.sp{background:#fdf3e1;border-color:#e8cf9e}
.nb-tokens .t b{display:block;font-weight:400;white-space:pre}
.nb-tokens .t i{display:block;font-style:normal;color:#888;font-size:10px}
</style>
`

// Tokens shows token ids as tok spells them: one chip per token with its text (spaces as ␣, newlines as
// ↵) over its id; special tokens (BOS, end of turn) are shaded. Pass m.ReadingTokens(text) to see a text as
// the activation stage reads it.
func Tokens(tok *tokenizer.Tokenizer, ids []int) { HTML(TokensHTML(tok, ids)) }

// TokensHTML is the HTML that Tokens shows.
func TokensHTML(tok *tokenizer.Tokenizer, ids []int) string {
	var b strings.Builder
	b.WriteString(tokenCSS)
	fmt.Fprintf(&b, `<div style="font:12px sans-serif;color:#555">%d tokens</div><div class="nb-tokens">`, len(ids))
	for _, id := range ids {
		class := "t"
		s := tok.TokenText(id)
		if tok.IsSpecial(id) {
			class += " sp"
			s = tok.TokenString(id)
		}
		fmt.Fprintf(&b, `<span class="%s"><b>%s</b><i>%d</i></span>`, class, html.EscapeString(drawing.VisibleToken(s)), id)
	}
	b.WriteString("</div>")
	return b.String()
}
