"""The jobs of a sweep: which rungs, features and baselines the pending experiments need."""

from types import SimpleNamespace

from w2sbench.running.grid import build_grid
from w2sbench.running.jobs import baseline_jobs, feature_jobs, needed_rungs, tasks_of


def experiments(pairs, seeds=(0, 1), methods=("naive", "bootstrap")):
    return build_grid(
        "offline", ["wordnet_gloss", "wordnet_wic"], "embedded", pairs, list(methods), list(seeds)
    ).experiments()


def ws(pulled=False, caches=True):
    return SimpleNamespace(weak_label_source="hub" if pulled else None, regime=SimpleNamespace(caches_features=caches))


def test_the_rungs_needed_are_the_pairs_own_in_ladder_order():
    exps = experiments(["minilm-l6:mpnet-base", "minilm-l3:minilm-l6"])
    assert [r.name for r in needed_rungs(ws(), exps)] == ["minilm-l3", "minilm-l6", "mpnet-base"]
    assert [r.name for r in needed_rungs(ws(), experiments(["minilm-l3:mpnet-base"]))] == ["minilm-l3", "mpnet-base"]
    assert needed_rungs(ws(), []) == []


def test_with_pulled_weak_labels_the_weak_rung_is_not_needed_but_those_between_are():
    """Pulled labels replace the weak model; bootstrapping still trains the intermediate rungs."""
    exps = experiments(["minilm-l3:mpnet-base"])
    assert [r.name for r in needed_rungs(ws(pulled=True), exps)] == ["minilm-l6", "mpnet-base"]


def test_feature_jobs_are_every_needed_rung_times_every_task_and_none_when_fine_tuning():
    exps = experiments(["minilm-l3:mpnet-base"])
    assert [t.id for t in tasks_of(exps)] == ["wordnet_gloss", "wordnet_wic"]
    assert [(r.name, t.id) for r, t in feature_jobs(ws(), exps)] == [
        ("minilm-l3", "wordnet_gloss"),
        ("minilm-l3", "wordnet_wic"),
        ("mpnet-base", "wordnet_gloss"),
        ("mpnet-base", "wordnet_wic"),
    ]
    assert feature_jobs(ws(caches=False), exps) == []


def test_baseline_jobs_are_shared_by_methods_and_pairs_and_skip_pulled_weak_labels():
    exps = experiments(["minilm-l3:mpnet-base", "minilm-l6:mpnet-base"], seeds=(0,))
    jobs = [(kind, t.id, r.name, seed) for kind, t, r, seed in baseline_jobs(ws(), exps)]
    assert len(jobs) == len(set(jobs))  # two methods, one job per (kind, task, rung, seed)
    assert sorted(jobs) == sorted(
        [("weak", t, w, 0) for t in ("wordnet_gloss", "wordnet_wic") for w in ("minilm-l3", "minilm-l6")]
        + [("ceiling", t, "mpnet-base", 0) for t in ("wordnet_gloss", "wordnet_wic")]
    )
    pulled = {kind for kind, *_ in baseline_jobs(ws(pulled=True), exps)}
    assert pulled == {"ceiling"}
