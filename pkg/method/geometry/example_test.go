package geometry_test

import (
	"fmt"

	"github.com/emotion-probes/emotion-probes/pkg/method/geometry"
	"gonum.org/v1/gonum/mat"
)

func ExampleAnalyze() {
	// Four 3-D emotion vectors: two pleasant, two unpleasant, on opposite sides of the first coordinate.
	names := []string{"sad", "happy", "afraid", "calm"}
	v := mat.NewDense(4, 3, []float64{
		-2, 0.5, 0.1,
		2, 0.4, -0.2,
		-2, -0.6, 0.3,
		2, -0.5, 0.1,
	})
	r, err := geometry.Analyze(names, v, 20, geometry.Params{
		KMeansK: 2, KMeansMetric: "cosine", KMeansRestarts: 10, UMAPNeighbors: 3, UMAPMinDist: 0.1, Seed: 42})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.PCA.Labels[0])
	for i, e := range r.PCA.Emotions {
		fmt.Printf("%-6s PC1 %+.1f cluster %d\n", e, r.PCA.Scores[i][0], r.KMeans.Labels[i])
	}
	fmt.Println("members:", r.KMeans.Members)
	// Output:
	// PC1 (valence: pleasant +)
	// sad    PC1 -2.0 cluster 0
	// happy  PC1 +2.0 cluster 1
	// afraid PC1 -2.0 cluster 0
	// calm   PC1 +2.0 cluster 1
	// members: [[sad afraid] [happy calm]]
}
