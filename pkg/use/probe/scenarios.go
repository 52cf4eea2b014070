package probe

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
	"gopkg.in/yaml.v3"
)

// DefaultScenariosFile is the scenarios file shipped beside the configs, relative to a config's folder
// (config.Config.Path resolves it): config/data/scenarios.yaml.
const DefaultScenariosFile = "data/scenarios.yaml"

// Scenario is a short user message that implies an emotion without naming it.
type Scenario struct {
	Emotion string // the emotion it implies
	Text    string // the user's message
	Line    int    // its line in the file, for messages
}

// SweepSpec is a numeric sweep in the paper's manner: one message template with a number in it, read for
// each value, and the emotions whose scores are followed.
type SweepSpec struct {
	Template string    // holds "{X}" once, e.g. "I just took {X} mg of tylenol for my back pain."
	Values   []float64 // the numbers put in for {X}, in order
	Emotions []string  // the emotions followed (those without a vector are skipped)
	XLabel   string    // the x axis' name, e.g. "tylenol dose (mg)"
}

// Text is the template with x put in for {X} (integers without a decimal point).
func (s SweepSpec) Text(x float64) string {
	return strings.Replace(s.Template, "{X}", strconv.FormatFloat(x, 'f', -1, 64), 1)
}

// scenarioFile is the YAML layout of the scenarios file.
type scenarioFile struct {
	Scenarios []Scenario
	Sweep     *SweepSpec
}

// LoadScenarios reads the scenarios of a scenarios file (config/data/scenarios.yaml is the shipped one):
//
//	scenarios:
//	  - emotion: happy
//	    text: My daughter took her first steps this morning!
//
// Errors give the file and line. A text that names its own emotion (the word itself, any case) is an error:
// the point of the test is that the emotion is implied.
func LoadScenarios(path string) ([]Scenario, error) {
	f, err := loadScenarioFile(path)
	if err != nil {
		return nil, err
	}
	if len(f.Scenarios) == 0 {
		return nil, fmt.Errorf("probe: %s: no scenarios (want a top-level \"scenarios:\" list of {emotion, text})", path)
	}
	return f.Scenarios, nil
}

// LoadSweep reads the sweep of a scenarios file:
//
//	sweep:
//	  template: I just took {X} mg of tylenol for my back pain.
//	  values: [250, 500, 1000, 2000, 4000, 8000]
//	  emotions: [afraid, calm, desperate, happy]
//	  x_label: tylenol dose (mg)
func LoadSweep(path string) (SweepSpec, error) {
	f, err := loadScenarioFile(path)
	if err != nil {
		return SweepSpec{}, err
	}
	if f.Sweep == nil {
		return SweepSpec{}, fmt.Errorf("probe: %s: no \"sweep:\" section (template, values, emotions)", path)
	}
	return *f.Sweep, nil
}

func loadScenarioFile(path string) (*scenarioFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("probe: scenarios file: %w", err)
	}
	return parseScenarioFile(path, data)
}

// parseScenarioFile parses data, the content of the scenarios file path; errors name path and the line.
func parseScenarioFile(path string, data []byte) (*scenarioFile, error) {
	f, err := parseScenarios(data)
	if err != nil {
		// yaml.v3 places an empty document ("---") on the line after the file's last.
		var le *lineError
		if errors.As(err, &le) {
			le.line = min(le.line, yamlLines(data))
		}
		return nil, fmt.Errorf("probe: %s:%w", path, err)
	}
	return f, nil
}

// yamlLines counts data's lines as YAML does: "\r\n", "\n" and a lone "\r" each end one.
func yamlLines(data []byte) int {
	return bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
}

// lineError is an error at a line of the file; its text starts with the line number, after the path.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("%d: %s", e.line, e.msg) }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &lineError{n.Line, fmt.Sprintf(format, args...)}
}

