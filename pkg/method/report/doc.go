// Package report is the visualize stage: it turns the analysis stage's results (package geometry) and the
// logit lens (package logitlens) into figures a person reads, each as a PNG and as an interactive offline
// HTML page (package drawing), and one index page.
//
// # Where it sits
//
//	<out>/analysis/layer_{L}/*.json, <out>/logit_lens/layer_{L}.json
//	        │  Run(cfg, Options{})
//	        ▼
//	<out>/figures/layer_{L}/cosine_heatmap.{png,html}  cosine similarities in the clustered order of cosine.json
//	                        pca_scatter.{png,html}     PC1 x PC2, coloured by k-means cluster; axis titles give
//	                                                   the explained variance, and valence/arousal only when
//	                                                   the analysis oriented that axis
//	                        umap.{png,html}            the UMAP map coloured by cluster (absent when skipped)
//	                        logit_lens.html            the logit-lens table (when that stage has run)
//	<out>/figures/index.html                           every layer: inline PNGs linked to the interactive
//	                                                   pages, the logit-lens table, summary.md
//
// Figures go in one folder per layer, as the analysis does, so that runs over several layers do not overwrite
// each other. The index carries its PNGs inline (data URIs) and loads nothing from the network. Nothing here
// computes: every number drawn was written by an earlier stage, so a figure always matches its JSON.
package report
