// Package neutral is step 2 of the method (docs/method.md): Human/Assistant dialogues without any emotion, whose
// activations give the directions that emotion vectors are cleaned of (step 4 projects out their top
// principal components).
//
// # Where it sits
//
//	config (topics, generation settings) + a model  ->  neutral.Run  ->  <output>/neutral/<topic-id>.json
//	<output>/neutral/  ->  neutral.Load, Texts  ->  activations (step 3)
//
// It runs like package stories, on the same machinery (package generate: Engine, Seed, Drive, Book, Summary): per topic,
// generation.neutral_per_topic dialogues, up to max_attempts dialogues tried per wanted one, requests of all
// topics batched together, one file per topic written when the topic is done, a rerun resuming where the
// last one stopped, shards that split the sorted topic list (Topics).
//
// # How a dialogue is made
//
// Each attempt follows a Plan fixed by its index: the kind of task (code, a factual question, a work task,
// a how-to, a plain list), the number of exchanges (1 to 6), and, for one attempt in four, a system
// instruction line that opens the dialogue untagged and instructs its Assistant.
//
// A small model cannot write a whole transcript on request (SmolLM2-135M, asked for one, greets the user
// and rambles), so the dialogue is written one turn per completion: HumanPrompt asks for the person's
// opening message, then for each follow-up; the Assistant's turns are the model's own chat answers to the
// dialogue so far (AssistantPrompt). Turn s of attempt k is sampled with Seed(seed, "neutral", [topic, k],
// s), so each dialogue depends on its own seeds only, whatever the batch it ran in. Dialogues of all topics
// share the engine's slots; slots that no needed turn fills start spare attempts, and a topic's result is
// its first attempts that hold the wanted dialogues, the spare ones past them dropped, so it does not
// depend on the slots either.
//
// # What is kept
//
// CleanTurn takes one message out of each completion (the first, if the model wrote a transcript; an
// opening "Here is the message:" or a bare "Sure!" removed). A turn refuses its whole dialogue (the
// generate.Reason is recorded) when it is empty (EmptyTurn), holds a pleasantry (Pleasantry: greetings,
// thanks, apologies, "hope this helps"), names or shows a feeling (Emotional: feelings.txt, the run's
// emotions, and their plain forms; see Feelings), or loops outside code blocks (generate.Repetitive). A turn
// cut by max_new_tokens ends the dialogue with the exchanges before it (marked Cut; Truncated if none). A
// finished dialogue needs token_offset + generate.MinExtraTokens reading tokens (TooShort). Dialogues are
// written with the exact labels "Human:" and "Assistant:" (Format). Exact repeats are not refused during
// generation (that would make a topic's result depend on the order its dialogues finish); Texts drops them.
package neutral
