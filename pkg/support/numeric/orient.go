package numeric

import (
	"fmt"
	"strings"
)

// Default emotion lists for orienting principal components. They hold only clear cases from the paper's 171
// emotions (config/data/emotions_171.txt) in the circumplex sense of valence (pleasant-unpleasant) and arousal
// (activated-deactivated); borderline words (surprised, nostalgic, hopeful for arousal...) are left out. Each
// arousal list mixes pleasant and unpleasant words so that orienting PC2 is not secretly a valence decision.
var (
	PleasantEmotions = []string{
		"happy", "joyful", "cheerful", "delighted", "pleased", "content", "satisfied", "calm", "relaxed",
		"peaceful", "serene", "at ease", "proud", "grateful", "thankful", "loving", "blissful", "elated",
		"ecstatic", "euphoric", "optimistic", "hopeful", "fulfilled", "excited", "thrilled", "amused", "inspired",
		"triumphant", "jubilant",
	}
	UnpleasantEmotions = []string{
		"sad", "unhappy", "miserable", "depressed", "gloomy", "heartbroken", "grief-stricken", "lonely", "afraid",
		"scared", "terrified", "frightened", "anxious", "worried", "nervous", "angry", "furious", "enraged",
		"irritated", "annoyed", "disgusted", "ashamed", "guilty", "humiliated", "desperate", "hurt", "upset",
		"distressed", "bitter", "jealous", "hateful", "worthless", "tormented",
	}
	HighArousalEmotions = []string{
		"excited", "thrilled", "ecstatic", "euphoric", "energized", "enthusiastic", "exuberant", "elated",
		"jubilant", "triumphant", "angry", "enraged", "furious", "irate", "outraged", "afraid", "terrified",
		"panicked", "hysterical", "alarmed", "frightened", "shocked",
	}
	LowArousalEmotions = []string{
		"calm", "relaxed", "peaceful", "serene", "at ease", "content", "sleepy", "tired", "bored", "sluggish",
		"droopy", "listless", "weary", "worn out", "lazy", "sad", "gloomy", "depressed", "melancholy", "lonely",
		"resigned", "indifferent",
	}
)

// Orientation reports how OrientComponent decided a component's sign.
type Orientation struct {
	Component    int     // index of the component (0 = PC1)
	Flipped      bool    // whether the component and its scores were negated
	PositiveMean float64 // mean score of the positive-list emotions present, after orientation
	NegativeMean float64 // mean score of the negative-list emotions present, after orientation
	NPositive    int     // how many positive-list emotions were found in names
	NNegative    int     // how many negative-list emotions were found in names
}

// OrientByValence fixes the sign of PC1 from the data: PC1's positive end is the pleasant one. The mean PC1
// score of the emotions of pleasant that are present in names must be greater than that of unpleasant; if not,
// PC1 (its component row and score column) is negated. Nil lists mean PleasantEmotions and UnpleasantEmotions.
// names[i] labels row i of res.Scores; matching ignores case and surrounding spaces.
//
// The paper reads PC1 as valence; an unoriented PCA sign is arbitrary, and labelling it without this check was a
// fault of the original tool (docs/method.md, "Faults of the earlier Python tool").
func OrientByValence(res *PCAResult, names, pleasant, unpleasant []string) (Orientation, error) {
	if pleasant == nil {
		pleasant = PleasantEmotions
	}
	if unpleasant == nil {
		unpleasant = UnpleasantEmotions
	}
	return OrientComponent(res, 0, names, pleasant, unpleasant)
}

// OrientByArousal does for PC2 what OrientByValence does for PC1, with high-arousal emotions at the positive
// end. Nil lists mean HighArousalEmotions and LowArousalEmotions.
func OrientByArousal(res *PCAResult, names, high, low []string) (Orientation, error) {
	if high == nil {
		high = HighArousalEmotions
	}
	if low == nil {
		low = LowArousalEmotions
	}
	return OrientComponent(res, 1, names, high, low)
}

// OrientComponent negates component comp of res (row comp of Components, column comp of Scores) when the mean
// score of the names in positive is below the mean score of those in negative. It returns an error, and changes
// nothing, when either list has no name present or the component does not exist.
func OrientComponent(res *PCAResult, comp int, names, positive, negative []string) (Orientation, error) {
	o := Orientation{Component: comp}
	if res == nil || res.Scores == nil || res.Components == nil {
		return o, fmt.Errorf("analysis: OrientComponent: nil PCA result")
	}
	n, k := res.Scores.Dims()
	if comp < 0 || comp >= k {
		return o, fmt.Errorf("analysis: OrientComponent: component %d out of range: the PCA kept %d", comp, k)
	}
	if len(names) != n {
		return o, fmt.Errorf("analysis: OrientComponent: %d names for %d rows of scores", len(names), n)
	}
	idx := make(map[string][]int, n)
	for i, s := range names {
		key := strings.ToLower(strings.TrimSpace(s))
		idx[key] = append(idx[key], i)
	}
	meanOf := func(list []string) (float64, int) {
		sum, cnt := 0.0, 0
		seen := map[string]bool{}
		for _, w := range list {
			key := strings.ToLower(strings.TrimSpace(w))
			if seen[key] {
				continue
			}
			seen[key] = true
			for _, i := range idx[key] {
				sum += res.Scores.At(i, comp)
				cnt++
			}
		}
		if cnt == 0 {
			return 0, 0
		}
		return sum / float64(cnt), cnt
	}
	o.PositiveMean, o.NPositive = meanOf(positive)
	o.NegativeMean, o.NNegative = meanOf(negative)
	if o.NPositive == 0 || o.NNegative == 0 {
		return o, fmt.Errorf("analysis: OrientComponent: component %d: %d names of the positive list and %d of the negative list are present; need at least one of each to decide the sign", comp, o.NPositive, o.NNegative)
	}
	if o.PositiveMean < o.NegativeMean {
		o.Flipped = true
		o.PositiveMean, o.NegativeMean = -o.PositiveMean, -o.NegativeMean
		_, d := res.Components.Dims()
		for c := 0; c < d; c++ {
			res.Components.Set(comp, c, -res.Components.At(comp, c))
		}
		for i := 0; i < n; i++ {
			res.Scores.Set(i, comp, -res.Scores.At(i, comp))
		}
	}
	return o, nil
}
