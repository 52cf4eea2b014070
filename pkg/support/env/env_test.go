package env

import (
	"strings"
	"testing"
)

func TestSchedulerShard(t *testing.T) {
	cases := []struct {
		name    string
		vars    map[string]string
		i, n    int
		ok      bool
		wantErr string // part of the error, "" for none
	}{
		{"no scheduler", nil, 0, 1, false, ""},
		{"slurm array 0-3", map[string]string{SlurmArrayTaskID: "2", SlurmArrayTaskCount: "4", SlurmArrayTaskMin: "0"}, 2, 4, true, ""},
		{"slurm array 1-4 counts from its minimum", map[string]string{SlurmArrayTaskID: "4", SlurmArrayTaskCount: "4", SlurmArrayTaskMin: "1"}, 3, 4, true, ""},
		// sbatch --array=7 resubmits one task: Slurm says count 1, the run says 8 shards.
		{"partial resubmission trusts the run's count", map[string]string{SlurmArrayTaskID: "7", SlurmArrayTaskCount: "1", NumShards: "8"}, 7, 8, true, ""},
		{"kubernetes indexed job", map[string]string{JobCompletionIndex: "1", NumShards: "3"}, 1, 3, true, ""},
		{"kubernetes without a count", map[string]string{JobCompletionIndex: "1"}, 0, 0, true, NumShards},
		{"index outside the count", map[string]string{SlurmArrayTaskID: "5", SlurmArrayTaskCount: "4"}, 0, 0, true, "0 <= i < n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{SlurmArrayTaskID, SlurmArrayTaskCount, SlurmArrayTaskMin, JobCompletionIndex, NumShards} {
				t.Setenv(k, tc.vars[k])
			}
			i, n, ok, err := SchedulerShard()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || i != tc.i || n != tc.n || ok != tc.ok {
				t.Errorf("got (%d, %d, %v, %v), want (%d, %d, %v, nil)", i, n, ok, err, tc.i, tc.n, tc.ok)
			}
		})
	}
}

func TestOffline(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "true": true, "TRUE": true, "yes": false} {
		t.Setenv(HFHubOffline, v)
		if got := Offline(); got != want {
			t.Errorf("%s=%q: Offline() = %v, want %v", HFHubOffline, v, got, want)
		}
	}
}
