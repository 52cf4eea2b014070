package generate

import (
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	if a, b := Normalize("She ran -- FAST!\n"), Normalize("she ran fast"); a != b {
		t.Errorf("Normalize: %q != %q", a, b)
	}
}

func TestIsChatter(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"Sure! Here is a story.", true},
		{"Here's a short story about a train.", true},
		{"**Here is your story:**", true},
		{"I'd be happy to write that.", true},
		{"Certainly. The train...", true},
		{"This is a short story about loss.", true},
		{`"Sure," she said, and left.`, false},
		{"I can't believe the train is late again.", false},
		{"Great clouds rolled over the station.", false},
		{"Okay was the name of the dog.", false},
	} {
		if got := IsChatter(tc.text); got != tc.want {
			t.Errorf("IsChatter(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestInflections(t *testing.T) {
	for _, tc := range []struct {
		word      string
		want, not []string
	}{
		{"angry", []string{"angry", "angrily", "angrier", "angriness"}, []string{"anger", "an"}},
		{"sad", []string{"sad", "sadly", "sadness"}, []string{"sadie", "saddle"}},
		{"hopeful", []string{"hopeful", "hopefully", "hopefulness", "hope", "hopes", "hoped", "hoping"}, []string{"hop", "hops"}},
		{"excited", []string{"excited", "excitedly", "excite", "exciting", "excitement"}, nil},
		{"guilty", []string{"guilty", "guilt", "guiltily", "guiltiness"}, nil},
		{"worried", []string{"worried", "worry", "worries", "worrying"}, nil},
		{"tense", []string{"tense", "tensed", "tension", "tensing"}, []string{"tens"}},
		{"content", []string{"content", "contented", "contentment"}, nil},
	} {
		got := Inflections(tc.word)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Inflections(%q) lacks %q", tc.word, w)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("Inflections(%q) holds %q, an unrelated word", tc.word, w)
			}
		}
	}
}
