package stories

import (
	"testing"
)

func TestBannedFind(t *testing.T) {
	for _, tc := range []struct {
		emotion  string
		synonyms []string
		text     string
		want     string
	}{
		{"afraid", []string{"fear", "scared"}, "She was not Afraid of anything.", "Afraid"},
		{"afraid", []string{"fear", "scared"}, "His fear grew.", "fear"},
		{"afraid", []string{"fear", "scared"}, "The fearless dog barked.", ""}, // "fearless" is not listed
		{"angry", []string{"anger"}, "He slammed the door angrily.", "angrily"},
		{"sad", nil, "Sadie closed the saddle bag.", ""},
		{"at ease", nil, "I felt at  ease on the porch.", "at  ease"},
		{"at ease", nil, "She eased the door shut.", ""},
		{"self-confident", nil, "He walked in, self confident.", "self confident"},
		{"self-confident", nil, "She was self-confidently calm.", "self-confidently"},
		{"grief-stricken", nil, "They stood grief-stricken.", "grief-stricken"},
		{"worn out", nil, "I am worn out today.", "worn out"},
		{"happy", nil, "Happiness filled the room.", "Happiness"},
		{"kind", nil, "It was the kind of day.", "kind"}, // whole-word match cannot tell senses apart
		{"proud", []string{"pride"}, "Her pride showed.", "pride"},
	} {
		if got := NewBanned(tc.emotion, tc.synonyms).Find(tc.text); got != tc.want {
			t.Errorf("NewBanned(%q).Find(%q) = %q, want %q", tc.emotion, tc.text, got, tc.want)
		}
	}
}
