package nb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/janpfeifer/gonb/gonbui"
)

func TestLiveFrontEndOutsideGoNB(t *testing.T) {
	start := time.Now()
	ok, why := LiveFrontEnd()
	if ok || !strings.Contains(why, "not run by GoNB") {
		t.Errorf("LiveFrontEnd() = %v, %q; want false, not run by GoNB", ok, why)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("LiveFrontEnd took %s outside GoNB; it must answer at once", d)
	}
}

func TestLiveFrontEndHeadless(t *testing.T) {
	// As if GoNB ran the cell: with the variable set, LiveFrontEnd must not try the handshake (which would
	// open GoNB's pipes, absent here).
	was := gonbui.IsNotebook
	gonbui.IsNotebook = true
	t.Cleanup(func() { gonbui.IsNotebook = was })
	t.Setenv(env.Headless, "1")
	ok, why := LiveFrontEnd()
	if ok || !strings.Contains(why, "$"+env.Headless) {
		t.Errorf("LiveFrontEnd() = %v, %q; want false, naming $%s", ok, why, env.Headless)
	}
}

func TestLiveLoop(t *testing.T) {
	t.Run("done", func(t *testing.T) {
		values, done := make(chan string, 2), make(chan int, 1)
		values <- "a"
		values <- "b"
		var got []string
		handle := func(v string) {
			got = append(got, v)
			if len(got) == 2 {
				done <- 1
			}
		}
		why := liveLoop(context.Background(), time.Minute, done, values, handle)
		if why != "Done was pressed" || strings.Join(got, ",") != "a,b" {
			t.Errorf("ended %q after %v; want Done after a,b", why, got)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if why := liveLoop(ctx, time.Minute, nil, make(chan int), func(int) {}); why != "the kernel was interrupted" {
			t.Errorf("ended %q; want the interrupt", why)
		}
	})
	t.Run("idle", func(t *testing.T) {
		if why := liveLoop(context.Background(), 20*time.Millisecond, nil, make(chan int), func(int) {}); !strings.HasPrefix(why, "no input for") {
			t.Errorf("ended %q; want idle", why)
		}
	})
	t.Run("closed", func(t *testing.T) {
		c := make(chan int)
		close(c)
		if why := liveLoop(context.Background(), time.Minute, nil, c, func(int) { t.Error("handled a closed channel's zero") }); why != "its input closed" {
			t.Errorf("ended %q; want closed", why)
		}
	})
}

func TestWidgetJavaScriptQuoting(t *testing.T) {
	// Ids and addresses are ours, but a quoted string must not be able to close the <script> it sits in.
	for _, js := range []string{handshakeJS("/a</script>", time.Second), scoreBoxJS("in", "/a</script>"), steerJS("s", "l", "m", "/a</script>")} {
		if strings.Contains(js, "</script>") {
			t.Errorf("a quoted </script> survives in\n%s", js)
		}
	}
	if js := handshakeJS("/emotion-probes/live/1", 10*time.Second); !strings.Contains(js, `send("/emotion-probes/live/1", "live")`) || !strings.Contains(js, "< 10000") {
		t.Errorf("handshake script:\n%s", js)
	}
}

func TestScoreBoxHTML(t *testing.T) {
	got := scoreBoxHTML("root", "in", "a </textarea><b>x")
	for _, want := range []string{`id="in" class="ep-scorebox-input"`, `>a &lt;/textarea&gt;&lt;b&gt;x</textarea>`, `width:95%;`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	// An empty text is not sent to the model (scorer has none here).
	res := (&scorer{}).resultHTML("  ", 3)
	if !strings.Contains(res, `class="ep-live-result" data-n="3" data-text="  "`) || !strings.Contains(res, "type a text") {
		t.Errorf("empty text:\n%s", res)
	}
}

func TestSteerHTML(t *testing.T) {
	got := SteerHTML(Steered{Prompt: "He <felt>", Emotion: "happy", Color: "#1f77b4", Alpha: 0.2, Norm: 12.345, Layer: 20, Seed: 42,
		Unsteered: "calm & quiet", Steered: "so happy"})
	for _, want := range []string{
		"layer 20: &alpha; = +0.20 &times; residual norm 12.35 along <b>happy</b>; seed 42 for both",
		"He &lt;felt&gt; &hellip;",
		`class="ep-steer-unsteered" style="font-family:monospace;white-space:pre-wrap">calm &amp; quiet</div>`,
		`border-left:3px solid #1f77b4`,
		`steered toward happy, &alpha; = +0.20`,
		`class="ep-steer-steered" style="font-family:monospace;white-space:pre-wrap">so happy</div>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestStaticNote(t *testing.T) {
	got := staticNote("the box <colours>", "no front-end answered within 10s")
	want := "Static example. In a live notebook (JupyterLab or Notebook, kernel running) the box &lt;colours&gt;; here no front-end answered within 10s."
	if !strings.Contains(got, want) || !strings.Contains(got, `class="ep-static-note"`) {
		t.Errorf("got\n%s\nwant it to contain\n%s", got, want)
	}
}
