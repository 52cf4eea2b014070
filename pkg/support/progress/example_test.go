package progress_test

import (
	"fmt"
	"os"
	"time"

	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

// In a log (the writer is not a terminal), a bar prints a line every ~10 s and a final one. A fake clock
// stands in for 4 s of work per story here, so that the output is fixed.
func Example() {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bar := progress.New("stories", 12, progress.Options{
		Unit:   "stories",
		Writer: os.Stdout,
		Now:    func() time.Time { return t },
	})
	kept := 0
	for i := 1; i <= 12; i++ {
		t = t.Add(4 * time.Second) // ... generate story i ...
		if i%5 != 0 {              // ... and check it: every fifth is rejected here
			kept++
		}
		bar.Note(fmt.Sprintf("kept %d/%d", kept, i))
		bar.Add(1)
	}
	bar.Done()
	// Output:
	// stories  [#####...............] 3/12  25%  0.25 stories/s  ETA 0:36  kept 3/3
	// stories  [##########..........] 6/12  50%  0.25 stories/s  ETA 0:24  kept 5/6
	// stories  [###############.....] 9/12  75%  0.25 stories/s  ETA 0:12  kept 8/9
	// stories  [####################] 12/12 100%  done in 0:48  0.25 stories/s  kept 10/12
}
