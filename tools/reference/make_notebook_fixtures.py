"""Golden fixtures for pkg/support/jupyter from the Jupyter reference implementations.

- testdata/nbformat_golden.ipynb: a notebook with every output type, written by nbformat.write
  (key order, indentation, line splitting exactly as Jupyter writes); pkg/support/jupyter must parse it
  and write it back byte for byte.
- testdata/wire_golden.json: an execute_request and a stream message serialized by
  jupyter_client.session.Session (HMAC-SHA256), as frames; pkg/support/jupyter must produce the same
  signatures and decode the frames.

Run: python tools/reference/make_notebook_fixtures.py pkg/support/jupyter/testdata
(nbformat 5.10.4, jupyter-client 8.10.0; see requirements.txt)
"""
import json
import sys

import nbformat
from nbformat import v4
from jupyter_client.session import Session

out = sys.argv[1] if len(sys.argv) > 1 else "pkg/support/jupyter/testdata"

# A 1x1 transparent PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

nb = v4.new_notebook(metadata={
    "kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
    "language_info": {"name": "go", "file_extension": ".go", "mimetype": "text/x-go"},
})
nb.cells = [
    v4.new_markdown_cell("# Title\n\nSome *text* with `code`.\n\n- one\n- two", id="md-1"),
    v4.new_code_cell('import "fmt"\n\n%%\nfmt.Println("a <b> & c")', id="code-1", execution_count=1, outputs=[
        v4.new_output("stream", name="stdout", text="a <b> & c\nsecond line\n"),
        v4.new_output("stream", name="stderr", text="warning: ünïcode\n"),
    ]),
    v4.new_code_cell("%%\nshow()", id="code-2", execution_count=2, outputs=[
        v4.new_output("display_data", data={
            "text/html": "<iframe srcdoc=\"&lt;p&gt;chart&lt;/p&gt;\"></iframe>\n<p>two lines</p>",
            "image/png": PNG,
            "text/plain": "<Figure>",
            "application/json": {"a": [1, 2], "b": "x"},
        }, metadata={"image/png": {"width": 1, "height": 1}}),
        v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=2),
    ]),
    v4.new_code_cell("%%\nfail()", id="code-3", execution_count=3, outputs=[
        v4.new_output("error", ename="ERROR", evalue="exit status 1",
                      traceback=["Cell[3]: Line 2\n\tfail()\n^\n\nundefined: fail", ""]),
    ]),
    v4.new_code_cell("", id="code-4"),
    v4.new_raw_cell("raw text", id="raw-1"),
]
nbformat.validate(nb)
nbformat.write(nb, f"{out}/nbformat_golden.ipynb")

# Wire format: fixed header fields so the signature is reproducible.
key = b"0123456789abcdef0123456789abcdef"
session = Session(key=key, signature_scheme="hmac-sha256", session="s-1", username="emotion-probes")
msgs = []
for header, parent, content, idents in [
    ({"msg_id": "m-1", "session": "s-1", "username": "emotion-probes", "date": "2026-01-02T03:04:05Z",
      "msg_type": "execute_request", "version": "5.3"}, {},
     {"code": "fmt.Println(\"hi\")", "silent": False, "store_history": True}, []),
    ({"msg_id": "m-2", "session": "k-1", "username": "kernel", "date": "2026-01-02T03:04:06Z",
      "msg_type": "stream", "version": "5.3"},
     {"msg_id": "m-1", "session": "s-1", "username": "emotion-probes", "date": "2026-01-02T03:04:05Z",
      "msg_type": "execute_request", "version": "5.3"},
     {"name": "stdout", "text": "hi\n"}, [b"kernel.k-1.stream"]),
]:
    msg = {"header": header, "parent_header": parent, "metadata": {}, "content": content,
           "msg_id": header["msg_id"], "msg_type": header["msg_type"]}
    frames = session.serialize(msg, ident=idents)
    msgs.append({"frames": [f.decode("utf-8") for f in frames]})
with open(f"{out}/wire_golden.json", "w") as f:
    json.dump({"key": key.decode(), "messages": msgs}, f, indent=1)
    f.write("\n")
print("wrote", out)
