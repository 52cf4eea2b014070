package config_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/support/config"
)

func ExampleSlug() {
	for _, e := range []string{"at ease", "grief-stricken", "worn out", "happy"} {
		fmt.Println(config.Slug(e))
	}
	// Output:
	// at-ease
	// grief-stricken
	// worn-out
	// happy
}

func ExampleTopicID() {
	fmt.Println(config.TopicID("A neighbor starts a renovation project"))
	// Output: 1295a29ccd4b
}

func ExampleLayers_Resolve() {
	layers := config.Default().Extraction.Layers // auto
	idx, _ := layers.Resolve(30)                 // SmolLM2-135M has 30 blocks
	fmt.Println(layers, idx)
	// Output: auto [20]
}

func ExampleParse() {
	_, err := config.Parse([]byte("generation:\n  temprature: 0.3\n"), "run.yaml")
	fmt.Println(err)
	// Output: run.yaml:2: unknown key "temprature" in generation (did you mean "temperature"?); valid keys: stories_per_topic, stories_per_completion, neutral_per_topic, temperature, top_p, top_k, max_new_tokens, batch_size, max_attempts, seed
}
