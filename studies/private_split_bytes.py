"""How many bytes code would need to carry the labels of a private evaluation split.

    python studies/private_split_bytes.py [--wordnet-dir /usr/share/wordnet]

For each WordNet task: the candidate test groups (the builder's whole pool on the test side of
its group hash, from which a private split would be drawn with a maintainers' seed), the rows
the builder makes from all of them, and the shipped test split's size. A carried label table
must cover every candidate the private draw could pick, with negatives paired by a seed the
attacker does not know; it needs at least one bit per candidate row (balanced labels), and
in practice a text -> label table compressed with xz. Compare with staging.FOLDER_CAP.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import random
from pathlib import Path

from w2sbench.submissions.staging import FOLDER_CAP
from w2sbench.tasks.builders.wordnet import SIZES, TASKS, in_test
from w2sbench.tasks.builders.wordnet_lexicon import load_wordnet


def measure(task_id: str, wn) -> dict:
    candidates, make = TASKS[task_id]
    groups = sorted(g for g in candidates(wn) if in_test(g))
    rows = make(wn, groups, random.Random(f"{task_id}/private"))
    table = {hashlib.sha256(f"{r['text']}\0{r['text_pair']}".encode()).hexdigest()[:8]: r["label"] for r in rows}
    packed = lzma.compress(json.dumps(sorted(table.items())).encode(), preset=9)
    return {
        "task": task_id,
        "candidate_groups": len(groups),
        "candidate_rows": len(rows),
        "shipped_test_rows": SIZES["test"],
        "lower_bound_bytes": len(rows) // 8,
        "xz_table_bytes": len(packed),
        "folder_cap_bytes": FOLDER_CAP,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wordnet-dir", type=Path, default=Path("/usr/share/wordnet"))
    args = parser.parse_args()
    wn = load_wordnet(args.wordnet_dir)
    for task_id in TASKS:
        print(json.dumps(measure(task_id, wn)), flush=True)


if __name__ == "__main__":
    main()
