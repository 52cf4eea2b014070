package activations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/engine/safetensors"
	"github.com/emotion-probes/emotion-probes/pkg/method/generate"
	"github.com/emotion-probes/emotion-probes/pkg/method/neutral"
	"github.com/emotion-probes/emotion-probes/pkg/method/stories"
	"github.com/emotion-probes/emotion-probes/pkg/support/checkpoint"
	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"github.com/emotion-probes/emotion-probes/pkg/support/progress"
)

// Options controls Run.
type Options struct {
	// Source says what to read: "stories", "neutral", "both" (each must have been generated), or "" (the
	// stories, and the neutral dialogues when their stage exists).
	Source string
	// Force discards the earlier outputs of the sources read (even those made with the same settings).
	Force bool
	// ModelID is the SHA-256 (hex) of the model file: part of the fingerprint.
	ModelID string
	// Shard and NumShards split the work across machines: unit i of the sorted list (emotions by slug,
	// topics by id) belongs to shard i % NumShards. NumShards 0 or 1 means one shard holding everything.
	Shard, NumShards int
	// NumLayers is the model's number of blocks, to resolve extraction.layers; 0 reads it from an
	// *lm.Model engine.
	NumLayers int
	// MaxTokens cuts longer texts (a counted warning); 0 takes the context of an *lm.Model engine, or no cut.
	MaxTokens int
	// ChunkTexts is how many texts, of consecutive units, are read together (sorted by length across the
	// units, so passes are full); the units of a chunk are written when it is done, so an interruption
	// loses at most one chunk. 0 means texts of about 32 passes' worth of tokens (extraction.batch_tokens).
	ChunkTexts int
	// Progress styles the progress bars (Quiet for none).
	Progress progress.Options
}

// Summary counts what Run did over its shard.
type Summary struct {
	Layers      []int    `json:"layers"`
	TokenOffset int      `json:"token_offset"`
	Emotions    *Part    `json:"emotions,omitempty"` // nil when the stories were not read
	Neutral     *Part    `json:"neutral,omitempty"`  // nil when the neutral dialogues were not read
	Warnings    []string `json:"warnings,omitempty"`
}

// Part counts one source.
type Part struct {
	Units     int `json:"units"`             // units of the shard (emotions or topics)
	Resumed   int `json:"resumed"`           // of which finished by an earlier run
	Texts     int `json:"texts"`             // texts read by this run
	Rows      int `json:"rows"`              // vectors written: one per text, or per token (neutral per-token)
	Tokens    int `json:"tokens"`            // tokens read
	Skipped   int `json:"skipped"`           // texts of token_offset tokens or fewer, left out
	Truncated int `json:"truncated"`         // texts cut to the context
	Damaged   int `json:"damaged,omitempty"` // units found truncated or corrupt, and recomputed
}

