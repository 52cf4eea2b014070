// Package checkpoint is how every pipeline stage writes its outputs, so that an interrupted run loses
// nothing, a rerun resumes where it stopped, and results made with another model, prompt or layer are
// never mixed with the current ones.
//
// # Where it sits
//
// Each stage (stories, activations, vectors, analyses...) owns one folder, OUTPUT/<stage>/, opened with
// OpenStage. The folder holds:
//
//	OUTPUT/<stage>/manifest.json   what made these outputs: the stage's Fingerprint (model sha256, layers,
//	                               prompt version, the config section that matters), the tool version, a date
//	OUTPUT/<stage>/...             the units of work, one file each ("stories/afraid/1a2b3c.json")
//	OUTPUT/<stage>/complete.json   written last by MarkComplete, with a summary: the stage finished
//
// # The three rules
//
//  1. A unit is one file written atomically (WriteFileAtomic: temp file in the same folder, write, fsync,
//     rename, fsync the folder). A reader therefore sees either the old file, the new file, or no file, never
//     half of one, even if the process is killed (SIGKILL, power loss) mid-write. So "the unit is done" is
//     simply "its file exists" (Stage.Done also decodes .json units and checks the framing of .safetensors
//     units, to catch files damaged by other means, which are then recomputed). A write that fails (a full
//     disk, a read-only folder) leaves the old file and removes its temp file, and its error names the file
//     and says what to do; units finished before it are kept, so a rerun resumes.
//  2. A stage folder belongs to exactly one Fingerprint. OpenStage compares the manifest on disk with the
//     fingerprint of the current run: equal, the run resumes and skips done units; different, it stops with a
//     *MismatchError that lists each differing key, unless force is set, which empties that stage's folder
//     (and only it) and starts over.
//  3. A later stage calls Require for each stage it reads, and puts the earlier stage's fingerprint hash
//     (ReadManifest(...).Fingerprint.Hash()) into its own Fingerprint, so that redoing an earlier stage with
//     new settings also invalidates everything computed from it.
//
// A typical stage:
//
//	st, err := checkpoint.OpenStage(outDir, "stories", checkpoint.Fingerprint{
//		"model_sha256": sum, "prompt": "v2", "temperature": "0.8"}, force)
//	if err != nil { return err }               // *MismatchError says what changed and what to do
//	for _, job := range jobs {
//		unit := path.Join("stories", job.Emotion, job.ID+".json")
//		if st.Done(unit) { continue }           // resumed: made by an earlier run
//		story := generate(job)
//		if err := st.WriteJSON(unit, story); err != nil { return err }
//	}
//	return st.MarkComplete(map[string]int{"stories": len(jobs)})
//
// A kill mid-write may leave a temp file named ".<name>.tmp-<random>" beside the target; it is never read
// and is removed with the stage's folder by force.
//
// Errors: every function returns a wrapped error naming the file. A missing file wraps fs.ErrNotExist;
// a damaged JSON file is a *CorruptError whose message says to delete it or rerun with --force.
package checkpoint
