// Package lm runs open decoder-only language models with GoMLX: it is the engine every
// number of the project comes from.
//
// # Where it sits
//
//	config -> hub.Resolve (a file or folder on disk) -> lm.Load -> Model
//	Model.HiddenStates   reads texts back, one pass (step 3 of the method: activations)
//	Read                 reads many texts: sorted by length, packed into passes within a token
//	                     budget (read.go); the activations, `score` and the probes go through it
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
// The engine is organised by architecture family, one file each, as transformers has one
// modeling file per architecture. A family (the interface in family.go) owns the reading of its
// config.json and GGUF metadata (its class defaults, the fields only it has, the settings it
// refuses), its weights (checkpoint names and the shapes the config implies) and its forward
// pass, which it composes from the shared operations; nothing outside the family files knows
// which family it runs, and no shared operation asks.
//
//	family.go  the family and model interfaces; the registry, model_type -> family; the weight
//	           list a model gives Load and the graphs; the ends every model shares (embedding,
//	           final norm, unembedding)
//	ops.go     the shared operations: linear, RMS norm, rotary embeddings, causal and sliding
//	           masks, grouped-query attention (scale and soft-cap as arguments), gated MLP,
//	           embedding lookup
//	llama.go   Llama 2 and 3, SmolLM2, Mistral (every layer in a sliding window): the plain block
//	qwen.go    Qwen2 (q, k, v biases) and Qwen3 (QK-norm): the Llama block with that change
//	gemma.go   Gemma 2 and 3: (1 + w) norms, scaled embeddings, four norms per block, GeGLU,
//	           query_pre_attn_scalar, soft-capped attention scores and logits, sliding-window
//	           layers with their own rope base, Gemma 3's QK-norm
//	gemma4.go  Gemma 4: per-layer head sizes, keys as values, partial ("proportional") rope, KV
//	           sharing, per-layer embeddings, value norm, layer scalars
//	config.go  Config, and the part of config.json every family reads alike
//	graphs.go  the forward, prefill and decode graphs, the same for every family
//	read.go    the packing of many texts into forward passes (Read, Packing.Plan, ReadLength)
//	load.go    the weights and GGUF metadata; glue.go: safetensors, tokenizer, chat template
//
// A multimodal Gemma 3/4 checkpoint (model_type gemma3 or gemma4) loads its language model
// (text_config; the vision and audio towers are ignored). Every hyper-parameter comes from the
// model file (Config); none is hard-coded, and a setting the engine does not implement is refused
// at Load with the config field named (Gemma 4's mixture of experts, bidirectional attention,
// biases). GGUF files are read for the Llama, Qwen and Gemma 2/3 families, not yet for Gemma 4.
//
// To add a family, write one file and add one line to the registry in family.go. The file
// implements family: readConfig decodes the family's own config.json fields (hfConfig.decode),
// reads the shared ones (hfConfig.common), applies its class defaults and refuses what it does
// not implement; readGGUF completes or refuses a GGUF file's config; newModel returns a model
// whose weights method lists the checkpoint tensors with their shapes, and whose block (and,
// if the family changes them, embed and unembed: see gemmaEnds) composes the operations of
// ops.go. Nothing else changes: Load reads the tensors the model lists and the graphs run any
// model. (For GGUF files, load.go's ggufNames maps the checkpoint keys to llama.cpp's tensor
// names; a family whose tensors llama.cpp names otherwise lists those in a ggufNames method, as
// gemma.go does.)
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
