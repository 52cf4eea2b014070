package progress

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Options configures a Bar. The zero value draws to os.Stderr in terminal or plain-log mode, or as HTML
// inside a GoNB notebook.
type Options struct {
	Unit     string           // what is counted, plural: "stories", "tokens" (default "items")
	Writer   io.Writer        // where the text bar goes (default os.Stderr)
	Notebook bool             // draw as HTML (gonbui.UpdateHTML) even if not detected as inside GoNB
	Quiet    bool             // draw nothing
	Now      func() time.Time // the clock (default time.Now); tests and examples pass a fake one
}

// Redraw limits: terminal redraws a line in place, logs get a line now and then, notebooks get HTML.
const (
	ttyEvery      = 200 * time.Millisecond // ~5 redraws/s
	plainEvery    = 10 * time.Second       // one log line per 10 s
	htmlEvery     = 500 * time.Millisecond // ~2 updates/s
	sampleEvery   = 500 * time.Millisecond // rate samples at most this often
	rateTimeConst = 10 * time.Second       // EMA time constant
	barWidth      = 20                     // characters (or HTML width share) of the bar
)

type mode int

const (
	modeQuiet mode = iota
	modeTTY
	modePlain
	modeHTML
)

// Bar is a progress bar. Its methods are safe for concurrent use. A nil *Bar ignores every call, so
// optional progress needs no checks.
type Bar struct {
	mu sync.Mutex

	label, unit string
	total, n    int
	base        int // count at start (Resume): work not done by this run, left out of the rate
	note        string
	mode        mode
	w           io.Writer
	now         func() time.Time
	updateHTML  func(id, html string)
	htmlID      string
	start       time.Time
	lastDraw    time.Time
	drawn       bool // something was drawn (lastDraw is meaningful)
	lineLen     int  // length of the last terminal line, to blank a longer previous one
	done        bool

	// Rate: an EMA of samples (sampleN, sampleT) -> (n, now).
	sampleT time.Time
	sampleN int
	ema     float64
	emaOK   bool
}

// New starts a bar labelled label counting to total (0 or less: unknown total, no bar nor ETA). In a
// terminal or notebook it is drawn at once, at 0.
func New(label string, total int, opts Options) *Bar {
	return newBar(label, total, opts, gonbui.UpdateHTML)
}

// newBar is New with the HTML sink as a parameter, for tests.
func newBar(label string, total int, opts Options, updateHTML func(id, html string)) *Bar {
	b := &Bar{label: label, total: total, unit: opts.Unit, w: opts.Writer, now: opts.Now, updateHTML: updateHTML}
	if b.unit == "" {
		b.unit = "items"
	}
	if b.w == nil {
		b.w = os.Stderr
	}
	if b.now == nil {
		b.now = time.Now
	}
	switch {
	case opts.Quiet:
		b.mode = modeQuiet
	case opts.Notebook || gonbui.IsNotebook:
		b.mode = modeHTML
		b.htmlID = "progress_" + gonbui.UniqueId()
	case isTerminal(b.w):
		b.mode = modeTTY
	default:
		b.mode = modePlain
	}
	b.start = b.now()
	b.sampleT = b.start
	if b.mode == modeTTY || b.mode == modeHTML {
		b.mu.Lock()
		b.draw(b.start, false)
		b.mu.Unlock()
	}
	return b
}

// isTerminal reports whether w is a character device (a terminal), without a dependency on x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Add counts n more items done.
func (b *Bar) Add(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setLocked(b.n + n)
}

// Set sets the count of items done. A count lower than before restarts the rate.
func (b *Bar) Set(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setLocked(n)
}

// Resume sets the count to n items that were done before this bar started (by an earlier, interrupted
// run): they show in the count and percentage but not in the rate, so the ETA stays honest. Call it
// before the first Add.
func (b *Bar) Resume(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.n, b.base = n, n
	b.sampleN, b.sampleT, b.emaOK = n, now, false
	b.start = now
	b.maybeDraw(now)
}