// String is the short report printed after the stage.
func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "activations at layers %v from token %d:", s.Layers, s.TokenOffset)
	for _, p := range []struct {
		name, unit string
		p          *Part
	}{{"stories", "emotions", s.Emotions}, {"neutral", "topics", s.Neutral}} {
		if p.p == nil {
			continue
		}
		fmt.Fprintf(&b, " %s: %d %s (%d resumed), %d texts read, %d tokens, %d vectors", p.name, p.p.Units, p.unit,
			p.p.Resumed, p.p.Texts, p.p.Tokens, p.p.Rows)
		if p.p.Skipped > 0 {
			fmt.Fprintf(&b, ", %d too short", p.p.Skipped)
		}
		if p.p.Truncated > 0 {
			fmt.Fprintf(&b, ", %d cut to the context", p.p.Truncated)
		}
		b.WriteString(";")
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Run reads the stories (and neutral dialogues) of cfg's units in shard opts.Shard through eng and writes
// their mean activations, one file per emotion (and per topic) as soon as it is done; see the package
// comment for what is computed and stored. A cancelled ctx stops between batches, losing only the unit in
// flight; a rerun resumes and writes the same bytes an uninterrupted run would. When every unit of the
// config exists (all shards), the source's stage is marked complete.
func Run(ctx context.Context, eng Engine, cfg *config.Config, opts Options) (*Summary, error) {
	out := cfg.OutputDir()
	doStories, doNeutral := false, false
	switch opts.Source {
	case "stories":
		doStories = true
	case "neutral":
		doNeutral = true
	case "both":
		doStories, doNeutral = true, true
	case "":
		doStories = true
		_, err := checkpoint.ReadManifest(out, neutral.StageName)
		doNeutral = err == nil
	default:
		return nil, fmt.Errorf("activations: source %q: want \"stories\", \"neutral\", \"both\" or \"\" (stories, and neutral if generated)", opts.Source)
	}
	nLayers := opts.NumLayers
	maxTokens := opts.MaxTokens
	if m, ok := eng.(*lm.Model); ok {
		if nLayers == 0 {
			nLayers = m.Config.NumLayers
		}
		if maxTokens == 0 {
			maxTokens = m.Config.MaxPositions
		}
	}
	layers, err := cfg.Extraction.Layers.Resolve(nLayers)
	if err != nil {
		return nil, fmt.Errorf("activations: %w (Options.NumLayers gives the model's depth when the engine is not an *lm.Model)", err)
	}
	layers = sortedUnique(layers)
	if cfg.Extraction.TokenOffset < 0 {
		return nil, fmt.Errorf("activations: extraction.token_offset is %d: want >= 0 (the paper uses 50)", cfg.Extraction.TokenOffset)
	}
	n := max(opts.NumShards, 1)
	if opts.Shard < 0 || opts.Shard >= n {
		return nil, fmt.Errorf("activations: shard %d is outside [0, %d): give a shard index below the number of shards", opts.Shard, n)
	}
	r := &reader{eng: eng, layers: layers, offset: cfg.Extraction.TokenOffset, packing: Packing(cfg), maxTokens: maxTokens}
	base := &run{ctx: ctx, cfg: cfg, opts: opts, out: out, r: r, nLayers: nLayers, bos: bosNote(eng)}
	sum := &Summary{Layers: layers, TokenOffset: cfg.Extraction.TokenOffset}
	if doStories {
		sum.Emotions, err = base.emotions()
		if err != nil {
			return sum, err
		}
	}
	if doNeutral {
		nr := *base
		nr.r = &reader{eng: eng, layers: layers, offset: r.offset, packing: r.packing, maxTokens: maxTokens,
			perToken: cfg.Extraction.NeutralPerToken}
		sum.Neutral, err = nr.neutral()
		if err != nil {
			return sum, err
		}
	}
	for _, p := range []*Part{sum.Emotions, sum.Neutral} {
		if p != nil && p.Damaged > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d unit files were truncated or corrupt (a copy cut short, "+
				"a disk fault) and were recomputed", p.Damaged))
		}
		if p != nil && p.Truncated > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%d texts were longer than the model's context (%d tokens) and were cut to it", p.Truncated, maxTokens))
		}
	}
	return sum, nil
}

// run holds what both sources share.
type run struct {
	ctx     context.Context
	cfg     *config.Config
	opts    Options
	out     string
	r       *reader
	nLayers int
	bos     string
}

// fingerprint is what makes a source's outputs; upstream is the stage read (stories or neutral).
func (x *run) fingerprint(upstream string) (checkpoint.Fingerprint, error) {
	m, err := checkpoint.ReadManifest(x.out, upstream)
	if err != nil {
		return nil, fmt.Errorf("activations: the %s stage has not been run in %s: run `emotion-probes generate-%s` first: %w",
			upstream, x.out, upstream, err)
	}
	layers, _ := json.Marshal(x.r.layers)
	return checkpoint.Fingerprint{
		upstream + "_fingerprint": m.Fingerprint.Hash(),
		"model_sha256":            x.opts.ModelID,
		"layers":                  string(layers),
		"token_offset":            strconv.Itoa(x.r.offset),
		"reading":                 "raw text, no chat template, " + x.bos,
		"max_tokens":              strconv.Itoa(x.r.maxTokens),
		"format":                  Format,
	}, nil
}

// plan is the Plan both sources start from.
func (x *run) plan(source string) Plan {
	return Plan{
		Source: source, Layers: x.r.layers, NumLayers: x.nLayers, DefaultLayer: DefaultLayer(x.r.layers, x.nLayers),
		TokenOffset: x.r.offset, Model: x.cfg.ModelName(), ModelSHA256: x.opts.ModelID,
	}
}

