// Package generate is the machinery the two generation stages share: package stories (step 1) and package
// neutral (step 2) each define what a unit of work is and how a text is checked; this package runs them.
//
// # Where it sits
//
//	a stage's units (Job: Pending, Request, Take)  ->  Drive  ->  Engine.Stream (continuous batching)
//	a finished unit (Unit: Tally)                   ->  Book   ->  <output>/<stage>/<unit>.json, Summary
//
// # The pieces
//
//   - Engine: what a stage needs from a language model (*lm.Model, or a scripted fake in tests).
//   - Seed: each completion's sampling seed, a hash of the run's seed, the stage, the unit and the attempt
//     index only, so a text does not depend on its batch, its shard or an interruption.
//   - Drive: the generation loop. Whenever the engine has free slots it takes the next requests of the
//     unfinished units, and hands every completion back to its unit, in the order the unit asked, which
//     checks it and says whether it needs more.
//   - Book: the unit files of one run. It resumes finished units, writes each new one atomically as soon
//     as it is done, keeps the progress bar's total honest, and marks the stage complete once every shard's
//     units exist.
//   - Summary, Reason: what was kept and why the rest was refused, printed after a stage and stored in its
//     complete.json.
//   - Text helpers every stage applies to what the model writes: Normalize (the duplicate key), Loops,
//     IsChatter, Inflections (the forms of a banned word), Dedupe, Shard.
package generate
