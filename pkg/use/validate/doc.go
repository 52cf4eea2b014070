// Package validate checks that the emotion vectors work: do they name the emotion of stories they were not
// made from, is their geometry that of human ratings, and at which layer are they best? It is the core of
// `emotion-probes validate` and notebook 07; the checks that need the model (implicit scenarios, the numeric
// sweep, steering) are package probe's and join the report as Sections.
//
// # Where it sits
//
//	<output>/activations/ (+ <output>/validation/sweep/activations/ for layers the run did not extract)
//	        │  PlanLayers, Extract (package activations itself, resumable), Run
//	        ▼
//	Report ──Write──▶ <output>/validation/report.json, report.md, figures/*.{png,html}
//
// # Held-out stories (Evaluate)
//
// The topics are split (SplitTopics: seeded, 80/20 by default, at least one topic each side); every story
// of a held-out topic is classified among the E emotions by two classifiers made from the training topics'
// stories only:
//
//   - cosine: emotion vectors made exactly as package vectors makes them (vectors.Compute: each emotion's
//     mean over its training stories, minus the mean over emotions mu, neutral principal components
//     projected out), and each story x scored by cos(x - mu, v_e);
//   - probe: a multinomial logistic regression on the stories' standardised activations, L2-regularised
//     (FitLogisticQuick: scikit-learn's StandardScaler + LogisticRegression(C=1) with its default stopping;
//     FitLogistic, run to the optimum, is checked against scikit-learn).
//
// Splitting by topic, not by story, keeps what a topic's stories share (names, places, the plot) out of the
// test: a classifier cannot pass by recognising the topic. Top-1 accuracy is compared with chance 1/E,
// top-3 with min(3, E)/E. The paper's 15-way probe reached 0.39-0.83; this project aims at 3x chance.
//
// # Layer sweep (SweepLayers, NewLayerSweep)
//
// validation.layers ("auto": about ten layers spread over the model, plus the extracted ones) are each
// validated; layers the run did not extract are read by Extract into validation/sweep/, a folder laid out
// like a run whose stories and neutral dialogues are links to the run's. Layers are compared by the
// similarity of their geometry: the Pearson correlation of the off-diagonal entries of two layers' cosine
// matrices (the paper: stable from early-middle to late layers). The recommended layer is the one whose
// vectors classify held-out stories best (RecommendRule).
//
// # Human ratings (ReadRatings, CompareRatings)
//
// A PCA of the vectors (numeric.PCA), PC1 oriented pleasant + and PC2 high arousal + from lists of words
// (as package geometry does, independently of the ratings), is compared with human valence and arousal
// ratings over the emotions both have: Pearson and Spearman correlations with 95% percentile bootstrap
// intervals over emotions. The paper: r = 0.81 (PC1, valence) and 0.66 (PC2, arousal) over 45 emotions.
// config/data/ratings_warriner2013.tsv holds the norms of Warriner, Kuperman and Brysbaert (2013) for
// 126 of the 171 emotion words (its header gives the source, licence and scales).
//
// # What PC1 follows (CompareStyle)
//
// When PC1 is not valence, the report says what it is. Traits of how each emotion's stories are written
// (the share of body words, of first-person words, of quoted speech; the length) are correlated with the
// first principal components, with the ratings, and story by story within emotions with PC1; the trait PC1
// follows most closely (picked by its r with PC1, not with the ratings) is partialled out of the vectors and
// the ratings are compared again. A first axis that follows the writing and not valence is a finding about
// the stories, not about the method.
//
// # Errors and determinism
//
// Errors name the file, line, layer or setting at fault and the command to run. Every random choice (the
// topic split, the bootstrap) is seeded by validation.seed; the probe's fit is deterministic.
//
// Golden values of the probe come from scikit-learn via tools/reference/make_validate_fixtures.py
// (testdata/logistic_fixtures.json).
package validate