// emotions reads the stories, one unit per emotion.
func (x *run) emotions() (*Part, error) {
	fp, err := x.fingerprint(stories.StageName)
	if err != nil {
		return nil, err
	}
	// Generated stories cover every topic of the config, and the units average over exactly those: another
	// topic list makes other means. A corpus brings its own topics (each emotion on some of them); its
	// checksum is in the stories' fingerprint, and every story of the run's emotions is read.
	fromCorpus := x.cfg.Stories.FromCorpus()
	var ids []string
	if fromCorpus {
		fp["topics_sha256"] = "stories.corpus"
	} else {
		for _, t := range sortedTopics(x.cfg.Topics) {
			ids = append(ids, config.TopicID(t))
		}
		fp["topics_sha256"] = hashStrings(ids)
	}
	st, err := checkpoint.OpenStage(filepath.Join(x.out, StageName), EmotionsStage, fp, x.opts.Force)
	if err != nil {
		return nil, fmt.Errorf("activations: %w", err)
	}
	plan := x.plan(EmotionsStage)
	plan.Emotions = x.cfg.Emotions
	if err := st.WriteJSON(PlanFile, plan); err != nil {
		return nil, fmt.Errorf("activations: %w", err)
	}
	all := slices.Clone(x.cfg.Emotions)
	sort.SliceStable(all, func(i, j int) bool { return config.Slug(all[i]) < config.Slug(all[j]) })
	mine := generate.Shard(all, x.opts.Shard, max(x.opts.NumShards, 1))

	part := &Part{Units: len(mine)}
	type job struct {
		emotion  string
		texts    []string
		topicIDs []string
		pending  bool // not written yet (or damaged); the others are read only with a pending unit's chunk
	}
	var jobs []job
	var missing []string
	var want map[string]bool // nil: every topic (a corpus)
	if !fromCorpus {
		want = map[string]bool{}
		for _, id := range ids {
			want[id] = true
		}
	}
	for _, e := range mine {
		j := job{emotion: e, pending: true}
		if err := st.Verify(emotionUnit(e)); err == nil {
			part.Resumed++
			j.pending = false
		} else if ce := (*checkpoint.CorruptError)(nil); errors.As(err, &ce) {
			part.Damaged++ // recomputed below, like a missing unit; the summary warns
		}
		// A finished unit's stories are loaded too: they shape the chunks (readChunks). Without them (the
		// stories stage changed under a finished unit) it is left out, and only rounding can differ.
		units, err := stories.LoadEmotion(x.out, e)
		if err != nil {
			if j.pending {
				missing = append(missing, fmt.Sprintf("%q (all topics)", e))
			}
			continue
		}
		var have int
		j.texts, j.topicIDs, have = storyTexts(units, want)
		if have == 0 || !fromCorpus && have < len(ids) {
			if j.pending {
				missing = append(missing, fmt.Sprintf("%q (%d of %d topics)", e, max(len(ids)-have, 1), max(len(ids), 1)))
			}
			continue
		}
		jobs = append(jobs, j)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("activations: stories are missing for %s in %s: run `emotion-probes generate-%s` (every shard) first",
			listSome(missing, 8), filepath.Join(x.out, stories.StageName), stories.StageName)
	}
	names, texts, pending := make([]string, len(jobs)), make([][]string, len(jobs)), make([]bool, len(jobs))
	for i, j := range jobs {
		names[i], texts[i], pending[i] = j.emotion, j.texts, j.pending
	}
	err = x.readUnits(st, "activations: stories", "emotion", names, texts, pending, func(i int, rd *reading) error {
		j := jobs[i]
		if err := writeEmotion(st, j.emotion, j.topicIDs, x.r, rd, &plan); err != nil {
			return err
		}
		part.add(rd, len(j.texts))
		return nil
	})
	if err != nil {
		return part, err
	}
	units := make([]string, len(all))
	for i, e := range all {
		units[i] = emotionUnit(e)
	}
	return part, markIfComplete(st, units)
}

// readUnits reads the texts of the pending units of the shard (texts[i] are unit names[i]'s; every unit of
// the shard is listed, so that the chunks do not depend on which are pending: readChunks), chunk by chunk
// under a progress bar that counts the finished units' texts as resumed, and hands each pending unit's
// reading to write as soon as the unit is read, so an interrupted run keeps every unit written. kind names
// a unit in messages ("emotion", "topic").
func (x *run) readUnits(st *checkpoint.Stage, label, kind string, names []string, texts [][]string, pending []bool,
	write func(i int, rd *reading) error) error {
	total, resumed, units := 0, 0, 0
	for i, t := range texts {
		total += len(t)
		if pending[i] {
			units++
		} else {
			resumed += len(t)
		}
	}
	if err := dropComplete(st, units); err != nil {
		return err
	}
	bar := progress.New(label, total, withUnit(x.opts.Progress, "texts"))
	defer bar.Done()
	bar.Resume(resumed)
	if units == 0 {
		return nil // nothing pending: not even the tokenizing that sizes the chunks
	}
	err := x.r.readChunks(x.ctx, texts, pending, x.opts.ChunkTexts, x.chunkTokens(), bar.Add, func(i int, rd *reading) error {
		if err := write(i, rd); err != nil {
			return err
		}
		bar.Note(fmt.Sprintf("%d/%d %ss", i+1, len(names), kind))
		return nil
	})
	if ce := (*chunkError)(nil); errors.As(err, &ce) {
		return stopped(ce.err, kind, names[ce.first], ce.first, len(names))
	}
	return err
}