// SetTotal changes the total (for example once the number of items is known).
func (b *Bar) SetTotal(total int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total = total
	b.maybeDraw(b.now())
}

// Note sets a short status shown after the bar ("kept 11/12"); "" removes it. A terminal or notebook
// shows it at once (throttled); a log shows it with the next count, so set it before the Add it goes with.
func (b *Bar) Note(s string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.note = s
	if b.mode != modePlain {
		b.maybeDraw(b.now())
	}
}

// Done draws the final state: the count, the total time and the mean rate of this run. Later calls to
// the bar are ignored.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	b.draw(b.now(), true)
	if b.htmlID != "" && gonbui.IsNotebook {
		// GoNB v0.11.5 can drop displays still in flight when the cell's program exits: wait for
		// the final state of the bar to reach the notebook.
		gonbui.Sync()
	}
}

func (b *Bar) setLocked(n int) {
	if b.done {
		return
	}
	now := b.now()
	if n < b.n { // counting backwards: the old rate means nothing
		b.sampleN, b.sampleT, b.emaOK = n, now, false
		if n < b.base {
			b.base = n
		}
	}
	b.n = n
	b.sample(now)
	b.maybeDraw(now)
}

// sample folds the progress since the last sample into the EMA, if at least sampleEvery has passed.
func (b *Bar) sample(now time.Time) {
	dt := now.Sub(b.sampleT)
	if dt < sampleEvery {
		return
	}
	inst := float64(b.n-b.sampleN) / dt.Seconds()
	if b.emaOK {
		w := 1 - math.Exp(-dt.Seconds()/rateTimeConst.Seconds())
		b.ema += w * (inst - b.ema)
	} else {
		b.ema, b.emaOK = inst, true
	}
	b.sampleN, b.sampleT = b.n, now
}

// rate returns items per second: the EMA, or the mean since the start before the first sample.
func (b *Bar) rate(now time.Time) float64 {
	if b.emaOK {
		return b.ema
	}
	return b.meanRate(now)
}

func (b *Bar) meanRate(now time.Time) float64 {
	el := now.Sub(b.start).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(b.n-b.base) / el
}

// maybeDraw redraws if the mode's interval has passed since the last drawing.
func (b *Bar) maybeDraw(now time.Time) {
	if b.done {
		return
	}
	var every time.Duration
	last := b.lastDraw
	switch b.mode {
	case modeTTY:
		every = ttyEvery
	case modeHTML:
		every = htmlEvery
	case modePlain:
		if b.total > 0 && b.n >= b.total {
			return // Done prints the final line; a 100% line just before it would repeat it
		}
		every = plainEvery
		if !b.drawn {
			last = b.start // the first log line comes after plainEvery, not at once
		}
	default:
		return
	}
	if (b.drawn || b.mode == modePlain) && now.Sub(last) < every {
		return
	}
	b.draw(now, false)
}

func (b *Bar) draw(now time.Time, final bool) {
	b.lastDraw, b.drawn = now, true
	switch b.mode {
	case modeTTY:
		line := b.line(now, final)
		pad := ""
		if n := b.lineLen - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		b.lineLen = len(line)
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprint(b.w, "\r"+line+pad+end)
	case modePlain:
		fmt.Fprintln(b.w, b.line(now, final))
	case modeHTML:
		b.updateHTML(b.htmlID, b.html(now, final))
	}
}

