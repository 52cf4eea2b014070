package logitlens_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/geometry/geometrytest"
	"github.com/emotion-probes/emotion-probes/pkg/method/logitlens"
)

var (
	tinyOnce  sync.Once
	tinyModel *lm.Model
	tinyErr   error
)

// tiny loads the 2-layer random-weight Llama of pkg/engine/lm's tests (hidden 32, vocabulary 320) once.
func tiny(t *testing.T) *lm.Model {
	t.Helper()
	tinyOnce.Do(func() {
		tinyModel, tinyErr = lm.Load(filepath.Join("..", "..", "engine", "lm", "testdata", "tiny-llama"), lm.LoadOptions{})
	})
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tinyModel
}

// fixture is testdata/tiny_llama_lens.json, made by tools/reference/make_logitlens_fixtures.py
// (transformers 5.24.0, float32): lm_head(norm(v)) and lm_head(v) for 4 vectors.
type fixture struct {
	Vectors      [][]float32 `json:"vectors"`
	Logits       [][]float64 `json:"logits"`
	LogitsNoNorm [][]float64 `json:"logits_no_norm"`
}

func readFixture(t *testing.T) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tiny_llama_lens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// sortedIDs ranks ids by logit, highest first (ties: smaller id first): the full sort Rank must agree with.
func sortedIDs[T float32 | float64](logits []T, ids []int) []int {
	out := slices.Clone(ids)
	sort.SliceStable(out, func(a, b int) bool {
		if logits[out[a]] != logits[out[b]] {
			return logits[out[a]] > logits[out[b]]
		}
		return out[a] < out[b]
	})
	return out
}

