package chat

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

// range is Python's, as the engine's was, within the sandbox's limit.
func TestRange(t *testing.T) {
	for src, want := range map[string]string{
		"{{ range(3) }}":          "[0, 1, 2]",
		"{{ range(1, 4) }}":       "[1, 2, 3]",
		"{{ range(5, 0, -2) }}":   "[5, 3, 1]",
		"{{ range(3, 1) }}":       "[]",
		"{{ range(2**2) }}":       "[0, 1, 2, 3]", // the engine's ** makes a float
		"{{ range(0 - 10**30) }}": "[]",
		"{{ range(100000)[-1] }}": "99999",
	} {
		tmpl, err := Compile(src, "r.jinja", SpecialTokens{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tmpl.Render(nil, false); got != want || err != nil {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	for src, want := range map[string]string{
		"{{ range(0, 3, 0) }}": "step must not be zero",
		"{{ range('3') }}":     "want integers",
		"{{ range() }}":        "expected 1-3 arguments",
		"{{ range(100001) }}":  "range(0, 100001, 1) would make 100001 numbers, over the limit of 100000",
	} {
		tmpl, _ := Compile(src, "r.jinja", SpecialTokens{})
		if _, err := tmpl.Render(nil, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", src, err, want)
		}
	}
	for _, c := range []struct {
		start, stop, step int64
		want              uint64
	}{
		{0, 10, 3, 4}, {10, 0, -3, 4}, {0, 0, 1, 0}, {5, 0, 1, 0},
		{math.MinInt64, math.MaxInt64, math.MaxInt64, 3}, {math.MaxInt64, math.MinInt64, math.MinInt64, 2},
		{math.MinInt64, math.MaxInt64, 1, math.MaxUint64},
	} {
		if got := rangeLen(c.start, c.stop, c.step); got != c.want {
			t.Errorf("rangeLen(%d, %d, %d) = %d, want %d", c.start, c.stop, c.step, got, c.want)
		}
	}
}

// A hostile template (or a broken one) ends with an error that says it is too costly, by which bound, and
// what to do, where the engine alone would build a list of 10^12 numbers or loop for hours; a panic of the
// engine is an error too; and a render given up on ends at its next range call.
func TestCostlyTemplates(t *testing.T) {
	const advice = "fix the model's chat_template, or remove it so that the built-in template of the model's family is used"
	orig := renderTimeout
	t.Cleanup(func() { renderTimeout = orig })
	for _, c := range []struct{ src, want string }{
		{"{% for i in range(10**12) %}x{% endfor %}", "too costly to render: range(0, 1000000000000, 1) would make 1000000000000 numbers"},
		{"{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
			"too costly to render: its ranges would make over 1000000 numbers in one render (loops in loops)"},
		// Loops over strings, with range(0) inside so that the abandoned render ends at its next call.
		{"{% for a in 'x' * 5000 %}{% for b in 'x' * 5000 %}{% for c in range(0) %}{% endfor %}{% endfor %}{% endfor %}",
			"too costly to render: no prompt after 200ms (a loop that does not end?)"},
		{"{{ 'x' * -1 }}", "rendering failed: the Jinja engine failed (strings: negative Repeat count)"},
	} {
		goroutines := runtime.NumGoroutine()
		if strings.Contains(c.want, "no prompt after") {
			renderTimeout = 200 * time.Millisecond // before Compile, which renders once too
		}
		tmpl, err := Compile(c.src, "hostile.jinja", SpecialTokens{})
		renderTimeout = orig
		if err != nil {
			t.Fatal(err)
		}
		_, err = tmpl.Render([]Message{{Role: "user", Content: "Hi"}}, true)
		if err == nil || !strings.HasPrefix(err.Error(), "chat: own chat template (hostile.jinja): ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming the template and saying %q", c.src, err, c.want)
		} else if strings.Contains(c.want, "too costly") && !strings.HasSuffix(err.Error(), advice) {
			t.Errorf("%s: error %q does not say what to do", c.src, err)
		}
		for end := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > goroutines && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > goroutines {
			t.Errorf("%s: a render given up on still runs (%d goroutines, %d before)", c.src, n, goroutines)
		}
	}
}
