"""The data-hygiene audit on hand-made task data: a clean task passes, planted leaks fail.

Pitfalls planted (each shipped by a reference code base): test examples copied from the pool; a group (a
shared passage) on both sides of the pool/test boundary; a label readable from the length
of the candidate, the kind of surface-form leak EleutherAI's openbookqa had (letter for right
answers, text for wrong ones).
"""

import random

import pytest

from w2sbench.core.example import Example
from w2sbench.core.prompt import Prompt
from w2sbench.tasks.audit import (
    Check,
    audit_passed,
    audit_table,
    audit_task,
    surface_features,
)
from w2sbench.tasks.loading import TaskData
from w2sbench.tasks.task import Task, get_task

WORDS = (
    "river stone bright quiet lamp orange window music garden paper silver ladder cloud "
    "harbor candle forest mirror basket thunder violet"
).split()


def _task(balance=True) -> Task:
    return Task.model_validate(
        {
            "id": "audit_toy",
            "version": 1,
            "description": "hand-made audit data",
            "source": {"kind": "hub", "dataset": "test/none", "revision": None, "unpinned_reason": "test data"},
            "splits": {"pool": "train", "test": "test"},
            "conversion": {"name": "standard"},
            "sizes": {"pool": 1000, "test": 1000},
            "balance": balance,
            "suites": ["toy"],
            "licence": "CC0-1.0",
            "citation": "none",
            "homepage": "none",
        }
    )


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _examples(role: str, n: int, seed: int, leak_length=False) -> list[Example]:
    """Balanced pair examples whose form is independent of the label (unless leak_length)."""
    rng = random.Random(seed)
    labels = [i % 2 for i in range(n)]
    rng.shuffle(labels)  # balanced, but neither the position nor the id's row number tells the label
    out = []
    for i, label in enumerate(labels):
        words = rng.randint(3, 12)
        if leak_length:
            words = rng.randint(10, 14) if label else rng.randint(2, 5)
        out.append(
            Example(
                id=f"{role}/{i}",
                text=_sentence(rng, 8),
                text_pair=_sentence(rng, words),
                label=label,
                group=f"{role}-g{i // 2}",
            )
        )
    return out


def _data(pool, test, balance=True) -> TaskData:
    task = _task(balance)
    return task, TaskData(task=task, pool=pool, test=test, data_revision="test")


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_clean_task_passes_every_check():
    task, data = _data(_examples("pool", 600, 0), _examples("test", 400, 1))
    checks = audit_task(task, data)
    assert [c.name for c in checks] == [
        "balance/pool",
        "balance/test",
        "majority_baseline",
        "duplicates/pool",
        "duplicates/test",
        "duplicates/across_roles",
        "group_leakage",
        "surface_leak",
        "id_leak",
        "position_leak",
    ]
    assert audit_passed(checks), audit_table({"clean": checks})


def test_planted_leaks_fail_their_checks():
    pool = _examples("pool", 600, 0, leak_length=True)
    test = _examples("test", 320, 1, leak_length=True)
    # 80 test examples copied from the pool (same input, same group: a duplicate and a group leak)
    test += [
        Example(id=f"test/copy{i}", text=e.text, text_pair=e.text_pair, label=e.label, group=e.group)
        for i, e in enumerate(pool[:80])
    ]
    task, data = _data(pool, test)
    checks = _by_name(audit_task(task, data))
    assert not checks["duplicates/across_roles"].passed
    assert checks["duplicates/across_roles"].value == pytest.approx(80 / 400)
    assert not checks["group_leakage"].passed and checks["group_leakage"].value == pytest.approx(80 / 400)
    assert not checks["surface_leak"].passed and checks["surface_leak"].value > 0.9
    assert checks["balance/pool"].passed and checks["balance/test"].passed


def test_length_leak_alone_is_caught_by_the_surface_probe():
    task, data = _data(_examples("pool", 600, 0, leak_length=True), _examples("test", 400, 1, leak_length=True))
    checks = _by_name(audit_task(task, data))
    assert not checks["surface_leak"].passed
    assert checks["surface_leak"].value > checks["surface_leak"].threshold
    assert all(c.passed for name, c in checks.items() if name != "surface_leak")


def test_letter_versus_text_leak_is_caught():
    """The openbookqa formatter: right answers shown as a letter, wrong ones as distractor text."""

    def leaky(role, n, seed):
        rng = random.Random(seed)
        return [
            Example(
                id=f"{role}/{i}",
                text=_sentence(rng, 8),
                label=i % 2,
                text_pair=rng.choice("ABCD") if i % 2 else _sentence(rng, rng.randint(2, 6)).lower(),
            )
            for i in range(n)
        ]

    task, data = _data(leaky("pool", 400, 0), leaky("test", 200, 1))
    assert not _by_name(audit_task(task, data))["surface_leak"].passed


def test_an_id_naming_the_answer_is_caught():
    """SciQ's pair ids ended in the right choice's index, always 0 there: '<row>/0' was label 1."""

    def named(examples):
        return [
            Example(
                id=f"{e.id}/{0 if e.label else e.id[-1]}",
                text=e.text,
                text_pair=e.text_pair,
                label=e.label,
                group=e.group,
            )
            for e in examples
        ]

    task, data = _data(named(_examples("pool", 600, 0)), named(_examples("test", 400, 1)))
    checks = _by_name(audit_task(task, data))
    assert not checks["id_leak"].passed and checks["id_leak"].value > 0.8
    assert checks["surface_leak"].passed and checks["position_leak"].passed