// listSome joins the first n items of a list for a message, saying how many more there are.
func listSome(items []string, n int) string {
	if len(items) > n {
		items = append(items[:n:n], fmt.Sprintf("and %d more", len(items)-n))
	}
	return strings.Join(items, ", ")
}

// chunkTokens is how many tokens go through one read when Options.ChunkTexts is 0 (see reader.readChunks):
// 32 passes' worth, enough that the chunk's short last pass and its mixed-length passes are a few percent
// of its work, few enough that an interruption loses a few minutes on a CPU.
func (x *run) chunkTokens() int {
	b := x.r.packing.BatchTokens
	if b <= 0 {
		b = lm.DefaultBatchTokens
	}
	return 32 * b
}

// Packing is how the extraction packs texts into forward passes: extraction.batch_tokens, capped at
// extraction.batch_size texts when that is set. The probes that read texts as the stories were read
// (`score`) use it too.
func Packing(cfg *config.Config) lm.Packing {
	return lm.Packing{BatchTokens: cfg.Extraction.BatchTokens, MaxRows: cfg.Extraction.BatchSize}
}

// storyTexts lists the kept stories of one emotion's units in the order they are read (units by topic id,
// stories in attempt order), each with its topic id, leaving out repeats across topics as stories.Texts
// does. want, if not nil, keeps only those topic ids. have counts the units used.
func storyTexts(units []stories.Unit, want map[string]bool) (texts, topicIDs []string, have int) {
	seen := map[string]bool{}
	for _, u := range units {
		if want != nil && !want[u.TopicID] {
			continue // a topic no longer in the config
		}
		have++
		for _, s := range u.Kept {
			if k := generate.Normalize(s.Text); !seen[k] {
				seen[k] = true
				texts = append(texts, s.Text)
				topicIDs = append(topicIDs, u.TopicID)
			}
		}
	}
	return texts, topicIDs, have
}

// StoryTexts returns the stories of emotion as the activation stage read them, row for row with
// LoadPerStory's rows: their texts and topic ids. It reads the stories stage's files of cfg's run.
func StoryTexts(cfg *config.Config, emotion string) (texts, topicIDs []string, err error) {
	units, err := stories.LoadEmotion(cfg.OutputDir(), emotion)
	if err != nil {
		return nil, nil, fmt.Errorf("activations: %w", err)
	}
	var want map[string]bool
	if !cfg.Stories.FromCorpus() {
		want = map[string]bool{}
		for _, t := range cfg.Topics {
			want[config.TopicID(t)] = true
		}
	}
	texts, topicIDs, _ = storyTexts(units, want)
	return texts, topicIDs, nil
}

