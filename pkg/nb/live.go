package nb

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/env"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
)

// The interactive cells (ScoreBox, SteerPlayground) need a browser: GoNB's widgets are HTML and JavaScript
// in the cell's output that talk to the cell's program through a WebSocket the front-end opens. Headless
// (the Go runner, nbconvert, papermill) nothing runs that JavaScript, and a widget that waits for its
// first value from the page (GoNB's Slider, Select and Button do, in Done) waits forever. So before it
// builds a widget, a cell asks LiveFrontEnd, and shows a static example when the answer is no.

// LiveTimeout is how long LiveFrontEnd waits for the page to answer its handshake. GoNB itself gives the
// front-end 3 s to open its WebSocket the first time a cell uses widgets; the rest is for a busy browser.
var LiveTimeout = 10 * time.Second

// WidgetTimeout is how long a cell waits for its widgets to be built, after the handshake succeeded. GoNB's
// Button, Select and Slider wait in Done for their first value from the page; should the page have lost
// its connection in between, they would wait forever. The cell then shows its static example instead.
var WidgetTimeout = time.Minute

// LiveIdle ends an interactive cell that has had no input for this long, keeping its last result: a
// forgotten cell would otherwise hold the kernel, and every cell queued behind it, indefinitely.
var LiveIdle = 15 * time.Minute

// LiveFrontEnd reports whether a live front-end (JupyterLab or Notebook with the kernel connected) shows
// this cell, so that widgets will work; why says how it decided. The answer is no, at once, outside GoNB
// (tests, programs) and when $EMOTION_PROBES_HEADLESS is set, which the project's headless runners do.
// Otherwise it is a handshake: the cell sends a line of JavaScript that answers through GoNB's comms, and
// waits LiveTimeout for the answer.
//
// Why both. The handshake is the real test: an answer proves that the page runs the cell's JavaScript and
// that messages come back, which is all a widget needs; it gives the right answer under any runner,
// including one the project does not know (someone's own nbconvert or papermill), and it cannot hang,
// because the wait has a deadline. But headless it costs the whole timeout, and more: every comms message
// makes GoNB wait 3 s for a WebSocket that never opens. The variable skips all that where the project
// already knows no browser is there. A timer on the kernel side, or GoNB's own state, would not do: GoNB
// does not tell the cell program whether its WebSocket opened.
func LiveFrontEnd() (ok bool, why string) {
	switch {
	case !gonbui.IsNotebook:
		return false, "the cell is not run by GoNB"
	case env.On(env.Headless):
		return false, "the cell runs headless ($" + env.Headless + " is set)"
	case handshake(LiveTimeout):
		return true, "the front-end answered"
	}
	return false, fmt.Sprintf("no front-end answered within %s", LiveTimeout)
}

// handshake sends JavaScript that answers on a fresh address once GoNB's comms object (gonb_comm) is in
// the page, and waits up to timeout for the answer, in attempts of handshakeAttempt.
//
// Why attempts: subscribing to an address makes GoNB put gonb_comm into the page if it is not there, and
// gonb_comm gives the kernel 500 ms to acknowledge its opening before it closes itself for good. On a
// loaded machine that deadline is missed now and then, and the page is left without gonb_comm. The next
// subscription, more than a second later, makes GoNB notice (its heartbeat goes unanswered) and install
// gonb_comm again: so each attempt subscribes to an address of its own.
func handshake(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		wait := min(handshakeAttempt, time.Until(deadline))
		if wait <= 0 {
			return false
		}
		if handshakeOnce(wait) {
			return true
		}
	}
}

var handshakeAttempt = 3 * time.Second

func handshakeOnce(wait time.Duration) bool {
	addr := "/emotion-probes/live/" + gonbui.UniqueId()
	got := make(chan struct{}, 1)
	id := comms.Subscribe(addr, func(string, string) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	defer comms.Unsubscribe(id)
	dom.TransientJavascript(handshakeJS(addr, wait))
	select {
	case <-got:
		return true
	case <-time.After(wait):
		return false
	}
}

// connect runs build, which makes a cell's widgets, and reports whether it finished within WidgetTimeout
// (see there). When it did not, build is left blocked; the cell's program ends soon after anyway.
func connect(build func()) bool {
	done := make(chan struct{})
	go func() {
		build()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(WidgetTimeout):
		return false
	}
}

// handshakeJS answers "live" on addr as soon as globalThis.gonb_comm exists, polling for it until timeout.
func handshakeJS(addr string, timeout time.Duration) string {
	return fmt.Sprintf(`(() => {
  const t0 = Date.now();
  const answer = () => {
    if (globalThis.gonb_comm) { globalThis.gonb_comm.send(%s, "live"); return; }
    if (Date.now() - t0 < %d) setTimeout(answer, 100);
  };
  answer();
})();`, jsString(addr), timeout.Milliseconds())
}

// jsString quotes s as a JavaScript string literal (JSON's quoting, which also escapes <, > and &, so
// that s cannot close the <script> it sits in).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// liveLoop calls handle with each value from values until done fires (the cell's Done button), ctx ends
// (the kernel was interrupted) or idle passes without a value; it returns which of those ended it.
func liveLoop[T any](ctx context.Context, idle time.Duration, done <-chan int, values <-chan T, handle func(T)) string {
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		select {
		case v, ok := <-values:
			if !ok {
				return "its input closed"
			}
			handle(v)
			timer.Reset(idle)
		case <-done:
			return "Done was pressed"
		case <-ctx.Done():
			return "the kernel was interrupted"
		case <-timer.C:
			return fmt.Sprintf("no input for %s", idle)
		}
	}
}

// staticNote is the line over the static example an interactive cell shows instead of its widgets.
func staticNote(what, why string) string {
	return fmt.Sprintf(`<div class="ep-static-note" style="font:12px sans-serif;color:#666;margin:4px 0">`+
		`Static example. In a live notebook (JupyterLab or Notebook, kernel running) %s; here %s.</div>`,
		html.EscapeString(what), html.EscapeString(why))
}

// endedNote is the line under the result an interactive cell keeps when it ends.
func endedNote(why string) string {
	return fmt.Sprintf(`<div class="ep-live-ended" style="font:12px sans-serif;color:#666;margin:4px 0">`+
		`The interactive cell ended (%s); above, its last result. Run the cell again to continue.</div>`, html.EscapeString(why))
}
