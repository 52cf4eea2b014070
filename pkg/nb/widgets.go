package nb

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
)

// The interactive cells. Each loads what it needs from cfg (the run's vectors, the model), asks
// LiveFrontEnd whether a browser is there, and then either shows its widgets and answers them until Done
// is pressed (or the kernel is interrupted, or LiveIdle passes), or shows a static example. Either way the
// notebook keeps one static result: the widgets are transient outputs, erased when the cell ends.
//
// The pages they make carry class names for tests/browser/live.mjs, which drives them in JupyterLab:
// .ep-scorebox-input (the text box), .ep-steer-emotion and .ep-steer-alpha (the menu and the slider),
// .ep-live-result (the current result, with data-n counting its updates), .ep-live-ended (the note
// under the kept result) and .ep-static-note (over a static example).

// ScoreBox shows a text box whose tokens are coloured by emotion as you type: about a quarter of a second
// after each edit, the text is read by cfg's model and each token scored against the run's emotion vectors
// (probe.ScoreText, as `emotion-probes score` does, centred on the stories' mean; colours as ScoreHTML).
// It starts with example. Headless it shows example scored, under a note (see LiveFrontEnd).
func ScoreBox(cfg *config.Config, example string) {
	sc := Must1(newScorer(cfg))
	live, why := LiveFrontEnd()
	if !live {
		HTML(staticNote("the text box colours the tokens of whatever you type", why) + sc.resultHTML(example, 0))
		return
	}
	uid := gonbui.UniqueId()
	ui, result := "ep-scorebox-ui-"+uid, "ep-scorebox-result-"+uid // display ids of the two transient outputs
	root, input, addr := "ep-scorebox-"+uid, "ep-scorebox-input-"+uid, "/emotion-probes/score/"+uid
	var texts *comms.AddressChan[string]
	var done *comms.AddressChan[int]
	if !connect(func() {
		texts = comms.Listen[string](addr).LatestOnly() // before the page can send
		gonbui.UpdateHTML(ui, scoreBoxHTML(root, input, example))
		done = widgets.Button("Done").AppendTo(root).Done().Listen()
		dom.TransientJavascript(scoreBoxJS(input, addr))
	}) {
		gonbui.UpdateHTML(ui, "")
		HTML(staticNote("the text box colours the tokens of whatever you type", widgetsLost()) + sc.resultHTML(example, 0))
		return
	}

	n, last := 0, ""
	show := func(text string) {
		n++
		last = sc.resultHTML(text, n)
		gonbui.UpdateHTML(result, last)
	}
	show(example)
	why = liveLoop(Context(), LiveIdle, done.C, texts.C, show)
	gonbui.UpdateHTML(ui, "")
	gonbui.UpdateHTML(result, "")
	HTML(last + endedNote(why))
}

// scorer scores texts against a run's vectors with its model.
type scorer struct {
	m    *Loaded
	set  *vectors.Set
	opts probe.Options
	note string // why the scores are not centred, if they are not
}

