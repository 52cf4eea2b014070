// Package vectors is step 4 of the method (docs/method.md): emotion vectors from the mean activations of package
// activations, with the directions of emotionless text projected out.
//
// # Where it sits
//
//	<output>/activations/  ->  Run  ->  <output>/vectors/  ->  Load / LoadDefault  ->  analyses, probes, steering
//
// # What is computed, per extracted layer L
//
//	M   [E, D]  each emotion's mean activation (activations.LoadEmotionMeans)
//	raw [E, D]  M minus its mean row (numeric.EmotionVectors): what every story shares cancels, rows sum to 0
//	N   [n, D]  neutral activations (activations.LoadNeutral), one row per dialogue (or per token)
//	C   [k, D]  the top principal components of the centred N, k the smallest count whose cumulative explained
//	            variance reaches vectors.pca_variance_threshold (0.5 in the paper's tool; numeric.NeutralPCs)
//	v   [E, D]  raw - raw C^T C (numeric.ProjectOut): the vectors with the neutral directions removed
//
// The neutral directions are what the model's residual stream does anyway (formatting, position, topic):
// removing them leaves what is specific to emotion. Without neutral activations (never extracted), or with a
// threshold of 0, nothing is removed: the "denoised" file then holds the raw vectors, its metadata says
// "denoised": "false", and the summary says why.
//
// # Files
//
//	vectors/layer_L/emotion_vectors.safetensors      v: one F32 [D] tensor per emotion, named by the word
//	vectors/layer_L/emotion_vectors_raw.safetensors  raw, the same layout
//	vectors/layer_L/neutral_pcs.safetensors          "components" F64 [k, D], "explained_variance" F64 [k]
//	vectors/layer_L/summary.json                     counts, k, explained variance, notes (LayerSummary)
//	vectors/emotion_vectors.safetensors (+ _raw)     copies for the default layer (int(2/3 n_layers), or the
//	                                                 first layer extracted)
//
// Metadata of the vector files (strings, as safetensors requires): "format" ("emotion-probes-go/1"),
// "emotions" (JSON list, the row order), "layer", "site" (the layer's TransformerLens name, lm.Site:
// "blocks.19.hook_resid_post" for layer 20), "model", "denoised", "n_components_removed",
// "explained_variance" (JSON list), "pca_variance_threshold", "token_offset", "n_stories" (JSON object,
// emotion -> stories averaged). Python reads them with safetensors.numpy.load_file and safe_open(...).metadata()
// (tools/reference/check_vectors_readable.py).
//
// The stage is checkpointed like the others: its fingerprint holds those of the activation stages it read and
// the threshold; a finished stage is not recomputed unless Options.Force.
package vectors
