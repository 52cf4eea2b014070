// Package logitlens reads emotion vectors as the model would read them at its output: each vector goes
// through the model's final norm and its unembedding (lm_head), and the tokens with the highest logits
// (promoted) and the lowest (suppressed) are listed. It is the logit-lens check of step 6 of the method
// (docs/method.md): the paper finds desperate -> " desperate", " urgent", " bankrupt"; sad -> " grief",
// " tears", " lonely".
//
// # Where it sits
//
//	<out>/vectors/layer_{L}/emotion_vectors.safetensors  ──Run(m, m.Tokenizer, cfg, Options{})──▶
//	<out>/logit_lens/layer_{L}.json   per emotion: top-k and bottom-k tokens (id, text, logit), mean and std
//	<out>/logit_lens/layer_{L}.md     the same as a Markdown table
//
// # What is computed
//
//	logits [N, V] = lm_head(RMSNorm(v))    for the emotion vectors v [N, D] themselves
//
// The norm matters: the Python tool multiplied the raw vector by the unembedding and skipped it (docs/method.md,
// "Known faults"). With RMSNorm the ranking no longer depends on the vector's length, only on its direction
// weighted by the norm's gains. The vectors are used as they are, not centred or compared with a baseline,
// as in the paper. The test compares the logits with transformers' model.lm_head(model.model.norm(v)).
//
// # Filtering
//
// A ranking over the whole vocabulary is dominated by tokens nobody can read: byte fragments of multi-byte
// characters, runs of spaces, punctuation. By default (the zero Filter) special tokens and tokens that are not
// Readable are left out before ranking; Filter{KeepSpecial, KeepUnreadable} puts them back. Top and bottom
// lists never share a token.
//
// The model is an Unembedder and the tokenizer a Vocabulary (small interfaces that *lm.Model and
// *tokenizer.Tokenizer satisfy), so this package does not depend on the inference engine.
package logitlens