func newScorer(cfg *config.Config) (*scorer, error) {
	out := cfg.OutputDir()
	set, err := vectors.LoadDefault(out)
	if err != nil {
		return nil, fmt.Errorf("nb: the run's emotion vectors: %w", err)
	}
	s := &scorer{set: set, opts: probe.Options{At: probe.AtMean, TokenOffset: cfg.Extraction.TokenOffset}}
	if s.opts.Center, err = probe.StoryMean(out, set.Layer); err != nil {
		s.note = fmt.Sprintf("raw cosines, not centred on the stories' mean (%v)", err)
	}
	if s.m, err = LoadModel(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// resultHTML scores text and shows it (ScoreHTML), wrapped for the browser check: n counts the updates.
func (s *scorer) resultHTML(text string, n int) string {
	var body string
	switch {
	case strings.TrimSpace(text) == "":
		body = `<div style="font:13px sans-serif;color:#888">(type a text above)</div>`
	default:
		if sc, err := probe.ScoreText(s.m.Model, s.set, text, s.opts); err != nil {
			body = errorHTML(err)
		} else {
			body = ScoreHTML(sc)
		}
	}
	if s.note != "" {
		body += fmt.Sprintf(`<div style="font:12px sans-serif;color:#a60">%s</div>`, html.EscapeString(s.note))
	}
	return fmt.Sprintf(`<div class="ep-live-result" data-n="%d" data-text="%s">%s</div>`, n, html.EscapeString(text), body)
}

func scoreBoxHTML(root, input, example string) string {
	return fmt.Sprintf(`<div id="%s" class="ep-scorebox" style="font:13px sans-serif">`+
		`<div style="color:#555;margin-bottom:4px">Type here: the text is scored a moment after you stop typing. `+
		`<b>Done</b> ends the cell and keeps the last result.</div>`+
		`<textarea id="%s" class="ep-scorebox-input" rows="3" spellcheck="false" `+
		`style="width:95%%;font:13px monospace;display:block;margin-bottom:4px">%s</textarea></div>`,
		root, input, html.EscapeString(example))
}

// scoreBoxJS sends the text box's text to addr a quarter of a second after the last keystroke.
func scoreBoxJS(input, addr string) string {
	return fmt.Sprintf(`(() => {
  const box = document.getElementById(%s);
  if (!box) return;
  let timer = null;
  // globalThis.gonb_comm when sending, not now: GoNB replaces it when it reconnects.
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => globalThis.gonb_comm?.send(%s, box.value), 250);
  });
})();`, jsString(input), jsString(addr))
}

// SteerPlayground shows a steering cell: a menu of the run's emotions and a strength slider (alpha, from -1
// to 1 in steps of 0.01); each change regenerates prompt's continuation with alpha x the residual norm x
// the emotion's unit vector added to the residual stream at the vectors' layer (probe.Steer, as
// `emotion-probes steer` does, prompt and generated tokens steered, read as raw text), beside the
// unsteered continuation from the same seed. The controls start at emotion (the run's first emotion if it
// has no such vector) and alpha. Headless it shows that one steered continuation, under a note.
func SteerPlayground(cfg *config.Config, prompt, emotion string, alpha float64) {
	st := Must1(newSteerer(cfg, prompt))
	k := max(0, slices.Index(st.set.Emotions, emotion))
	a := int(math.Round(100 * max(-1, min(1, alpha))))
	live, why := LiveFrontEnd()
	if !live {
		HTML(staticNote("the menu and the slider regenerate the steered continuation", why) + st.resultHTML(k, a, 0))
		return
	}
	uid := gonbui.UniqueId()
	ui, result, root := "ep-steer-ui-"+uid, "ep-steer-result-"+uid, "ep-steer-"+uid
	sliderID, labelID := "ep-steer-alpha-"+uid, "ep-steer-alpha-label-"+uid
	var sel *widgets.SelectBuilder
	var slider *widgets.SliderBuilder
	var done *comms.AddressChan[int]
	if !connect(func() {
		gonbui.UpdateHTML(ui, fmt.Sprintf(`<div id="%s" class="ep-steer" style="font:13px sans-serif;display:flex;gap:8px;align-items:center">`+
			`<span>steer toward</span></div>`, root))
		sel = widgets.Select(st.set.Emotions).SetDefault(k).WithHtmlId("ep-steer-emotion-" + uid).AppendTo(root).Done()
		dom.Append(root, `<span>strength &alpha;</span>`)
		slider = widgets.Slider(-100, 100, a).WithHtmlId(sliderID).AppendTo(root).Done()
		dom.Append(root, fmt.Sprintf(`<span id="%s" style="font-family:monospace;min-width:3.5em">%+.2f</span>`, labelID, float64(a)/100))
		done = widgets.Button("Done").AppendTo(root).Done().Listen()
		dom.TransientJavascript(steerJS(sliderID, labelID, "ep-steer-emotion-"+uid, slider.Address()))
	}) {
		gonbui.UpdateHTML(ui, "")
		HTML(staticNote("the menu and the slider regenerate the steered continuation", widgetsLost()) + st.resultHTML(k, a, 0))
		return
	}

	// The menu and the slider send separately; what is regenerated is the latest pair.
	type knobs struct{ emotion, alpha int }
	var mu sync.Mutex
	first := knobs{k, a}
	cur, latest := first, make(chan knobs, 1)
	set := func(f func(*knobs)) {
		mu.Lock()
		defer mu.Unlock()
		f(&cur)
		select {
		case <-latest: // replaced by the newer pair
		default:
		}
		latest <- cur
	}
	go func() {
		for v := range sel.Listen().C {
			set(func(k *knobs) { k.emotion = max(0, min(len(st.set.Emotions)-1, v)) })
		}
	}()
	go func() {
		for v := range slider.Listen().C {
			set(func(k *knobs) { k.alpha = max(-100, min(100, v)) })
		}
	}()

	n, last, shown := 0, "", first
	show := func(k knobs) {
		if n > 0 && k == shown {
			return // the slider's value sent again when it was let go (steerJS)
		}
		n++
		last, shown = st.resultHTML(k.emotion, k.alpha, n), k
		gonbui.UpdateHTML(result, last)
	}
	show(first)
	why = liveLoop(Context(), LiveIdle, done.C, latest, show)
	gonbui.UpdateHTML(ui, "")
	gonbui.UpdateHTML(result, "")
	HTML(last + endedNote(why))
}

// steerJS shows the slider's alpha beside it while it moves (in the page, with no round trip), sends the
// slider's value to addr once more when it is let go, and tags the widgets with the class names the
// browser check finds them by. The second send is there because GoNB delivers each message to the cell
// program on a goroutine of its own, so two values sent close together (a drag) may arrive out of order;
// the one sent last, well after the others, is the value the slider rests at. The cell ignores it when
// it already shows that value.
func steerJS(slider, label, menu, addr string) string {
	return fmt.Sprintf(`(() => {
  const s = document.getElementById(%s), l = document.getElementById(%s), m = document.getElementById(%s);
  if (!s || !l || !m) return;
  s.classList.add("ep-steer-alpha"); m.classList.add("ep-steer-emotion");
  const show = () => { const a = s.value / 100; l.textContent = (a >= 0 ? "+" : "") + a.toFixed(2); };
  s.addEventListener("input", show);
  s.addEventListener("change", () => setTimeout(() => globalThis.gonb_comm?.send(%s, s.value), 150));
})();`, jsString(slider), jsString(label), jsString(menu), jsString(addr))
}

// SteerTokens is how many tokens SteerPlayground generates; SteerSeed is its sampling seed, the same for
// the steered and the unsteered continuation.
var (
	SteerTokens        = 40
	SteerSeed   uint64 = 42
)

// steerer generates a prompt's continuation steered along a run's vectors.
type steerer struct {
	m         *Loaded
	set       *vectors.Set
	norm      float64
	prompt    string
	ids       []int
	gen       lm.GenerateOptions
	unsteered string
}

func newSteerer(cfg *config.Config, prompt string) (*steerer, error) {
	out := cfg.OutputDir()
	set, err := vectors.LoadDefault(out)
	if err != nil {
		return nil, fmt.Errorf("nb: the run's emotion vectors: %w", err)
	}
	norm, err := probe.MeanStoryNorm(out, set.Layer, set.Emotions)
	if err != nil {
		return nil, fmt.Errorf("nb: the steering norm: %w", err)
	}
	m, err := LoadModel(cfg)
	if err != nil {
		return nil, err
	}
	g := cfg.Generation
	s := &steerer{m: m, set: set, norm: norm, prompt: prompt, ids: m.ReadingTokens(prompt), gen: lm.GenerateOptions{
		Sampling:     lm.Sampling{Temperature: g.Temperature, TopP: g.TopP, TopK: g.TopK},
		MaxNewTokens: SteerTokens, Seeds: []uint64{SteerSeed}, StopTokens: m.StopTokens(),
	}}
	// The unsteered continuation is the steered one at strength 0: adding a zero vector leaves every state
	// as it is, and both continuations run the same compiled programs (about 4 s of compiling less).
	zero, err := probe.Steer(set, set.Emotions[0], 0, norm, false)
	if err != nil {
		return nil, err
	}
	if s.unsteered, err = s.generate(zero); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *steerer) generate(steer *lm.Steering) (string, error) {
	opts := s.gen
	opts.Steer = steer
	out, err := s.m.Generate([][]int{s.ids}, opts)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(s.m.Text(out[0].Tokens)), nil
}

// resultHTML generates the continuation steered toward emotion k at alpha a/100 and shows it (SteerHTML),
// wrapped for the browser check: n counts the updates.
func (s *steerer) resultHTML(k, a, n int) string {
	r := Steered{Prompt: s.prompt, Emotion: s.set.Emotions[k], Color: scorePalette[k%len(scorePalette)], Alpha: float64(a) / 100,
		Norm: s.norm, Layer: s.set.Layer, Seed: SteerSeed, Unsteered: s.unsteered}
	var body string
	if st, err := probe.Steer(s.set, r.Emotion, r.Alpha, s.norm, false); err != nil {
		body = errorHTML(err)
	} else if r.Steered, err = s.generate(st); err != nil {
		body = errorHTML(err)
	} else {
		body = SteerHTML(r)
	}
	return fmt.Sprintf(`<div class="ep-live-result" data-n="%d" data-emotion="%s" data-alpha="%.2f">%s</div>`,
		n, html.EscapeString(r.Emotion), r.Alpha, body)
}

// Steered is a continuation generated with steering, beside the one generated without.
type Steered struct {
	Prompt, Emotion    string
	Color              string  // the emotion's colour (CSS)
	Alpha, Norm        float64 // the steering vector is Alpha x Norm x the emotion's unit vector
	Layer              int     // added to hidden_states[Layer]
	Seed               uint64  // the sampling seed of both continuations
	Unsteered, Steered string
}

// SteerHTML shows a steered continuation: the settings, the prompt, then the unsteered and the steered
// continuation side by side.
func SteerHTML(r Steered) string {
	var b strings.Builder
	b.WriteString(`<div style="font:13px sans-serif">`)
	fmt.Fprintf(&b, `<div style="color:#555">layer %d: &alpha; = %+.2f &times; residual norm %.2f along <b>%s</b>; seed %d for both</div>`,
		r.Layer, r.Alpha, r.Norm, html.EscapeString(r.Emotion), r.Seed)
	fmt.Fprintf(&b, `<div style="font-family:monospace;white-space:pre-wrap;color:#777;margin:6px 0">%s &hellip;</div>`, html.EscapeString(r.Prompt))
	b.WriteString(`<div style="display:flex;gap:12px">`)
	col := func(title, color, class, text string) {
		fmt.Fprintf(&b, `<div style="flex:1;border-left:3px solid %s;padding-left:6px"><div style="font-weight:600;margin-bottom:2px">%s</div>`+
			`<div class="%s" style="font-family:monospace;white-space:pre-wrap">%s</div></div>`,
			color, title, class, html.EscapeString(text))
	}
	col("unsteered", "#bbb", "ep-steer-unsteered", r.Unsteered)
	col(fmt.Sprintf("steered toward %s, &alpha; = %+.2f", html.EscapeString(r.Emotion), r.Alpha), r.Color, "ep-steer-steered", r.Steered)
	b.WriteString(`</div></div>`)
	return b.String()
}

// widgetsLost says why a cell shows its static example after the handshake succeeded.
func widgetsLost() string {
	return fmt.Sprintf("the widgets did not connect within %s (run the cell again)", WidgetTimeout)
}

func errorHTML(err error) string {
	return fmt.Sprintf(`<div style="font:13px sans-serif;color:#b00">error: %s</div>`, html.EscapeString(err.Error()))
}