func ids(ts []logitlens.Token) []int {
	out := make([]int, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestLensMatchesTransformers(t *testing.T) {
	m := tiny(t)
	f := readFixture(t)
	got, err := m.Unembed(f.Vectors)
	if err != nil {
		t.Fatal(err)
	}
	// The logit lens includes the final norm: our logits match transformers' lm_head(norm(v)), and not lm_head(v).
	for i := range f.Vectors {
		var maxErr, maxNoNorm float64
		for j, want := range f.Logits[i] {
			maxErr = max(maxErr, math.Abs(float64(got[i][j])-want))
			maxNoNorm = max(maxNoNorm, math.Abs(float64(got[i][j])-f.LogitsNoNorm[i][j]))
		}
		if maxErr > 1e-4 {
			t.Errorf("vector %d: logits differ from transformers' lm_head(norm(v)) by up to %g", i, maxErr)
		}
		if maxNoNorm < 1e-2 {
			t.Errorf("vector %d: logits equal lm_head(v) without the norm (max diff %g)", i, maxNoNorm)
		}
	}
	// Rankings agree with the reference's logits, and the norm makes them scale-free (vector 3 = 100 x vector 0).
	all := make([]int, len(f.Logits[0]))
	for i := range all {
		all[i] = i
	}
	vocab := m.Tokenizer
	entries, err := logitlens.Lens(m, vocab, []string{"a", "b", "c", "a100"}, f.Vectors, 5, logitlens.Filter{KeepSpecial: true, KeepUnreadable: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		ref := sortedIDs(f.Logits[i], all)
		if !slices.Equal(ids(e.Top), ref[:5]) {
			t.Errorf("%s: top %v, transformers' logits rank %v", e.Emotion, ids(e.Top), ref[:5])
		}
		rev := slices.Clone(ref)
		slices.Reverse(rev)
		if !slices.Equal(ids(e.Bottom), rev[:5]) {
			t.Errorf("%s: bottom %v, transformers' logits rank %v", e.Emotion, ids(e.Bottom), rev[:5])
		}
	}
	if !slices.Equal(ids(entries[0].Top), ids(entries[3].Top)) {
		t.Errorf("scaling a vector by 100 changed its top tokens: %v vs %v", ids(entries[0].Top), ids(entries[3].Top))
	}
}

func TestRankEqualsSort(t *testing.T) {
	m := tiny(t)
	f := readFixture(t)
	logits, err := m.Unembed(f.Vectors)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		filter logitlens.Filter
		k      int
	}{
		{"default filter k=10", logitlens.Filter{}, 10},
		{"keep all k=3", logitlens.Filter{KeepSpecial: true, KeepUnreadable: true}, 3},
		{"keep special k=1", logitlens.Filter{KeepSpecial: true}, 1},
		{"more than half the vocabulary", logitlens.Filter{}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eligible := logitlens.Eligible(m.Tokenizer, len(logits[0]), tc.filter)
			for i, row := range logits {
				e, err := logitlens.Rank("x", row, eligible, tc.k, m.Tokenizer)
				if err != nil {
					t.Fatal(err)
				}
				ref := sortedIDs(row, eligible)
				kTop := min(tc.k, len(ref))
				if !slices.Equal(ids(e.Top), ref[:kTop]) {
					t.Errorf("row %d: top %v, sorted %v", i, ids(e.Top), ref[:kTop])
				}
				// Bottom: the lowest k of what the top left, lowest first.
				rest := slices.Clone(ref[kTop:])
				slices.Reverse(rest)
				kBot := min(tc.k, len(rest))
				if !slices.Equal(ids(e.Bottom), rest[:kBot]) {
					t.Errorf("row %d: bottom %v, sorted %v", i, ids(e.Bottom), rest[:kBot])
				}
				for _, tok := range e.Top {
					if slices.Contains(ids(e.Bottom), tok.ID) {
						t.Errorf("row %d: token %d in both top and bottom", i, tok.ID)
					}
					if tok.Logit != float64(row[tok.ID]) || tok.Text != m.Tokenizer.TokenText(tok.ID) {
						t.Errorf("row %d: token %+v, logit %v text %q", i, tok, row[tok.ID], m.Tokenizer.TokenText(tok.ID))
					}
				}
			}
		})
	}
}

func TestFilters(t *testing.T) {
	m := tiny(t)
	vocab := m.Tokenizer
	def := logitlens.Eligible(vocab, 320, logitlens.Filter{})
	all := logitlens.Eligible(vocab, 320, logitlens.Filter{KeepSpecial: true, KeepUnreadable: true})
	if len(all) != vocab.VocabSize() || len(def) >= len(all) || len(def) == 0 {
		t.Fatalf("eligible: %d by default, %d unfiltered, vocabulary %d", len(def), len(all), vocab.VocabSize())
	}
	for _, id := range def {
		text := vocab.TokenText(id)
		if vocab.IsSpecial(id) || !logitlens.Readable(text) {
			t.Errorf("token %d %q passed the default filter", id, text)
		}
	}
	// Known tokens of the tiny vocabulary: 0 <|endoftext|> (special), 3 "!" (punctuation), 263 " the".
	for _, tc := range []struct {
		id   int
		want bool
	}{{0, false}, {3, false}, {263, true}} {
		if got := slices.Contains(def, tc.id); got != tc.want {
			t.Errorf("token %d %q eligible = %v, want %v", tc.id, vocab.TokenText(tc.id), got, tc.want)
		}
	}
	// Fewer logits than the vocabulary: ids beyond are never eligible.
	if got := logitlens.Eligible(vocab, 10, logitlens.Filter{KeepSpecial: true, KeepUnreadable: true}); len(got) != 10 {
		t.Errorf("10 logits: %d eligible", len(got))
	}
}

func TestReadable(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{" grief", true}, {"tears", true}, {"3", true}, {" 😢", true}, {"♥", true}, {"é", true},
		{"", false}, {" ", false}, {"\n\n", false}, {"\t", false}, {".", false}, {" ...", false}, {"):", false},
		{" =", false}, {"$", false}, {"^", false}, {"\xe2\x80", false}, {"a\xff", false},
	} {
		if got := logitlens.Readable(tc.text); got != tc.want {
			t.Errorf("Readable(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestRunWritesFiles(t *testing.T) {
	m := tiny(t)
	dir := t.TempDir()
	names := geometrytest.Emotions()
	vecs := geometrytest.Vectors(names, m.Config.HiddenSize, 1, 11)
	cfg, err := geometrytest.Run(dir, 1, names, vecs)
	if err != nil {
		t.Fatal(err)
	}
	res, err := logitlens.Run(m, m.Tokenizer, cfg, logitlens.Options{Emotions: []string{"happy", "sad"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := logitlens.Load(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(r.Emotions) != 2 || r.Emotions[0].Emotion != "sad" || r.Emotions[1].Emotion != "happy" {
		t.Fatalf("emotions: %+v (want sad, happy: the file's order)", r.Emotions)
	}
	if r.TopK != cfg.Analysis.LogitLensTopK || !r.FilterSpecial || !r.FilterUnread || r.EligibleTokens == 0 {
		t.Errorf("result header: %+v", r)
	}
	for _, e := range r.Emotions {
		if len(e.Top) != r.TopK || len(e.Bottom) != r.TopK {
			t.Errorf("%s: %d top, %d bottom tokens, want %d", e.Emotion, len(e.Top), len(e.Bottom), r.TopK)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, logitlens.Stage, "layer_1.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| happy |") || strings.Count(string(md), "\n|") != 4 {
		t.Errorf("markdown table:\n%s", md)
	}
	// An emotion absent from the vectors is an error that names it.
	if _, err := logitlens.Run(m, m.Tokenizer, cfg, logitlens.Options{Emotions: []string{"bored"}}); err == nil || !strings.Contains(err.Error(), `"bored"`) {
		t.Errorf("unknown emotion: %v", err)
	}
}
