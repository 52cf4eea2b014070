// Package lm runs open decoder-only language models with GoMLX: it is the engine every
// number of the project comes from.
//
// # Where it sits
//
//	config -> hub.Resolve (a file or folder on disk) -> lm.Load -> Model
//	Model.HiddenStates   reads texts back (step 3 of the method: activations)
//	Model.Generate       writes stories and dialogues (steps 1 and 2)
//	Model.Unembed        the final norm and unembedding on their own (the logit lens)
//	Options.Steer        adds a vector to the residual stream while generating (steering)
//
// # Activation sites
//
// The residual stream is named as in TransformerLens, one name per site, used everywhere in
// the project (see Site):
//
//	resid_post at block L  ==  Hugging Face hidden_states[L+1]
//	embeddings (block -1)  ==  Hugging Face hidden_states[0]
//
// The project speaks of "layer L" the way the paper and the Python tool do: layer L is
// hidden_states[L], the residual stream after L blocks, so layer 0 is the embeddings and
// layer n_layers is after the last block. One caveat from Hugging Face: its last entry,
// hidden_states[n_layers], has the final norm applied; Model.HiddenStates follows that
// convention only in AllHiddenStates (the `forward` command), which exists to be compared
// with transformers, and documents it there.
//
// # Families
//
// One file per architecture family: llama.go holds the Llama family (SmolLM2, Llama 2/3,
// Mistral, Qwen2's attention biases, Qwen3's QK-norm) and the pieces every family shares;
// gemma.go holds what Gemma 2 and Gemma 3 change: (1 + w) norms, scaled embeddings, four norms
// per block, GeGLU, query_pre_attn_scalar, soft-capped attention scores and logits,
// sliding-window layers with their own rope base; gemma4.go what Gemma 4 adds: per-layer head
// sizes, keys as values, partial ("proportional") rope, KV sharing, per-layer embeddings, value
// norm, layer scalars. A multimodal Gemma 3/4 checkpoint (model_type gemma3 or gemma4) loads its
// language model (text_config; the vision and audio towers are ignored). Every hyper-parameter
// comes from the model file (Config); none is hard-coded, and a setting the engine does not
// implement is refused at Load with the config field named (Gemma 4's mixture of experts,
// bidirectional attention, biases). Gemma in GGUF files is not supported yet.
//
// For every family, AllHiddenStates' last entry is after the final norm, as transformers'
// output_hidden_states (it replaces the last block's output with the normed last_hidden_state);
// the logit lens (Unembed) applies the final norm, the unembedding and Gemma's final soft-cap.
//
// # Errors
//
// Graph-building code panics (GoMLX's way) on programming errors; every exported function
// returns wrapped errors that name the file, tensor or value at fault.
package lm
