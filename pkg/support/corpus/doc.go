// Package corpus reads texts written outside the pipeline: stories of emotions and neutral dialogues, from
// JSONL or CSV files. It is the other way into step 1 of the method: instead of having the model write its
// own stories (package stories), a run can read a corpus (config stories.source: corpus), such as the one
// the project ships in config/data/corpus, or one written by a larger model, or a public set.
//
// A corpus is a file or a folder. A folder's *.jsonl and *.csv files are read in name order (not its
// subfolders). A JSONL file holds one JSON object per line; a CSV file a header row, then one row per text.
// The fields:
//
//	emotion   the emotion word (stories only)
//	topic     the situation the text is about (held-out-topic validation splits on it)
//	text      the story or the dialogue
//	topic_id  optional: config.TopicID(topic), checked when present
//	person    optional: "first" or "third"
//
// Other fields are ignored, so a richer corpus reads as it is. Read never stops at a bad row: a row with a
// missing field, a field of the wrong type or a topic_id that does not match its topic is left out and
// reported as a Problem naming the file, the line and the field. What a row says is judged later, by the
// stage that uses it, with the same checks as a generated text (the emotion word, length, preamble,
// duplicates: see stories.Checker and neutral.Checker).
//
// Corpus.SHA256 hashes the files' names and bytes, so a stage that records it in its fingerprint notices
// when a corpus has changed since an interrupted run.
package corpus
