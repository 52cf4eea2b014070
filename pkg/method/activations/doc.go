// Package activations is step 3 of the method (docs/method.md): each story and each neutral dialogue is read back
// by the model, and the residual stream is averaged into one vector per text, then one per emotion.
//
// # Where it sits
//
//	<output>/stories/ (package stories) + a model  ->  Run  ->  <output>/activations/emotions/
//	<output>/neutral/ (package neutral) + a model  ->  Run  ->  <output>/activations/neutral/
//	<output>/activations/  ->  LoadEmotionMeans, LoadNeutral, LoadPerStory  ->  vectors (step 4), probes
//
// # What is read
//
// A text is tokenized as the model reads it back (Engine.ReadingTokens: the raw text, no chat template, BOS
// first, so position 0 is the BOS). The residual stream is taken at extraction.layers, as Hugging Face
// hidden_states indices (0 = embeddings, L = output of block L; default int(2/3 * n_layers)); every layer
// asked for comes from the same forward pass. The vector of a text at layer L is
//
//	v_text = 1/(n - k) * sum_{t = k}^{n-1} h_L[t]            [D]; n = the text's tokens, k = token_offset
//
// The offset counts positions of the text itself, whatever padding its batch needed: the Python tool sliced
// [50:] off left-padded batches, so a short text lost pad positions instead of its first 50 tokens and its
// vector depended on its neighbours. Here each text's mean is taken over its own positions, and a text's
// vector is the one a lone forward pass gives (the tests check it). Texts of n <= k tokens have no position
// to average: they are skipped and counted (the stories stage already refuses them). Texts longer than the
// model's context are cut to it, with a counted warning. Sums run in float64.
//
// An emotion's mean is the mean of its texts' vectors, each text weighing the same (a long story does not
// count more than a short one):
//
//	m_emotion = 1/N * sum_i v_i                               [D], float64
//
// A neutral dialogue gives one vector, its mean like a story's (extraction.neutral_per_token: false, the
// default), or one row per position t >= k (true). The paper says it fits the PCA on "neutral activations"
// without saying which; the per-dialogue form weighs dialogues equally, the per-token form weighs long ones
// more and gives many more rows.
//
// The texts are the kept ones of each unit (stories.Unit.Kept, neutral.Unit.Kept) of the config's topics,
// repeats dropped as stories.Texts does (generate.Normalize form): across the topics of an emotion for the
// stories, within a topic for the neutral dialogues (a topic is a unit of its own, so its file must not
// depend on the others).
//
// # Files
//
//	activations/emotions/<emotion-slug>.safetensors    per layer L: "layer_L.mean" F64 [D] and
//	                                                   "layer_L.per_story" F32 [N, D] (each story's vector, in
//	                                                   the order of metadata "topic_ids", for held-out tests)
//	activations/neutral/<topic-id>.safetensors         per layer L: "layer_L" F32 [rows, D]
//	activations/{emotions,neutral}/plan.json            the units the config asks for, the layers, the offset
//	activations/{emotions,neutral}/manifest.json        the checkpoint fingerprint (see below)
//	activations/{emotions,neutral}/complete.json        written once every unit of the config exists
//
// Each file is one unit of work, written atomically when done; its metadata holds no date, so a resumed run
// writes the same bytes as an uninterrupted one. The two folders are separate checkpoint stages: their
// fingerprints hold the fingerprint hash of the stage they read (stories or neutral), the model's sha256,
// the layers, the offset, the BOS handling and the context cut, so that new stories, another model or
// another layer never mix with old activations (a *checkpoint.MismatchError says what changed; --force
// starts over). A rerun skips finished units. Options.Shard/NumShards split the units across machines: unit
// i of the sorted list (emotions by slug, topics by id) goes to shard i % NumShards.
//
// Passes: the texts of consecutive units (a chunk: about 32 passes' worth of tokens) are sorted by length and
// packed by lm.Read into forward passes of at most extraction.batch_tokens padded tokens (and at most
// extraction.batch_size texts, when set); every layer comes from the same pass. A text's vector is the one a
// lone pass gives up to float32 rounding, and that rounding depends on the pass (lm's tests hold it within
// 1e-5 relative), so the chunks are cut from every unit of the shard, pending or not: a unit is always read
// with the same texts, and a resumed run, or a recomputed damaged unit, writes the bytes an uninterrupted
// run does. Bytes can differ at rounding level with batch_tokens, batch_size or the number of shards, which
// are not in the fingerprint because the vectors do not otherwise depend on them.
package activations