// line renders the text bar:
//
//	stories  [##########..........] 120/240  50%  3.1 stories/s  ETA 0:38  kept 11/12
//	stories  [####################] 240/240 100%  done in 1:17  3.1 stories/s  kept 11/12
func (b *Bar) line(now time.Time, final bool) string {
	var s strings.Builder
	s.WriteString(b.label)
	if b.total > 0 {
		frac := b.fraction()
		full := int(frac * barWidth)
		fmt.Fprintf(&s, "  [%s%s] %d/%d %3.0f%%", strings.Repeat("#", full), strings.Repeat(".", barWidth-full),
			b.n, b.total, 100*frac)
	} else {
		fmt.Fprintf(&s, "  %d", b.n)
	}
	if final {
		fmt.Fprintf(&s, "  done in %s  %s", FormatDuration(now.Sub(b.start)), b.formatRate(b.meanRate(now)))
	} else {
		r := b.rate(now)
		fmt.Fprintf(&s, "  %s", b.formatRate(r))
		if eta, ok := b.eta(r); ok {
			fmt.Fprintf(&s, "  ETA %s", FormatDuration(eta))
		} else if b.total <= 0 {
			fmt.Fprintf(&s, "  %s elapsed", FormatDuration(now.Sub(b.start)))
		}
	}
	if b.note != "" {
		s.WriteString("  ")
		s.WriteString(b.note)
	}
	return s.String()
}

// fraction is the share done, clamped to [0, 1].
func (b *Bar) fraction() float64 {
	if b.total <= 0 {
		return 0
	}
	return math.Min(1, math.Max(0, float64(b.n)/float64(b.total)))
}

// eta is the time left at rate r; ok is false when unknown (no total, no rate yet).
func (b *Bar) eta(r float64) (time.Duration, bool) {
	if b.total <= 0 || r <= 0 {
		return 0, false
	}
	left := b.total - b.n
	if left <= 0 {
		return 0, true
	}
	return time.Duration(float64(left) / r * float64(time.Second)), true
}

// formatRate writes "3.1 stories/s" with about 2-3 significant digits.
func (b *Bar) formatRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f %s/s", r, b.unit)
	case r >= 1:
		return fmt.Sprintf("%.1f %s/s", r, b.unit)
	default:
		return fmt.Sprintf("%.2f %s/s", r, b.unit)
	}
}

// FormatDuration prints d rounded to the second as m:ss, or h:mm:ss from one hour on: 38s -> "0:38",
// 1h2m3s -> "1:02:03".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int64(d.Round(time.Second) / time.Second)
	h, m, s := sec/3600, sec/60%60, sec%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// html renders the notebook bar: a label, a track with a filled share, then counts, rate and ETA.
func (b *Bar) html(now time.Time, final bool) string {
	pct := 100 * b.fraction()
	color := "#4a90d9"
	if final {
		color = "#3c9a5f"
	}
	var info strings.Builder
	if b.total > 0 {
		fmt.Fprintf(&info, "%d/%d &nbsp;%.0f%%", b.n, b.total, pct)
	} else {
		fmt.Fprintf(&info, "%d", b.n)
	}
	if final {
		fmt.Fprintf(&info, " &nbsp;·&nbsp; done in %s &nbsp;·&nbsp; %s", FormatDuration(now.Sub(b.start)),
			html.EscapeString(b.formatRate(b.meanRate(now))))
	} else {
		r := b.rate(now)
		fmt.Fprintf(&info, " &nbsp;·&nbsp; %s", html.EscapeString(b.formatRate(r)))
		if eta, ok := b.eta(r); ok {
			fmt.Fprintf(&info, " &nbsp;·&nbsp; ETA %s", FormatDuration(eta))
		}
	}
	if b.note != "" {
		fmt.Fprintf(&info, " &nbsp;·&nbsp; %s", html.EscapeString(b.note))
	}
	track := ""
	if b.total > 0 {
		track = fmt.Sprintf(`<div style="display:inline-block;vertical-align:middle;width:16em;height:0.9em;`+
			`background:#e6e6e6;border-radius:3px;overflow:hidden;margin:0 0.6em">`+
			`<div style="width:%.1f%%;height:100%%;background:%s"></div></div>`, pct, color)
	}
	return fmt.Sprintf(`<div class="progress-bar" style="font-family:monospace;font-size:90%%;margin:2px 0">`+
		`<b>%s</b>%s<span>%s</span></div>`, html.EscapeString(b.label), track, info.String())
}
