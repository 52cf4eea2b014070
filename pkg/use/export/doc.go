// Package export writes a run's emotion vectors in formats other tools load: a control vector for llama.cpp
// (--control-vector, --control-vector-scaled), the same file for repeng (ControlVector.import_gguf), and an
// .npz archive for numpy users.
//
// # Where it sits
//
//	<output>/vectors/layer_L/    (vectors.Load)            ->  LoadLayers  ->  Write  ->  .gguf or .npz
//	<output>/activations/        (probe.MeanStoryNorm,
//	                              probe.StoryMean)
//
// # Which residual point: layer L is direction.(L-1)
//
// In this project "layer L" is Hugging Face's hidden_states[L], the residual stream entering block L (0-based
// blocks; hidden_states[0] is the embeddings), and steering adds its vector there (lm.Steering, before block
// L). A control vector names its tensors "direction.N", and both consumers add direction.N to the OUTPUT of
// block N, which is hidden_states[N+1]:
//
//   - llama.cpp: every model graph ends block il with cur = build_cvec(cur, il) after the feed-forward
//     residual add (the "l_out" tensor; src/models/llama.cpp), and llama_adapter_cvec::apply_to adds
//     tensor_for(il). common_control_vector_load_one (common/common.cpp) stores direction.N at row N-1 of its
//     buffer, and llama_adapter_cvec::apply (src/llama-adapter.cpp) copies row il-1 into tensors[il]: so
//     direction.N is added after block N. It refuses direction.0 ("invalid (zero) direction tensor layer
//     index": tensors[0] is never allocated), wants F32 tensors of one dimension, all of the same n_embd,
//     and ignores the metadata.
//   - repeng: ControlModel wraps block N in a ControlModule whose forward adds the control to the block's
//     output, and its training reads hidden_states[N+1] for direction N (extract.py: hidden_idx = layer + 1).
//     ControlVector.export_gguf writes exactly the layout above (general.architecture "controlvector",
//     controlvector.model_hint, controlvector.layer_count = the number of directions, "direction.N"), and
//     import_gguf reads it back, requiring controlvector.model_hint. direction.0 is valid there.
//
// So this project's layer L is direction.(L-1) for both: the same residual point, since the output of block
// L-1 is the input of block L. Layer 0 (the embeddings) cannot be exported; layer 1 only for repeng (it would
// be llama.cpp's refused direction.0). Otherwise the two formats are one file: --format repeng writes what
// --format llama.cpp writes, and only allows layer 1 besides.
//
// # The scale: strength 1 means steer --alpha 1
//
// `emotion-probes steer --alpha A` adds A x norm x v/|v| at hidden_states[L], norm being the mean residual norm
// of the run's stories at L (probe.MeanStoryNorm, over all the run's emotions), at every position of the
// prompt and of the generation. The exported direction is norm x v/|v| (times Options.Alpha, 1 by default),
// computed by probe.Steer itself, so that
//
//	llama-cli -m MODEL.gguf --control-vector-scaled FILE:A      (older builds: --control-vector-scaled FILE A)
//	repeng:   ControlModel(model, [L-1]).set_control(ControlVector.import_gguf(FILE), A)
//
// add what steer --alpha A adds (the paper shows A = 0.5; small models leave their distribution sooner).
// llama.cpp's loader multiplies every value by the scale (and sums several files); repeng's set_control by
// the coefficient. Both steer every position, as steer does by default (steer --only-new has no equivalent).
// A file of several layers steers all of them at once, each with its own layer's norm: stronger than steer,
// which steers one; llama.cpp's --control-vector-layer-range N N keeps only direction.N.
//
// # The .npz archive
//
// For numpy users, numpy.load(FILE) holds:
//
//	vectors        float32 [E, D], or [n_layers, E, D] for several layers: the run's emotion vectors as stored
//	               (not normalised, not scaled)
//	emotions       <U [E]: the rows' emotions
//	layers         int64 [n_layers]: hidden_states indices L
//	residual_norm  float64 [n_layers]: the mean story norm at each layer; steering at strength A adds
//	               A * residual_norm[i] * v / |v| at hidden_states[layers[i]]
//	story_mean     float64 [D] or [n_layers, D]: the stories' mean state, the centre that `score` subtracts
//	               before the cosine (absent when the activations are not there)
//	metadata       a 0-d string: JSON with the model (name, sha256, model_hint), token_offset, the denoising,
//	               the layer convention, the control-vector index of each layer, and each vector file's own
//	               metadata; json.loads(str(z["metadata"]))
//
// # Errors
//
// Errors name the run folder or file and the layer or emotion, and say what to do: an emotion the run does not
// have lists the ones it has; a layer with no vectors says which command makes them; layer 0 (and 1 for
// llama.cpp) says why it cannot be expressed.
package export
