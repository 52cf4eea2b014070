"""check_executed.py checks notebooks that `jupyter nbconvert --to notebook --execute` wrote.

    .venv/bin/python tests/browser/check_executed.py DIR/NN-name.ipynb ...

For each notebook: it is valid nbformat 4; every code cell ran (has an execution count); no output is an
error; and it shows what the notebook is for: at least the rich outputs listed in EXPECTED below (PNG
images, chart iframes, HTML tables, Markdown), every PNG a real PNG. A notebook not in EXPECTED needs at
least one rich output. It exits 1 naming each notebook and what it lacks, 2 on bad usage.

kernel-setup/lab-check.sh runs it after nbconvert; it needs the nbformat of .venv (setup.sh --lab).
"""

import base64
import re
import sys
from pathlib import Path

import nbformat

# EXPECTED: the least each notebook shows on config/tiny.yaml, by the notebook's NN prefix. The counts
# are of outputs: "png" <img src="data:image/png"> (a figure's static image), "iframe" <iframe srcdoc>
# (an interactive go-echarts chart), "html" any text/html output (tables, progress bars, figures),
# "markdown" text/markdown outputs. Raise them when a notebook gains a figure; lower them only when one
# is removed on purpose. "static" counts the static examples the interactive cells show when no browser
# answers them (class="ep-static-note"): nbconvert must get them, not a cell waiting for widgets.
EXPECTED = {
    "00": {"html": 2},  # the model card and the tokenizer view
    "01": {"html": 3},  # progress, a sample table, counts
    "02": {"html": 2},
    "03": {"html": 3, "png": 1, "iframe": 1},  # the cosine heatmap of the story activations
    "04": {"html": 2, "png": 2},  # the vectors' figures
    "05": {"html": 3, "png": 2, "iframe": 2, "markdown": 1},  # cosine heatmap, PCA scatter, summary
    "06": {"html": 1},  # the logit-lens table
    "07": {"html": 4, "png": 1, "static": 2},  # held-out accuracy, the validation figures; the interactive cells, static
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMG_PNG = re.compile(r'<img\b[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=]{0,64})')
IFRAME = re.compile(r"<iframe\b")


def check(path: Path) -> list[str]:
    """check returns what is wrong with one executed notebook (nothing when it is fine)."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat raises several kinds: unreadable, not JSON, invalid
        return [f"not a valid notebook: {e}"]
    problems = []
    counts = {"html": 0, "png": 0, "iframe": 0, "markdown": 0, "static": 0}
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        if cell.execution_count is None:
            problems.append(f"cell #{index} did not run (no execution count)")
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell #{index}: error output {out.ename}: {out.evalue}".rstrip())
                continue
            data = out.get("data", {})
            if "image/png" in data:  # a PNG as its own output (nb.Figure may use either form)
                counts["png"] += 1
                if not base64.b64decode(data["image/png"][:64]).startswith(PNG_SIGNATURE):
                    problems.append(f"cell #{index}: an image/png output is not a PNG")
            if "text/markdown" in data:
                counts["markdown"] += 1
            html = data.get("text/html")
            if html is None:
                continue
            html = "".join(html) if isinstance(html, list) else html
            counts["html"] += 1
            counts["iframe"] += len(IFRAME.findall(html))
            counts["static"] += html.count('class="ep-static-note"')
            for head in IMG_PNG.findall(html):
                counts["png"] += 1
                if not base64.b64decode(head[: len(head) // 4 * 4]).startswith(PNG_SIGNATURE):
                    problems.append(f"cell #{index}: an <img> data URI is not a PNG")
    want = EXPECTED.get(path.name[:2])
    if want is None:
        if counts["html"] + counts["png"] + counts["markdown"] == 0:
            problems.append("no rich output (HTML, PNG or Markdown) at all")
    else:
        for kind, least in want.items():
            if counts[kind] < least:
                problems.append(f"{counts[kind]} {kind} output(s), want at least {least}")
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    print(f"{path.name}: {summary}{'' if problems else ': ok'}", flush=True)
    return problems


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    failed = 0
    for name in argv:
        path = Path(name)
        if not path.is_file():
            print(f"FAIL {name}: no such file (did nbconvert write it?)", file=sys.stderr)
            failed += 1
            continue
        problems = check(path)
        for p in problems:
            print(f"FAIL {path.name}: {p}", file=sys.stderr)
        failed += bool(problems)
    if failed:
        print(f"check_executed: {failed} of {len(argv)} notebook(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
