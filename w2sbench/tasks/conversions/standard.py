"""The identity conversion for files already in the standard example schema (the offline suite)."""

from w2sbench.core.example import Example
from w2sbench.tasks.conversions import converter


@converter("standard")
def standard(row, index, split, rng):
    """Rows with columns id, text, label and optional text_pair, group."""
    yield Example(
        id=str(row["id"]),
        text=row["text"],
        label=int(row["label"]),
        text_pair=row.get("text_pair"),
        group=row.get("group"),
    )
