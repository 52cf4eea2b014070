#!/usr/bin/env python3
"""The corpus's stories with every sentence that names a part or a sign of the body taken out: an experiment.

Usage (from the repository root):

    python3 tools/reference/strip_body_sentences.py OUT_DIR      # writes OUT_DIR/<emotion>.jsonl

PC1 of the emotion vectors follows how much an emotion's stories dwell on the body (the validation report,
"What PC1 follows"). Reading the same stories without those sentences asks whether the axis goes with them,
and whether valence then comes first. Point a copy of config/small.yaml's stories.corpus at OUT_DIR and run
`emotion-probes run-all` and `emotion-probes validate` on it (README, "Results", says what it gave).

Sentences end at . ! or ? (with a closing quotation mark, if any) followed by a space or the end. The word
list is the one validate.BodyWords holds, written out here (pc1_style.py uses it too). Stories left too
short to read are reported by the corpus loader and left out, as any corpus row would be. Needs nothing
beyond the Python standard library.
"""
import glob
import json
import os
import re
import sys

BODY = set("""arm arms belly blood body breath breathe breathed breathing breaths cheek cheeks chest eye eyes face
feet finger fingers fist fists foot gut hand hands heart heartbeat hearts jaw knee knees leg legs lip lips lungs
mouth muscles neck palm palms pulse ribs shaking shiver shivered shook shoulder shoulders skin spine stomach
sweat sweating tears teeth throat toes trembled trembling wrists""".split())

SENTENCE = re.compile(r'.+?(?:[.!?]["\u201d]?(?=\s|$)|$)', re.S)


def strip(text):
    sentences = [s.strip() for s in SENTENCE.findall(text) if s.strip()]
    kept = [s for s in sentences if not BODY.intersection(re.findall(r"[a-z]+", s.lower()))]
    return " ".join(kept), len(sentences) - len(kept), len(sentences)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    dropped = total = 0
    for path in sorted(glob.glob(os.path.join("config", "data", "corpus", "stories", "*.jsonl"))):
        rows = []
        for line in open(path, encoding="utf-8"):
            row = json.loads(line)
            row["text"], d, n = strip(row["text"])
            dropped, total = dropped + d, total + n
            rows.append(json.dumps(row, ensure_ascii=False))
        with open(os.path.join(out_dir, os.path.basename(path)), "w", encoding="utf-8") as f:
            f.write("\n".join(rows) + "\n")
    print(f"{dropped} of {total} sentences taken out; stories in {out_dir}")


if __name__ == "__main__":
    main()