def test_labels_that_follow_the_order_are_caught():
    """Undersampling that kept the earliest examples of the larger class: position told the class."""

    def sorted_by_label(examples):
        return sorted(examples, key=lambda e: (e.label, random.Random(e.id).random()))

    task, data = _data(sorted_by_label(_examples("pool", 600, 0)), sorted_by_label(_examples("test", 400, 1)))
    checks = _by_name(audit_task(task, data))
    assert not checks["position_leak"].passed and checks["position_leak"].value > 0.9
    assert checks["id_leak"].passed


def test_imbalance_and_majority_baseline():
    pool = [Example(id=f"p{i}", text=f"pool text {i}", label=int(i % 4 == 0)) for i in range(400)]
    test = [Example(id=f"t{i}", text=f"test text {i}", label=int(i % 4 == 0)) for i in range(200)]
    task, data = _data(pool, test)
    checks = _by_name(audit_task(task, data))
    assert not checks["balance/pool"].passed and checks["balance/pool"].value == pytest.approx(0.25)
    assert not checks["majority_baseline"].passed and checks["majority_baseline"].value == pytest.approx(0.75)
    task, data = _data(pool, test, balance=False)
    assert _by_name(audit_task(task, data))["balance/pool"].passed  # informational when the task does not balance


def test_duplicates_within_a_role_and_conflicting_labels():
    pool = _examples("pool", 200, 0)
    pool += [
        Example(id=f"pool/dup{i}", text=e.text.upper(), text_pair=e.text_pair, label=1 - e.label, group=e.group)
        for i, e in enumerate(pool[:20])
    ]
    task, data = _data(pool, _examples("test", 100, 1))
    check = _by_name(audit_task(task, data))["duplicates/pool"]
    assert not check.passed and check.value == pytest.approx(40 / 220)
    assert "(20 inputs with conflicting labels)" in check.message


def test_surface_features_cover_both_sides_and_chess_marks():
    e = Example(id="x", text="Find the best move.", text_pair="Nxe5+", label=1)
    f = surface_features(e)
    assert len(f) == 17 and f[8 + 6] == 1.0 and f[8 + 7] == 1.0  # "x" and "+" in the candidate
    assert surface_features(Example(id="y", text="one text", label=0))[8:16] == [0.0] * 8


def test_audit_table_lists_every_check():
    task, data = _data(_examples("pool", 100, 0), _examples("test", 60, 1))
    table = audit_table({"toy": audit_task(task, data)})
    lines = table.splitlines()
    assert lines[0].split("|")[1].strip() == "task" and len(lines) == 2 + 10
    assert "surface_leak" in table and ("PASS" in table or "FAIL" in table)
    assert audit_table([("a", [Check("c", False, None, None, "m")])]).count("FAIL") == 1


def _prompts(role: str, n: int, answer_at) -> list[Prompt]:
    rng = random.Random(role)
    return [
        Prompt(
            id=f"{role}/{i}",
            prompt=_sentence(rng, 8),
            choices=tuple(f"{w}{i}" for w in WORDS[:10]),
            answer=answer_at(i),
            group=f"{role}-{i}",
        )
        for i in range(n)
    ]


def test_generative_task_checks_its_answer_baseline_not_balance():
    task = get_task("chess_first_move")
    fair = _by_name(
        audit_task(
            task,
            TaskData(
                task=task,
                pool=_prompts("pool", 200, lambda i: i % 10),
                test=_prompts("test", 60, lambda i: (3 * i) % 10),
                data_revision="t",
            ),
        )
    )
    assert set(fair) == {
        "duplicates/pool",
        "duplicates/test",
        "duplicates/across_roles",
        "group_leakage",
        "answer_baseline",
    }
    assert audit_passed(fair.values()) and fair["answer_baseline"].threshold == pytest.approx(0.2)
    # the answer always listed first (an ordering bug): the pool's most common position finds it
    first = audit_task(
        task,
        TaskData(
            task=task,
            pool=_prompts("pool", 200, lambda i: 0),
            test=_prompts("test", 60, lambda i: 0),
            data_revision="t",
        ),
    )
    assert not _by_name(first)["answer_baseline"].passed and _by_name(first)["answer_baseline"].value == 1.0


def test_ceiling_above_floor_per_pair_from_records():
    from pathlib import Path

    from w2sbench.core.result import ResultStore
    from w2sbench.tasks.audit import ceiling_checks

    base = ResultStore(Path(__file__).resolve().parents[2] / "submissions" / "naive" / "results").all()[0]

    def record(weak, strong, seed, acc_weak, acc_ceiling, method="naive"):
        return base.model_copy(
            update={
                "seed": seed,
                "weak": base.weak.model_copy(update={"name": weak}),
                "strong": base.strong.model_copy(update={"name": strong}),
                "method": base.method.model_copy(update={"name": method}),
                "scores": base.scores.model_copy(update={"acc_weak": acc_weak, "acc_ceiling": acc_ceiling}),
            }
        )

    checks = _by_name(
        ceiling_checks(
            [
                record("a", "c", 0, 0.70, 0.80),
                record("a", "c", 1, 0.72, 0.78),
                record("a", "c", 1, 0.72, 0.78, method="aux-conf"),  # same seed, same supervisor: counted once
                record("b", "c", 0, 0.75, 0.76),
            ]
        )
    )
    assert set(checks) == {"ceiling_above_floor/a->c", "ceiling_above_floor/b->c"}
    assert checks["ceiling_above_floor/a->c"].passed and checks["ceiling_above_floor/a->c"].value == pytest.approx(0.08)
    assert "mean of 2 seeds" in checks["ceiling_above_floor/a->c"].message
    assert not checks["ceiling_above_floor/b->c"].passed  # a 1-point gap measures nothing
