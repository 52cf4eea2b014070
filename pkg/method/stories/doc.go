// Package stories is step 1 of the method (docs/method.md): the language model writes short stories in which a
// character feels an emotion, and the stories that do what was asked are kept for the activation stage.
//
// # Where it sits
//
//	config (emotions, topics, generation settings) + a model  ->  stories.Run  ->  <output>/stories/
//	<output>/stories/  ->  stories.Load / LoadEmotion  ->  activations (step 3)
//
// The machinery it shares with package neutral (step 2) is package generate's: the engine interface, the
// per-completion seeds, the top-up driver, the unit files and their summary.
//
// # What is asked
//
// For each (emotion, topic) pair, generation.stories_per_topic stories. Prompt words it in a few plain
// instructions (a 135M-parameter model follows little more): one paragraph about the topic, a main
// character who feels the emotion, never the emotion word or another name for a feeling, only actions, body
// sensations, speech and thoughts; first person for even attempts, third person for odd ones. One story per
// completion by default; generation.stories_per_completion > 1 asks for several separated by a Delimiter
// line, as the paper did, which small models do badly. PromptVersion names the wording.
//
// # What is kept
//
// Split cuts a completion into candidate stories (delimiter and label lines, a completion cut by
// max_new_tokens trimmed back to its last complete sentence), and a Checker judges each in turn, recording
// why it refused one (Reason): it opens with chatter (Preamble); it talks about the story or the task
// (Meta); it loops (Repetitive); it holds the emotion word, an inflection or a listed synonym (EmotionWord,
// see Banned and config/synonyms.yaml); it is shorter than token_offset + MinExtraTokens reading tokens
// (TooShort, or Truncated when cutting made it so); it repeats a story already kept for the pair
// (Duplicate). A leading title line is removed, not refused.
//
// # How it runs
//
// A pair that lacks stories asks for more, up to generation.max_attempts completions per wanted story
// (top-up). Requests of different pairs share batches of generation.batch_size (Drive). Completion k of a
// pair is sampled with Seed(seed, "stories", [emotion, topic], k), whatever batch it runs in, so a pair's
// stories depend on nothing else: the batch size, an interruption, or the machine that ran the pair's shard
// do not change them. Each pair is one file, written atomically when the pair is finished:
//
//	<output>/stories/<emotion-slug>/<topic-id>.json   a Unit: kept stories, rejects with reasons, attempts
//	<output>/stories/manifest.json                    the Fingerprint (model sha256, prompt, settings)
//	<output>/stories/complete.json                    written once every pair of the config is done
//
// A rerun skips finished pairs; one with other settings stops with a *checkpoint.MismatchError unless
// Options.Force. Options.Shard and NumShards split the sorted pair list (Pairs) across machines.
//
// # Stories written elsewhere
//
// With stories.source: corpus, Run writes nothing new: it reads stories.corpus (package corpus), and each
// (emotion, topic) of the corpus becomes a Unit as a generated pair does, every row judged by the same
// Checker, a refused row kept in Rejected with its file:line (runCorpus). The corpus's checksum is the
// fingerprint (CorpusFingerprint), so a changed corpus is refused on resume. Try shows what the model writes
// for a few pairs, without writing anything, beside such a corpus.
package stories
