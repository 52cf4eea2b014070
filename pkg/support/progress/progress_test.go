package progress

import (
	"bytes"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a fake time source: tests move it with advance.
type clock struct{ t time.Time }

func newClock() *clock                        { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func (c *clock) now() time.Time               { return c.t }
func (c *clock) advance(d time.Duration)      { c.t = c.t.Add(d) }
func (c *clock) opts(w *bytes.Buffer) Options { return Options{Unit: "stories", Writer: w, Now: c.now} }

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"},
		{-time.Second, "0:00"},
		{38 * time.Second, "0:38"},
		{38*time.Second + 600*time.Millisecond, "0:39"},
		{59*time.Minute + 59*time.Second, "59:59"},
		{time.Hour + 2*time.Minute + 3*time.Second, "1:02:03"},
		{26 * time.Hour, "26:00:00"},
	}
	for _, tc := range tests {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	tests := []struct {
		name  string
		total int
		steps []int // Add(n) after each second
		note  string
		final bool
		want  string
	}{
		{name: "start", total: 240, want: "stories  [....................] 0/240   0%  0.00 stories/s"},
		{name: "half", total: 240, steps: []int{30, 30, 30, 30}, note: "kept 11/12",
			// 4 samples of 30/s: EMA 30/s; 120 left -> 4 s.
			want: "stories  [##########..........] 120/240  50%  30.0 stories/s  ETA 0:04  kept 11/12"},
		{name: "slow", total: 1000, steps: []int{1, 0, 0, 0},
			// first sample 1/s, then three of 0/s, each with weight 1-exp(-1/10):
			// 1*exp(-0.3) = 0.7408 stories/s; 999 left -> 1348.5 s = 22:29 (round(1348.53)).
			want: "stories  [....................] 1/1000   0%  0.74 stories/s  ETA 22:29"},
		{name: "unknown total", total: 0, steps: []int{150, 150},
			want: "stories  300  150 stories/s  0:02 elapsed"},
		{name: "over total", total: 10, steps: []int{12}, want: "stories  [####################] 12/10 100%  12.0 stories/s  ETA 0:00"},
		{name: "final", total: 240, steps: []int{100, 100, 40}, note: "kept 11/12", final: true,
			want: "stories  [####################] 240/240 100%  done in 0:03  80.0 stories/s  kept 11/12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			var buf bytes.Buffer
			b := New("stories", tc.total, c.opts(&buf))
			for _, n := range tc.steps {
				c.advance(time.Second)
				b.Add(n)
			}
			b.Note(tc.note)
			if got := b.line(c.now(), tc.final); got != tc.want {
				t.Errorf("line =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestRate(t *testing.T) {
	c := newClock()
	b := New("x", 100, Options{Writer: &bytes.Buffer{}, Now: c.now})

	// Before any sample (< 0.5 s): the mean since the start.
	c.advance(200 * time.Millisecond)
	b.Add(4)
	if r := b.rate(c.now()); math.Abs(r-20) > 1e-9 {
		t.Errorf("fallback rate = %v, want 4/0.2 = 20", r)
	}
	// First sample at 1 s: 10 items in 1 s -> 10/s exactly (no blending with an empty EMA).
	c.advance(800 * time.Millisecond)
	b.Add(6)
	if r := b.rate(c.now()); math.Abs(r-10) > 1e-9 {
		t.Errorf("first sample = %v, want 10", r)
	}
	c.advance(time.Second)
	b.Add(10)
	c.advance(time.Second)
	b.Add(40)
	// Golden: python3 -c "import math; print(10 + (1-math.exp(-0.1))*30)" -> 12.854877458921214
	if r := b.rate(c.now()); math.Abs(r-12.854877458921214) > 1e-9 {
		t.Errorf("EMA = %.15g, want 12.854877458921214", r)
	}
	// Updates closer than sampleEvery do not sample.
	c.advance(100 * time.Millisecond)
	b.Add(50)
	if r := b.rate(c.now()); math.Abs(r-12.854877458921214) > 1e-9 {
		t.Errorf("EMA after a 0.1 s update = %v, want unchanged", r)
	}
	// ETA: 0 left -> 0; rate 3.1 with 120 left -> 38.7 s.
	if eta, ok := b.eta(b.rate(c.now())); !ok || eta != 0 {
		t.Errorf("eta at 100/100 = %v, %v", eta, ok)
	}
	b.total, b.n = 240, 120
	if eta, ok := b.eta(3.1); !ok || FormatDuration(eta) != "0:39" {
		t.Errorf("eta(3.1) = %v, want ~38.7 s", eta)
	}
	if _, ok := b.eta(0); ok {
		t.Error("eta with a zero rate should be unknown")
	}

	// Counting backwards restarts the rate.
	b.Set(10)
	c.advance(time.Second)
	b.Set(15)
	if r := b.rate(c.now()); math.Abs(r-5) > 1e-9 {
		t.Errorf("rate after Set backwards = %v, want 5", r)
	}
}

func TestResumeLeavesEarlierWorkOutOfTheRate(t *testing.T) {
	c := newClock()
	b := New("x", 1000, Options{Writer: &bytes.Buffer{}, Now: c.now})
	c.advance(time.Second)
	b.Resume(900) // done by an earlier run
	c.advance(200 * time.Millisecond)
	b.Add(1)
	if r := b.rate(c.now()); math.Abs(r-5) > 1e-9 {
		t.Errorf("fallback rate after Resume = %v, want 1/0.2 = 5", r)
	}
	c.advance(800 * time.Millisecond)
	b.Add(1)
	if r := b.rate(c.now()); math.Abs(r-2) > 1e-9 {
		t.Errorf("rate after Resume = %v, want 2", r)
	}
	if !strings.Contains(b.line(c.now(), false), "902/1000") {
		t.Errorf("line %q lacks the resumed count", b.line(c.now(), false))
	}
}

func TestPlainThrottling(t *testing.T) {
	c := newClock()
	var buf bytes.Buffer
	b := New("stories", 40, c.opts(&buf)) // a bytes.Buffer is not a terminal: plain mode
	if b.mode != modePlain {
		t.Fatalf("mode = %v, want plain", b.mode)
	}
	for range 35 {
		c.advance(time.Second)
		b.Add(1)
		b.Note("n")
	}
	b.Done()
	b.Add(1) // ignored after Done
	b.Done()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []string{"10/40", "20/40", "30/40", "35/40"} // every 10 s, then Done; nothing at the start
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], " "+w+" ") || strings.Contains(lines[i], "\r") {
			t.Errorf("line %d = %q, want the count %s and no \\r", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[3], "done in 0:35") {
		t.Errorf("final line %q lacks the total time", lines[3])
	}

	// A short job logs its final line only.
	buf.Reset()
	b = New("quick", 3, c.opts(&buf))
	b.Add(3)
	b.Done()
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Errorf("short job logged %d lines:\n%s", n, buf.String())
	}
}

func TestTerminalRedraw(t *testing.T) {
	c := newClock()
	var buf bytes.Buffer
	b := New("s", 100, c.opts(&buf))
	b.mode = modeTTY // a bytes.Buffer is not a terminal; force the mode
	for range 10 {
		c.advance(50 * time.Millisecond)
		b.Add(1)
	}
	// 10 updates over 0.5 s at most one redraw per 0.2 s: at 0.05 s (first), 0.25 s, 0.45 s.
	if n := strings.Count(buf.String(), "\r"); n != 3 {
		t.Errorf("%d redraws, want 3: %q", n, buf.String())
	}
	if strings.Contains(buf.String(), "\n") {
		t.Error("terminal redraws must not add lines")
	}
	// A shorter line blanks the rest of the previous one.
	buf.Reset()
	c.advance(time.Second)
	b.Note("a rather long note")
	long := buf.String()
	buf.Reset()
	c.advance(time.Second)
	b.Note("")
	short := buf.String()
	if len(short) != len(long) || !strings.HasSuffix(short, "   ") {
		t.Errorf("redraw %q does not cover %q", short, long)
	}
	buf.Reset()
	b.Done()
	if !strings.HasPrefix(buf.String(), "\r") || !strings.HasSuffix(buf.String(), "\n") {
		t.Errorf("final redraw %q should start with \\r and end the line", buf.String())
	}
}

func TestHTML(t *testing.T) {
	c := newClock()
	type update struct{ id, html string }
	var updates []update
	sink := func(id, html string) { updates = append(updates, update{id, html}) }
	b := newBar("<stories>", 200, Options{Unit: "stories", Notebook: true, Now: c.now, Writer: &bytes.Buffer{}}, sink)
	if b.mode != modeHTML || len(updates) != 1 {
		t.Fatalf("mode %v, %d updates: want HTML, drawn at once", b.mode, len(updates))
	}
	for range 20 { // 2 s in steps of 0.1 s: ~2 updates/s
		c.advance(100 * time.Millisecond)
		b.Add(5)
	}
	if n := len(updates); n < 4 || n > 6 {
		t.Errorf("%d updates in 2 s, want ~5 (1 at start + 2/s)", n)
	}
	b.Note("kept <3>")
	c.advance(10 * time.Millisecond)
	b.Add(0)
	last := len(updates)
	b.Done()
	if len(updates) != last+1 {
		t.Fatal("Done must always send a final update")
	}
	final := updates[len(updates)-1].html
	for _, want := range []string{"width:50.0%", "100/200", "50%", "&lt;stories&gt;", "kept &lt;3&gt;", "done in 0:02"} {
		if !strings.Contains(final, want) {
			t.Errorf("final HTML lacks %q:\n%s", want, final)
		}
	}
	for _, u := range updates {
		if u.id != updates[0].id || !strings.HasPrefix(u.id, "progress_") {
			t.Fatalf("update ids %q, %q: want one id, updated in place", updates[0].id, u.id)
		}
	}
	if mid := updates[2].html; !strings.Contains(mid, "ETA") || !strings.Contains(mid, "stories/s") {
		t.Errorf("progress HTML lacks rate or ETA: %s", mid)
	}
}

func TestConcurrentAddAndNil(t *testing.T) {
	b := New("x", 8000, Options{Quiet: true})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				b.Add(1)
				b.Note("n")
			}
		}()
	}
	wg.Wait()
	b.Done()
	if b.n != 8000 {
		t.Errorf("count = %d, want 8000", b.n)
	}
	var nilBar *Bar // optional progress: every method is a no-op
	nilBar.Add(1)
	nilBar.Set(1)
	nilBar.Resume(1)
	nilBar.SetTotal(1)
	nilBar.Note("x")
	nilBar.Done()
}
