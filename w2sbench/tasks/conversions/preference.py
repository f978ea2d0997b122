"""Preference data as a pair: both responses shown, in random order; the label says which is preferred.

Showing one response alone and asking "is this the preferred one?" (the OpenAI and
EleutherAI framing of anthropic_hh) leaves every model at chance, since preference is a
comparison (openai/weak-to-strong issue #34, and EleutherAI's table where anthropic_hh sits at
0.49-0.50 for every model). Here ``text`` is response A and ``text_pair`` response B, each
after the human turn it answers; label 1 means A is the chosen one. The order is drawn from
the row's rng, so the position carries no information.

Anthropic/hh-rlhf rows hold two whole transcripts (``chosen``, ``rejected``) that share the
dialogue and differ in the final assistant turn. Each side is "Human: <last human turn>
\\n\\nAssistant: <final response>": the earlier turns are dropped, so the part that differs
is not truncated away by an encoder's length limit. Pairs whose two responses are equal up
to spacing carry no preference and are dropped.
"""

from __future__ import annotations

from w2sbench.core.example import Example
from w2sbench.tasks.conversions import converter
from w2sbench.tasks.conversions._fields import group_key, normalise

HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"


def split_transcript(transcript: str) -> tuple[str, str, str]:
    """(dialogue before the final assistant turn, last human turn, final assistant response)."""
    text = transcript if transcript.startswith("\n\n") else "\n\n" + transcript
    cut = text.rfind(ASSISTANT)
    if cut < 0:
        raise ValueError("transcript has no 'Assistant:' turn")
    prompt, response = text[:cut], text[cut + len(ASSISTANT) :]
    human = prompt.rfind(HUMAN)
    last_human = prompt[human + len(HUMAN) :] if human >= 0 else prompt
    return prompt.strip(), last_human.strip(), response.strip()


@converter("preference_pair")
def preference_pair(row, index, split, rng, *, chosen: str = "chosen", rejected: str = "rejected"):
    """HH-style transcripts to (response A, response B), label 1 when A was chosen."""
    prompt, human, good = split_transcript(str(row[chosen]))
    _, human_r, bad = split_transcript(str(row[rejected]))
    if not good or not bad or normalise(good) == normalise(bad):
        return
    sides = [f"Human: {human}\n\nAssistant: {good}", f"Human: {human_r}\n\nAssistant: {bad}"]
    a_is_chosen = rng.random() < 0.5
    first, second = sides if a_is_chosen else sides[::-1]
    yield Example(
        id=f"{split}/{index}",
        text=first,
        text_pair=second,
        label=int(a_is_chosen),
        group=group_key(prompt),
    )