// parseScenarios decodes the file from its YAML nodes, so that every error has a line.
func parseScenarios(data []byte) (*scenarioFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p := config.SyntaxProblem("", data, err) // yaml.v3 leaves the line out of some errors: found here
		return nil, &lineError{p.Line, p.Msg}
	}
	if len(doc.Content) == 0 {
		return nil, &lineError{1, "the file is empty"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "want a mapping with \"scenarios\" and \"sweep\"")
	}
	f := &scenarioFile{}
	for i := 0; i < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "scenarios":
			if v.Kind != yaml.SequenceNode {
				return nil, errAt(v, "scenarios: want a list of {emotion, text}")
			}
			for _, item := range v.Content {
				sc, err := parseScenario(item)
				if err != nil {
					return nil, err
				}
				f.Scenarios = append(f.Scenarios, sc)
			}
		case "sweep":
			s, err := parseSweep(v)
			if err != nil {
				return nil, err
			}
			f.Sweep = &s
		default:
			return nil, errAt(k, "unknown key %q (want scenarios, sweep)", k.Value)
		}
	}
	return f, nil
}

func parseScenario(n *yaml.Node) (Scenario, error) {
	if n.Kind != yaml.MappingNode {
		return Scenario{}, errAt(n, "a scenario is a mapping {emotion: ..., text: ...}")
	}
	sc := Scenario{Line: n.Line}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return Scenario{}, errAt(v, "%s: want a string", k.Value)
		}
		switch k.Value {
		case "emotion":
			sc.Emotion = strings.TrimSpace(v.Value)
		case "text":
			sc.Text = strings.TrimSpace(v.Value)
		default:
			return Scenario{}, errAt(k, "unknown key %q in a scenario (want emotion, text)", k.Value)
		}
	}
	switch {
	case sc.Emotion == "":
		return Scenario{}, errAt(n, "scenario without an emotion")
	case sc.Text == "":
		return Scenario{}, errAt(n, "scenario %q without a text", sc.Emotion)
	case names(sc.Text, sc.Emotion):
		return Scenario{}, errAt(n, "the text of the %q scenario names the emotion: it must only imply it", sc.Emotion)
	}
	return sc, nil
}

// names reports whether text holds the word emotion (whole word, any case).
func names(text, emotion string) bool {
	re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(emotion) + `\b`)
	return re.MatchString(text)
}

func parseSweep(n *yaml.Node) (SweepSpec, error) {
	if n.Kind != yaml.MappingNode {
		return SweepSpec{}, errAt(n, "sweep: want a mapping {template, values, emotions, x_label}")
	}
	var s SweepSpec
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "template", "x_label":
			if v.Kind != yaml.ScalarNode {
				return s, errAt(v, "sweep.%s: want a string", k.Value)
			}
			if k.Value == "template" {
				s.Template = v.Value
			} else {
				s.XLabel = v.Value
			}
		case "values":
			if v.Kind != yaml.SequenceNode {
				return s, errAt(v, "sweep.values: want a list of numbers")
			}
			for _, x := range v.Content {
				f, err := strconv.ParseFloat(x.Value, 64)
				if err != nil || x.Kind != yaml.ScalarNode || math.IsNaN(f) || math.IsInf(f, 0) {
					return s, errAt(x, "sweep.values: %q is not a finite number", x.Value)
				}
				s.Values = append(s.Values, f)
			}
		case "emotions":
			if v.Kind != yaml.SequenceNode {
				return s, errAt(v, "sweep.emotions: want a list of emotion words")
			}
			for _, x := range v.Content {
				if x.Kind != yaml.ScalarNode || strings.TrimSpace(x.Value) == "" {
					return s, errAt(x, "sweep.emotions: want emotion words")
				}
				s.Emotions = append(s.Emotions, strings.TrimSpace(x.Value))
			}
		default:
			return s, errAt(k, "unknown key %q in sweep (want template, values, emotions, x_label)", k.Value)
		}
	}
	switch {
	case strings.Count(s.Template, "{X}") != 1:
		return s, errAt(n, "sweep.template %q must hold {X} exactly once", s.Template)
	case len(s.Values) < 2:
		return s, errAt(n, "sweep.values: want at least 2 numbers, got %d", len(s.Values))
	case len(s.Emotions) == 0:
		return s, errAt(n, "sweep.emotions: want at least one emotion")
	}
	if s.XLabel == "" {
		s.XLabel = "X"
	}
	return s, nil
}
