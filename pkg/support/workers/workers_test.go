package workers

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestRunPrefixesEveryLineAndNamesFailures(t *testing.T) {
	var out bytes.Buffer
	// Worker i prints two lines (the second without a newline, and one ended by a carriage return as a
	// progress bar does) and its variable; worker 2 fails.
	err := Run(context.Background(), "/bin/sh", 3, Options{
		Args: func(i int) []string {
			return []string{"-c", fmt.Sprintf(`printf 'line one\rbar %d\n'; printf "shard=$SHARD"; exit $((%d == 2))`, i, i)}
		},
		Env:    func(i int) []string { return []string{fmt.Sprintf("SHARD=%d", i)} },
		Redo:   func(i int) string { return fmt.Sprintf("rerun shard %d", i) },
		Output: &out,
	})
	if err == nil || !strings.Contains(err.Error(), "worker 2/3 failed") || !strings.Contains(err.Error(), "rerun shard 2") ||
		strings.Contains(err.Error(), "worker 0/3") || strings.Contains(err.Error(), "worker 1/3") {
		t.Errorf("err = %v, want only worker 2/3's failure, with its redo hint", err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.Contains(l, "started (pid") {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	var want []string
	for i := range 3 {
		p := fmt.Sprintf("[worker %d/3] ", i)
		want = append(want, p+"line one", p+fmt.Sprintf("bar %d", i), p+fmt.Sprintf("shard=%d", i))
	}
	slices.Sort(want)
	if !slices.Equal(lines, want) {
		t.Errorf("output lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
