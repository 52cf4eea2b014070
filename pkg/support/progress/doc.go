// Package progress draws progress bars for the pipeline's long loops (generating stories, extracting
// activations), in whichever place the run is watched:
//
//   - a terminal: one line redrawn in place with \r, at most ~5 times a second (example below);
//   - a log file or CI (the writer is not a terminal): a plain line at most every ~10 s, and a final one,
//     so that logs stay short;
//   - a GoNB notebook: a styled HTML bar updated in place (gonbui.UpdateHTML), at most ~2 times a second,
//     always with a final update. A headless notebook run keeps the last state in its saved output.
//
// The terminal line, and the final line Done leaves:
//
//	stories  [##########..........] 120/240  50%  3.1 stories/s  ETA 0:38  kept 11/12
//	stories  [####################] 240/240 100%  done in 1:17  3.1 stories/s  kept 11/12
//
// Library code creates bars freely: outside a notebook the HTML calls are no-ops, and Options.Quiet turns
// a bar off entirely (tests, nested loops).
//
//	bar := progress.New("stories", len(jobs), progress.Options{Unit: "stories"})
//	bar.Resume(done)                  // work finished by an earlier, interrupted run: not counted in the rate
//	for _, j := range todo {
//		...
//		bar.Note(fmt.Sprintf("kept %d/%d", kept, tried))  // before the Add it goes with
//		bar.Add(1)                    // safe from several goroutines
//	}
//	bar.Done()                        // final line: total time and mean rate
//
// # Rate and ETA
//
// The rate shown is an exponential moving average of the instantaneous rate, sampled at most every
// half second, with a time constant of 10 s (weight 1-exp(-dt/10s) for a sample spanning dt), so that it
// follows slow drifts (longer stories later in a batch) without jumping on each item. Until the first
// sample exists it falls back to the mean since the bar started. ETA = (total - done) / rate, printed as
// m:ss or h:mm:ss.
package progress
