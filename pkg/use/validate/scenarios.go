package validate

import (
	"fmt"
	"math"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/engine/lm"
	"github.com/emotion-probes/emotion-probes/pkg/method/vectors"
	"github.com/emotion-probes/emotion-probes/pkg/use/probe"
)

// ScenarioSections runs the checks of a scenarios file (config/data/scenarios.yaml is the shipped one) that
// need the model, with package probe: the implicit scenarios (probe.ReadScenarios: short user messages that
// imply an emotion, read at the end of the assistant's header) and, when the file has one, the numeric sweep
// (probe.Sweep: "I just took {X} mg of tylenol"). Both use the run's default vectors, states centred on the
// stories' mean (probe.StoryMean), the point the vectors were centred at. The scenarios are read twice: at
// the end of the assistant's header (the paper's position) and alone, as the stories were read (the mean
// over the message's tokens), which tells what the text carries from what the model keeps of it by the time
// it answers. It returns report sections named "scenarios", "scenarios_message" and "numeric_sweep", each
// with its figure.
func ScenarioSections(m *lm.Model, outputDir, path string) ([]*Section, error) {
	sc, err := probe.LoadScenarios(path)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	set, err := vectors.LoadDefault(outputDir)
	if err != nil {
		return nil, fmt.Errorf("validate: the implicit scenarios need the run's vectors: %w", err)
	}
	center, err := probe.StoryMean(outputDir, set.Layer)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	opts := probe.Options{Center: center}
	sec, err := scenarioSection(m, set, sc, opts, "scenarios", "Implicit scenarios (layer %d)",
		"Each message implies an emotion without naming it; it is formatted as a user turn and read at the "+
			"end of the assistant's header (the paper's position). Its own emotion should score highest (the diagonal). "+
			"Aim: top-3 at least 50% among the emotions the scenarios target.",
		"Implicit scenarios: cosine with the vectors of the emotions they target")
	if err != nil {
		return nil, err
	}
	msgOpts := opts
	msgOpts.Read = probe.ReadMessage
	secAlone, err := scenarioSection(m, set, sc, msgOpts, "scenarios_message", "Implicit scenarios read as stories (layer %d)",
		"The same messages read alone, as the stories were read (raw text, BOS first, the mean state over "+
			"the message's tokens). Beside the header's read, this tells what the text itself carries from what the "+
			"model still holds of it when it is about to answer.",
		"Implicit scenarios read as stories")
	if err != nil {
		return nil, err
	}
	sec.Markdown += "\n\n" + scenarioTable(sec.Data.(*probe.ScenarioResult), secAlone.Data.(*probe.ScenarioResult))
	spec, err := probe.LoadSweep(path)
	if err != nil {
		sec.Markdown += "\n\nNo numeric sweep: " + err.Error()
		return []*Section{sec, secAlone}, nil
	}
	sw, err := probe.Sweep(m, set, spec, opts)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	line, err := sw.Figure()
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return []*Section{sec, secAlone, {
		Name: "numeric_sweep", Title: "Numeric sweep: " + spec.Template,
		Markdown: "One message with a number in it, read for each value (the paper: \"I just took {X} mg of tylenol\" " +
			"raises afraid and lowers calm as X grows).\n\n```\n" + sw.String() + "\n```",
		Data:    sw,
		Figures: []SectionFigure{{Base: "numeric_sweep", Caption: "Numeric sweep", Figure: line}},
	}}, nil
}

// scenarioSection reads the scenarios with opts and makes a report section of the result: intro, the
// table, the matrix. title has a %d for the layer.
func scenarioSection(m *lm.Model, set *vectors.Set, sc []probe.Scenario, opts probe.Options, name, title, intro, caption string) (*Section, error) {
	res, err := probe.ReadScenarios(m, set, sc, opts)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	heat, err := res.Heatmap()
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return &Section{
		Name: name, Title: fmt.Sprintf(title, res.Layer),
		Markdown: intro + "\n\n```\n" + res.String() + "\n```",
		Data:     res,
		Figures:  []SectionFigure{{Base: name, Caption: caption, Figure: heat}},
	}, nil
}

// scenarioTable scores the two reads again centred on the scenarios' own mean (OnSetMean: what the chat
// prompt adds at the header is shared by every message, and the stories' mean does not remove it) and sets
// the four ways side by side, with a one-sided binomial p for the top-3 among the targeted emotions.
func scenarioTable(header, alone *probe.ScenarioResult) string {
	var b strings.Builder
	b.WriteString("The two reads, each centred on the stories' mean (as above) and on the scenarios' own mean:\n\n" +
		"| read | centring | top-1 of the targeted | top-3 of the targeted | p | top-1 of all | top-3 of all |\n" +
		"|---|---|---|---|---|---|---|\n")
	row := func(r *probe.ScenarioResult) {
		n := len(r.Scenarios)
		k := int(math.Round(r.TargetTop3 * float64(n)))
		fmt.Fprintf(&b, "| %s | %s | %.0f%% | %.0f%% | %s | %.0f%% | %.0f%% |\n", r.Read, r.Centering,
			100*r.TargetTop1, 100*r.TargetTop3, PValue(BinomialTail(n, k, r.TargetChance3)), 100*r.Top1, 100*r.Top3)
	}
	for _, r := range []*probe.ScenarioResult{header, alone} {
		row(r)
		row(r.OnSetMean())
	}
	fmt.Fprintf(&b, "| chance (%d targeted, %d in all) | | %.0f%% | %.0f%% | | %.0f%% | %.0f%% |\n",
		len(header.Targets), len(header.Emotions), 100*header.TargetChance1, 100*header.TargetChance3, 100*header.Chance1, 100*header.Chance3)
	return b.String()
}
