// Package geometry is the analysis stage (step 5 of the method, docs/method.md): it reads one layer's emotion
// vectors and writes what their geometry looks like, as files a notebook or the report stage reads back.
//
// # Where it sits
//
//	<out>/vectors/layer_{L}/emotion_vectors.safetensors     (vectors stage: one [D] vector per emotion)
//	        │  Run(cfg, Options{})  =  ReadVectors (vectors.Load) + Analyze + write
//	        ▼
//	<out>/analysis/layer_{L}/cosine.json   pairwise cosine similarity [n][n], and a clustered display order
//	                         pca.json      explained variance, PC1..PC5 scores, how PC1/PC2 were oriented
//	                         kmeans.json   k, labels, inertia, members per cluster
//	                         umap.json     2-D map, its parameters and trustworthiness
//	                         summary.md    the above in a few readable lines
//	        │  Load(outDir, L)
//	        ▼
//	pkg/method/report (figures), notebooks
//
// The numerics are package numeric's (CosineMatrix, PCA, OrientComponent, KMeans, UMAP, Trustworthiness);
// this package chooses their settings from the config, records every decision next to its result, and
// handles the stage's folder (package checkpoint: a layer already analysed with the same settings is read back;
// other settings are refused unless Force).
//
// # Decisions written down
//
//   - PCA axes are named only when their sign was decided from the data: PC1 is "valence: pleasant +" when at
//     least one emotion of numeric.PleasantEmotions and one of numeric.UnpleasantEmotions are present, and
//     PC2 "arousal: high +" likewise with the arousal lists. pca.json lists the emotions that decided it and an
//     AUC (share of pleasant/unpleasant pairs in the right order): the paper's reading of PC1 as valence is a
//     claim to check, not a label to assume (the Python tool labelled unchecked axes; docs/method.md).
//   - The heatmap order (Cosine.Order) is k-means clusters by decreasing mean PC1 score, then emotions by
//     decreasing PC1 score within each cluster: blocks of similar emotions, running from pleasant to unpleasant
//     once PC1 is oriented. It is deterministic given the clustering.
//   - analysis.kmeans_metric is also UMAP's metric and its trustworthiness's (default cosine: emotion vectors
//     differ in length by how strongly a concept shows, not only by direction).
//   - Few emotions: k is capped at n (with a note); UMAP needs n >= 4 (trustworthiness needs 1 <= k < n/2) and is
//     skipped below, with a note; n_neighbors is capped at n-1.
//
// # Layers
//
// Options.Layers nil means the vectors stage's default layer (its completion summary records it: int(2/3
// n_layers) by default). Other layers the vectors stage wrote are analysed when asked for, each in its own
// folder.
//
// Errors name the file, layer or setting at fault and say which stage to run.
package geometry
