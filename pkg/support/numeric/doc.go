// Package numeric turns per-emotion mean activations into emotion vectors and analyses their geometry: steps 4
// and 5 of the method (docs/method.md), after Sofroniew et al., "Emotion Concepts and their Function in a Large
// Language Model" (Anthropic, 2026).
//
// Everything here is plain float64 numerics on gonum matrices; no GoMLX. Rows are items (emotions, dialogues,
// points), columns are residual-stream coordinates. Shapes use one vocabulary:
//
//	means    [nEmotions, D]  per-emotion mean activation (D = dModel, 576 for SmolLM2-135M)
//	neutral  [nNeutral, D]   activations of emotionless dialogues
//	C        [k, D]          unit, orthogonal rows: the neutral principal components to remove
//	vectors  [nEmotions, D]  denoised emotion vectors
//
// # Step 4: vectors
//
//	raw     := EmotionVectors(means)             // means minus their mean over emotions
//	C, _, _ := NeutralPCs(neutral, 0.5)          // PCA of neutral data, enough components for 50% of variance
//	vectors := ProjectOut(raw, C)                // raw - raw C^T C
//
// Removing the top neutral components takes out directions that vary a lot on text with no emotion at all
// (topic, format, position), so what is left is more specific to emotion.
//
// # Step 5: analysis
//
//   - CosineMatrix: pairwise cosine similarity of the vectors.
//   - PCA: principal components of the vectors with a deterministic sign, then OrientByValence and
//     OrientByArousal fix the signs of PC1 and PC2 from the data (the paper reads PC1 as valence and PC2 as
//     arousal; the sign of a principal component is arbitrary, so the labels are only true once oriented).
//   - KMeans: k-means++ seeding, Lloyd iterations and Hartigan refinement, best of many seeded restarts;
//     Euclidean or spherical (cosine); never an empty cluster.
//   - UMAP: a Go implementation of umap-learn's algorithm (McInnes, Healy and Melville 2018) for the 2-D map,
//     with Trustworthiness to check how faithful a map is.
//   - Pearson, Spearman and BootstrapCI for validation against human ratings.
//
// # Errors
//
// Functions that can fail on data (too few rows, a zero row, a threshold out of range) return errors that begin
// with "analysis:" and name the value and the rule. Functions without an error result (ProjectOut,
// EmotionVectors) panic on mismatched shapes, as gonum does for programming errors.
//
// # Determinism
//
// Every random choice (k-means++ seeding, UMAP initial noise and negative sampling, bootstrap resampling) draws
// from math/rand/v2's PCG seeded by the caller's Seed, single-threaded: the same inputs and seed give the same
// output bit for bit on the same platform.
//
// Golden values in the tests come from numpy, scikit-learn, scipy and umap-learn through
// tools/reference/make_analysis_fixtures.py (fixture: testdata/analysis_fixtures.json).
package numeric
