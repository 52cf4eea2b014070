// Package lm runs open decoder-only language models with GoMLX: it is the engine every
// number of the project comes from.
//
// # Where it sits
//
//	config -> models.Resolve (a file or folder on disk) -> lm.Load -> Model
//	Model.HiddenStates   reads texts back (step 2 of the method: activations)
//	Model.Generate       writes stories and dialogues (step 1)
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
// Mistral, Qwen2's attention biases). Every hyper-parameter comes from the model file
// (Config); none is hard-coded.
//
// # Errors
//
// Graph-building code panics (GoMLX's way) on programming errors; every exported function
// returns wrapped errors that name the file, tensor or value at fault.
package lm
