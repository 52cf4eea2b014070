package stories

import (
	"reflect"
	"strings"
	"testing"

	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		completion string
		stopped    bool
		want       []Piece
	}{
		{"one story", "  She ran.\n", true, []Piece{{Text: "She ran."}}},
		{"delimiters", "One.\n###\nTwo.\n\n***\nThree.\n---", true,
			[]Piece{{Text: "One."}, {Text: "Two."}, {Text: "Three."}}},
		{"labels", "Story 1:\nOne.\n**Story 2**\nTwo.", true, []Piece{{Text: "One."}, {Text: "Two."}}},
		{"empty", "\n###\n  \n", true, nil},
		{"cut at last sentence", "He waited. The bus came! It was", false,
			[]Piece{{Text: "He waited. The bus came!", Cut: true}}},
		{"cut keeps closing quote", `"Go," she said. "Now." And then`, false,
			[]Piece{{Text: `"Go," she said. "Now."`, Cut: true}}},
		{"ends cleanly though not stopped", "He waited.", false, []Piece{{Text: "He waited."}}},
		{"no sentence", "and then the", false, []Piece{{Text: "and then the", Truncated: true}}},
		{"only last piece cut", "One.\n###\nTwo. Thr", false, []Piece{{Text: "One."}, {Text: "Two.", Cut: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Split(tc.completion, tc.stopped); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Split(%q, %v) = %+v, want %+v", tc.completion, tc.stopped, got, tc.want)
			}
		})
	}
}

func TestStripTitle(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Title: The Letter\nShe opened it.", "She opened it."},
		{"**The Letter**\n\nShe opened it.", "She opened it."},
		{"# The Letter\nShe opened it.", "She opened it."},
		{"The Letter\nShe opened it.", "She opened it."},
		{"Story 1: She opened it.", "She opened it."},
		{"She opened it.\nThen she read it.", "She opened it.\nThen she read it."},
		{"She opened it.", "She opened it."},
	} {
		if got := StripTitle(tc.in); got != tc.want {
			t.Errorf("StripTitle(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// story returns a plain story of n words.
func story(n int) string {
	w := strings.Fields("the rain kept falling on the roof while she counted the coins in the jar twice")
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w[i%len(w)])
	}
	return b.String() + "."
}

func TestCheckReasons(t *testing.T) {
	long := "Her hands shook as she opened the envelope. " + story(40)
	for _, tc := range []struct {
		name   string
		piece  Piece
		reason generate.Reason
		detail string
		text   string // the text as kept or judged, if checked
	}{
		{"kept", Piece{Text: long}, "", "", long},
		{"title stripped", Piece{Text: "Title: Rain\n" + long}, "", "", long},
		{"emotion word", Piece{Text: long + " She felt afraid."}, EmotionWord, "afraid", ""},
		{"synonym", Piece{Text: "Fear gripped her. " + long}, EmotionWord, "Fear", ""},
		{"preamble", Piece{Text: "Sure! Here is a story:\n" + long}, Preamble, "Sure! Here is a story:", ""},
		{"preamble here is", Piece{Text: "Here's a short story about a letter. " + long}, Preamble, "", ""},
		{"meta", Piece{Text: long + " The story is written in the first person."}, Meta, "The story is", ""},
		{"repetitive", Piece{Text: long + " She waited. She waited. She waited."}, generate.Repetitive, "", ""},
		{"too short", Piece{Text: "She waited by the door."}, generate.TooShort, "6 tokens < 35", ""},
		{"cut and too short", Piece{Text: "She waited by the door.", Cut: true}, generate.Truncated, "", ""},
		{"no sentence", Piece{Text: long, Truncated: true}, generate.Truncated, "no complete sentence", ""},
		{"empty", Piece{}, generate.Empty, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Checker{Banned: NewBanned("afraid", []string{"fear"}), MinTokens: 35,
				Tokens: func(s string) []int { return make([]int, len(strings.Fields(s))+1) }}
			v := c.Check(tc.piece)
			if v.Reason != tc.reason {
				t.Fatalf("reason %q (%s), want %q", v.Reason, v.Detail, tc.reason)
			}
			if tc.detail != "" && v.Detail != tc.detail {
				t.Errorf("detail %q, want %q", v.Detail, tc.detail)
			}
			if tc.text != "" && v.Text != tc.text {
				t.Errorf("text %q, want %q", v.Text, tc.text)
			}
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		c := &Checker{Banned: NewBanned("afraid", nil), MinTokens: 35,
			Tokens: func(s string) []int { return make([]int, len(strings.Fields(s))+1) }}
		if v := c.Check(Piece{Text: long}); v.Reason != "" {
			t.Fatalf("first copy refused: %s", v.Reason)
		}
		if v := c.Check(Piece{Text: "  " + strings.ToUpper(long)}); v.Reason != generate.Duplicate {
			t.Errorf("second copy: reason %q, want %q", v.Reason, generate.Duplicate)
		}
	})
}
