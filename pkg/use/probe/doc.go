// Package probe uses the emotion vectors on text the model never saw, and on the model itself: scoring a
// text token by token, the implicit scenarios of the paper, a numeric sweep, and steering.
//
// # Where it sits
//
//	<output>/vectors/ (vectors.LoadDefault)  +  a model  ->  ScoreText, ReadScenarios, Sweep, SteerCheck
//	<output>/activations/                     ->  StoryMean (the centre), MeanStoryNorm (steering's scale)
//	config/data/scenarios.yaml                ->  LoadScenarios, LoadSweep
//
// # What a score is
//
// A text is read the way the stories were (lm.Model.ReadingTokens: raw text, BOS first) and the residual
// stream h_L [T, D] is taken at the vectors' layer L. A token's score on emotion e is a cosine:
//
//	score_e(t) = cos(h_L[t] - c, v_e)                 c [D]: Options.Center, or 0
//
// Why c: the vectors are differences, v_e = m_e - mean over emotions of m_e' (then denoised), so they say
// nothing about the large part every state shares (the mean of all stories, c = StoryMean). Without c, that
// shared part still has some cosine with each v_e: a constant offset per emotion, the same for every text,
// which shifts the rankings (one emotion tops every text). With c subtracted, a score reads "how much more
// like the e stories than the average story is this state": near 0 for most tokens, positive where the text
// leans towards e, and comparable across emotions. Expect small values: the vectors span a few directions
// of a D-dimensional state, so |cos| of 0.1 to 0.3 is a strong signal on one token, and the raw cosine
// (c = 0) is smaller still. The neutral components the vectors were denoised of do not bias the scores
// (the vectors are orthogonal to them); they only enlarge |h - c| and so shrink every cosine alike.
//
// The text's score (At): AtMean is the cosine of the mean state over positions token_offset..n-1 (the
// stories' reading; a text of at most token_offset tokens uses all its positions but the BOS), not the mean
// of the per-token cosines; AtLast is the last token's cosine.
//
// # Implicit scenarios and the sweep
//
// A scenario is a user message that implies an emotion (a dead dog, an eviction notice). It is formatted
// with the model's chat template as a user turn plus the assistant's header, and read at the header's last
// token: the paper reads the ":" after "Assistant"; in ChatML (SmolLM2, Qwen) that is the newline of
// "<|im_start|>assistant\n" (SmolLM2's template also puts its default system message first). The result is
// the cosine matrix [scenarios, emotions] and its diagonal accuracy: how often a scenario's own emotion
// ranks first (top-1) or in the first three (top-3), among the T emotions the scenarios target (the
// paper's matrix; chance 1/T and 3/T) and among all E (chance 1/E and 3/E). Options.CenterOnSet centres
// on the scenarios' own mean instead of the stories' (what the chat prompt adds at that token is shared by
// all scenarios). Sweep reads one template with a number ("I just took {X} mg of tylenol") for a range of
// numbers and follows a few emotions' scores.
//
// # Steering
//
// Steer adds alpha x norm x v_e/|v_e| to the residual stream at layer L (hidden_states[L], before block
// L), norm being the mean residual norm at L: MeanStoryNorm, from the stories' stored per-story means (see
// there for how it relates to a per-token norm). SteerCheck is the paper's check: after "How does he feel?
// He feels", does the emotion's own word (the first token of " "+emotion) gain log-probability when
// steering with that emotion? It steers every position of the prompt (steering only generated tokens
// would leave the first predicted token untouched), and also counts whether the word gains more than the
// other emotions' words (specificity: a vector that raised every emotion word alike would pass the first
// test and fail this one). SteerAlphas repeats the check over a range of alpha: a 135M-parameter model leaves
// its distribution at a smaller alpha than the paper's, and too strong a push lowers every emotion word.
package probe
