package validate

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// errAt is how a refusal at a line of the fuzzed table starts.
var errAt = regexp.MustCompile(`^validate: ratings fuzz\.tsv:(\d+): \S`)

// FuzzParseRatings feeds arbitrary bytes to the human ratings reader (ReadRatings): nothing may panic; a
// refusal names the file, and the line inside it unless it is about the whole file (no header, no rows);
// an accepted table holds one row per emotion, each with a non-empty lower-case word, finite ratings and
// a line inside the file, in file order. Seeds: the shipped config/data/ratings_warriner2013.tsv and a
// few CSV tables. Run longer with:
// go test ./pkg/use/validate -run '^$' -fuzz FuzzParseRatings -fuzztime 60s -fuzzminimizetime 1s
func FuzzParseRatings(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "config", "data", "ratings_warriner2013.tsv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	lines := bytes.SplitAfter(b, []byte("\n"))
	f.Add(bytes.Join(lines[:20], nil))
	for _, s := range []string{"Word,Arousal,SD,Valence\r\nSad,3.5,1,2.1\r\n", "\"emotion\",\"valence\",\"arousal\"\n\"x\",\"1e308\",\"-0\"\n",
		"emotion,valence,arousal,\nhappy,8\n", ",,\n", "emotion\tvalence\tarousal\nHappy\t1\t2\nhappy\t3\t4\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRatings(bytes.NewReader(data), "fuzz.tsv")
		nLines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			msg := err.Error()
			if m := errAt.FindStringSubmatch(msg); m != nil {
				if n, _ := strconv.Atoi(m[1]); n < 1 || n > nLines {
					t.Fatalf("error %q: line %s is outside the file's %d lines", msg, m[1], nLines)
				}
			} else if !strings.HasPrefix(msg, "validate: ratings fuzz.tsv: no header line") &&
				!strings.HasPrefix(msg, "validate: ratings fuzz.tsv: a header but no rows") {
				t.Fatalf("error %q does not name the file and a line", msg)
			}
			return
		}
		seen, prev := map[string]bool{}, 0
		for _, row := range r.Rows {
			finite := !math.IsNaN(row.Valence) && !math.IsInf(row.Valence, 0) && !math.IsNaN(row.Arousal) && !math.IsInf(row.Arousal, 0)
			if row.Emotion == "" || row.Emotion != strings.ToLower(row.Emotion) || seen[row.Emotion] || !finite ||
				row.Line <= prev || row.Line > nLines {
				t.Fatalf("accepted a bad row %+v (after line %d of %d)", row, prev, nLines)
			}
			seen[row.Emotion], prev = true, row.Line
		}
	})
}