// neutral reads the neutral dialogues, one unit per topic.
func (x *run) neutral() (*Part, error) {
	fp, err := x.fingerprint(neutral.StageName)
	if err != nil {
		return nil, err
	}
	fp["neutral_per_token"] = strconv.FormatBool(x.r.perToken)
	st, err := checkpoint.OpenStage(filepath.Join(x.out, StageName), NeutralStage, fp, x.opts.Force)
	if err != nil {
		return nil, fmt.Errorf("activations: %w", err)
	}
	units, err := neutral.Load(x.out)
	if err != nil {
		return nil, fmt.Errorf("activations: %w", err)
	}
	topics := sortedTopics(x.cfg.Topics)
	if x.cfg.Neutral.FromCorpus() { // a corpus brings its own topics
		topics = nil
		for _, u := range units {
			topics = append(topics, u.Topic)
		}
		topics = sortedTopics(topics)
	}
	plan := x.plan(NeutralStage)
	plan.PerToken = x.r.perToken
	plan.Topics = topics
	for _, t := range topics {
		plan.TopicIDs = append(plan.TopicIDs, config.TopicID(t))
	}
	if err := st.WriteJSON(PlanFile, plan); err != nil {
		return nil, fmt.Errorf("activations: %w", err)
	}
	mine := generate.Shard(topics, x.opts.Shard, max(x.opts.NumShards, 1))
	byID := map[string]*neutral.Unit{}
	for i := range units {
		byID[units[i].TopicID] = &units[i]
	}
	part := &Part{Units: len(mine)}
	type job struct {
		topic   string
		texts   []string
		pending bool // as for the stories
	}
	var jobs []job
	var missing []string
	for _, t := range mine {
		id := config.TopicID(t)
		j := job{topic: t, pending: true}
		if err := st.Verify(topicUnit(id)); err == nil {
			part.Resumed++
			j.pending = false
		} else if ce := (*checkpoint.CorruptError)(nil); errors.As(err, &ce) {
			part.Damaged++ // recomputed below, like a missing unit; the summary warns
		}
		u := byID[id]
		if u == nil {
			if j.pending {
				missing = append(missing, strconv.Quote(t))
			}
			continue
		}
		seen := map[string]bool{}
		for _, d := range u.Kept {
			if k := generate.Normalize(d.Text); !seen[k] {
				seen[k] = true
				j.texts = append(j.texts, d.Text)
			}
		}
		jobs = append(jobs, j)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("activations: neutral dialogues are missing for topics %s in %s: run `emotion-probes generate-%s` (every shard) first",
			listSome(missing, 5), filepath.Join(x.out, neutral.StageName), neutral.StageName)
	}
	topics, texts, pending := make([]string, len(jobs)), make([][]string, len(jobs)), make([]bool, len(jobs))
	for i, j := range jobs {
		topics[i], texts[i], pending[i] = j.topic, j.texts, j.pending
	}
	err = x.readUnits(st, "activations: neutral", "topic", topics, texts, pending, func(i int, rd *reading) error {
		j := jobs[i]
		rows, err := writeNeutral(st, j.topic, x.r, rd)
		if err != nil {
			return err
		}
		part.add(rd, len(j.texts))
		part.Rows += rows - (len(j.texts) - rd.skipped)
		return nil
	})
	if err != nil {
		return part, err
	}
	names := make([]string, len(plan.TopicIDs))
	for i, id := range plan.TopicIDs {
		names[i] = topicUnit(id)
	}
	return part, markIfComplete(st, names)
}

func (p *Part) add(rd *reading, texts int) {
	p.Texts += texts
	p.Rows += texts - rd.skipped
	p.Skipped += rd.skipped
	p.Truncated += rd.truncated
	for _, n := range rd.tokens {
		p.Tokens += n
	}
}

// writeEmotion writes an emotion's unit: per layer its mean [D] (F64) and its stories' vectors [N, D] (F32).
func writeEmotion(st *checkpoint.Stage, emotion string, topicIDs []string, r *reader, rd *reading, plan *Plan) error {
	var kept []string // topic id of each story read
	var tokens []int
	var used [][][]float64 // [story][layer][D]
	for i, m := range rd.means {
		if m != nil {
			kept = append(kept, topicIDs[i])
			tokens = append(tokens, rd.tokens[i])
			used = append(used, m)
		}
	}
	var ts []safetensors.Tensor
	if len(used) > 0 {
		d := len(used[0][0])
		for l, layer := range r.layers {
			mean := make([]float64, d)
			per := make([]float32, 0, len(used)*d)
			for _, m := range used {
				for c, v := range m[l] {
					mean[c] += v
				}
				per = append(per, toFloat32(m[l])...)
			}
			for c := range mean {
				mean[c] /= float64(len(used)) // each story weighs the same
			}
			ts = append(ts,
				safetensors.Tensor{Name: meanName(layer), Shape: []int{d}, Data: mean},
				safetensors.Tensor{Name: perStoryName(layer), Shape: []int{len(used), d}, Data: per})
		}
	}
	meta := unitMeta(r, plan.ModelSHA256)
	meta["emotion"] = emotion
	meta["n"] = strconv.Itoa(len(used))
	meta["topic_ids"] = safetensors.MetaJSON(kept)
	meta["n_tokens"] = safetensors.MetaJSON(tokens)
	meta["skipped_short"] = strconv.Itoa(rd.skipped)
	meta["truncated"] = strconv.Itoa(rd.truncated)
	return writeUnit(st, emotionUnit(emotion), ts, meta)
}

