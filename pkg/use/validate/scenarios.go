package validate

import (
	"fmt"

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
	res, err := probe.ReadScenarios(m, set, sc, opts)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	heat, err := res.Heatmap()
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	sec := &Section{
		Name: "scenarios", Title: fmt.Sprintf("Implicit scenarios (layer %d)", res.Layer),
		Markdown: "Each message implies an emotion without naming it; it is formatted as a user turn and read at the " +
			"end of the assistant's header (the paper's position). Its own emotion should score highest (the diagonal). " +
			"Aim: top-3 at least 50%.\n\n" + "```\n" + res.String() + "\n```",
		Data:    res,
		Figures: []SectionFigure{{Base: "scenarios", Caption: "Implicit scenarios: cosine with each emotion vector", Figure: heat}},
	}
	msgOpts := opts
	msgOpts.Read = probe.ReadMessage
	alone, err := probe.ReadScenarios(m, set, sc, msgOpts)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	aloneHeat, err := alone.Heatmap()
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	secAlone := &Section{
		Name: "scenarios_message", Title: fmt.Sprintf("Implicit scenarios read as stories (layer %d)", alone.Layer),
		Markdown: "The same messages read alone, as the stories were read (raw text, BOS first, the mean state over " +
			"the message's tokens). Beside the header's read, this tells what the text itself carries from what the " +
			"model still holds of it when it is about to answer.\n\n```\n" + alone.String() + "\n```",
		Data:    alone,
		Figures: []SectionFigure{{Base: "scenarios_message", Caption: "Implicit scenarios read as stories", Figure: aloneHeat}},
	}
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
