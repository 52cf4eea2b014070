// Package jupyter runs Jupyter notebooks headless: it starts a kernel (GoNB, for this
// project's notebooks) from its kernel spec, sends each code cell over the Jupyter messaging
// protocol, and writes the executed notebook, outputs included, as Jupyter would. It is what CI
// and `make notebooks` use to check that every notebook still runs; no Python, Jupyter server
// or browser is involved.
//
// # Where it sits
//
//	notebooks/*.ipynb --Run--> kernel (bin/gonb, one per notebook) --> OutputDir/<name>.ipynb [+ .html]
//	OutputDir/NN-*.ipynb --WriteReport--> OutputDir/report.html (the whole run on one page)
//
// The kernel spec is the kernel.json that kernel-setup/setup.sh registers in
// <repo>/.jupyter/kernels/gonb. Each notebook gets a fresh kernel started in the notebook's
// directory (as JupyterLab does; GoNB exposes it to cells as $GONB_DIR).
//
// # Order
//
// Notebooks run in the order given, or with Options.Jobs above 1 side by side: a notebook starts
// once those it needs have finished. It says which in its metadata, under MetadataKey
// ({"emotion_probes": {"needs": ["01", "02"]}}, written by internal/nbgen from a "<!-- needs: -->"
// line); a notebook that does not say waits for every one before it.
//
// # The protocol, in brief
//
// (https://jupyter-client.readthedocs.io/en/latest/messaging.html, protocol 5.3.)
//
//   - Connection file: a JSON file naming five TCP ports on 127.0.0.1 and an HMAC key; the
//     kernel binds the ports, the client connects. Only shell (DEALER: requests and their
//     replies), control (DEALER: interrupt and shutdown, answered even while a cell runs) and
//     iopub (SUB: all outputs and the kernel's busy/idle status) are used here.
//   - Wire format: each message is the ZeroMQ frames
//     [identities..., "<IDS|MSG>", signature, header, parent_header, metadata, content],
//     where the signature is the hex HMAC-SHA256 of the four JSON frames that follow it.
//     Replies and outputs point to their request through parent_header.msg_id.
//   - Start: kernel_info_request is re-sent until a reply arrives on shell and a status message
//     arrives on iopub; the second proves the subscription is live, so no output is lost.
//   - A cell: execute_request on shell; iopub then carries execute_input, stream, display_data,
//     update_display_data (which replaces an earlier output with the same display_id: GoNB's
//     progress bars), execute_result, error, and finally status "idle"; shell carries the
//     execute_reply with status "ok" or "error".
//   - Timeout: interrupt_request on control (GoNB's interrupt_mode is "message"), then SIGINT.
//
// # Failures
//
// Run stops at the first failing cell and returns a *CellError naming the notebook, the cell
// and, where GoNB says, the line within the cell. The executed notebook is written in every
// case, so the failing output can be read in JupyterLab. The forms of GoNB's error reports that
// the line is parsed from are listed in failure.go.
//
// # Files
//
//   - nbformat.go: the nbformat v4 model; reads 4.x, writes 4.5 byte for byte as nbformat does.
//   - wire.go: messages, signing, frames.
//   - kernelspec.go: kernel.json and the connection file.
//   - kernel.go: the kernel process and its sockets; execute.go: one cell.
//   - run.go: Run, Options, CellError; order.go: what a notebook needs; failure.go: reading
//     GoNB's errors.
//   - html.go: RenderHTML, one notebook as a page; report.go: RenderReport and WriteReport, a
//     run's notebooks as one page. Both write cells with the same code (writeCells) and fetch
//     nothing: PNG figures become data: URIs and go-echarts charts keep their embedded JS.
package jupyter