// writeNeutral writes a topic's unit: per layer its rows [rows, D] (F32), and returns the row count.
func writeNeutral(st *checkpoint.Stage, topic string, r *reader, rd *reading) (int, error) {
	var perDialogue []int // rows of each dialogue read
	var ts []safetensors.Tensor
	rows := 0
	for l, layer := range r.layers {
		var data []float32
		perDialogue, rows = perDialogue[:0], 0
		d := 0
		for i, m := range rd.means {
			if m == nil {
				continue
			}
			d = len(m[l])
			if r.perToken {
				data = append(data, rd.rows[i][l]...)
				perDialogue = append(perDialogue, len(rd.rows[i][l])/d)
			} else {
				data = append(data, toFloat32(m[l])...)
				perDialogue = append(perDialogue, 1)
			}
			rows += perDialogue[len(perDialogue)-1]
		}
		if rows > 0 {
			ts = append(ts, safetensors.Tensor{Name: neutralName(layer), Shape: []int{rows, d}, Data: data})
		}
	}
	meta := unitMeta(r, "")
	meta["topic"] = topic
	meta["topic_id"] = config.TopicID(topic)
	meta["n_dialogues"] = strconv.Itoa(len(perDialogue))
	meta["rows_per_dialogue"] = safetensors.MetaJSON(perDialogue)
	meta["per_token"] = strconv.FormatBool(r.perToken)
	meta["skipped_short"] = strconv.Itoa(rd.skipped)
	meta["truncated"] = strconv.Itoa(rd.truncated)
	return rows, writeUnit(st, topicUnit(config.TopicID(topic)), ts, meta)
}

func unitMeta(r *reader, modelID string) map[string]string {
	m := map[string]string{
		"format":       Format,
		"layers":       safetensors.MetaJSON(r.layers),
		"token_offset": strconv.Itoa(r.offset),
	}
	if modelID != "" {
		m["model_sha256"] = modelID
	}
	return m
}

// writeUnit writes a unit's safetensors file atomically (safetensors.Write renames a finished temp file).
func writeUnit(st *checkpoint.Stage, unit string, ts []safetensors.Tensor, meta map[string]string) error {
	p := st.Path(unit)
	if err := safetensors.Write(p, ts, meta); err != nil {
		// The same advice as checkpoint's own writes give for a full disk or an unwritable folder.
		if hint := checkpoint.DiskHint(filepath.Dir(p), err); hint != "" {
			return fmt.Errorf("activations: %w: %s", err, hint)
		}
		return fmt.Errorf("activations: %w", err)
	}
	return nil
}

// dropComplete removes an earlier complete.json when new units are coming: it no longer speaks for the
// whole stage.
func dropComplete(st *checkpoint.Stage, pending int) error {
	if pending == 0 {
		return nil
	}
	return st.Unmark()
}

// markIfComplete writes complete.json once every unit of the stage (all shards) exists.
func markIfComplete(st *checkpoint.Stage, units []string) error {
	for _, u := range units {
		if !st.Done(u) {
			return nil
		}
	}
	if err := st.MarkComplete(map[string]int{"units": len(units)}); err != nil {
		return fmt.Errorf("activations: %w", err)
	}
	return nil
}

func stopped(err error, what, name string, done, total int) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("activations: stopped after %d of %d %ss (rerun to resume): %w", done, total, what, err)
	}
	return fmt.Errorf("activations: %s %q: %w", what, name, err)
}

// bosNote describes how texts start, for the fingerprint: the BOS id the engine puts first, or none.
func bosNote(eng Engine) string {
	if t := eng.ReadingTokens(""); len(t) > 0 {
		return fmt.Sprintf("BOS %d first", t[0])
	}
	return "no BOS"
}

func sortedTopics(topics []string) []string {
	t := slices.Clone(topics)
	sort.SliceStable(t, func(i, j int) bool { return config.TopicID(t[i]) < config.TopicID(t[j]) })
	return t
}

func sortedUnique(x []int) []int {
	x = slices.Clone(x)
	slices.Sort(x)
	return slices.Compact(x)
}

func hashStrings(s []string) string {
	sum := sha256.Sum256([]byte(strings.Join(s, "\n")))
	return hex.EncodeToString(sum[:8])
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func withUnit(o progress.Options, unit string) progress.Options {
	if o.Unit == "" {
		o.Unit = unit
	}
	return o
}
