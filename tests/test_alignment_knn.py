"""Alignment kNN: identities from real Smith-Waterman alignments, label transfer, the protocol end to end."""
from __future__ import annotations


import numpy as np
import pytest

from protbench.protocols.algorithms import alignment_knn as K
from protbench.spec import Family, Record, TaskData, TaskSpec
from protbench.stages import evaluate_seed
from protbench.tasks.kinds import SupervisedTask


def test_identity_matches_over_shorter_length():
    al = K.Aligner()
    ident, score = al.identities("ACDEFGHIKLMNPQRSTVWY",
                                 ["ACDEFGHIKLMNPQRSTVWY",      # identical
                                  "ACDEFGHIKLWNPQRSTVWY",      # one substitution (M->W) in the middle: 19/20
                                  "GGGACDEFGHIKLGGG",          # contains the first 10 residues: 10/16
                                  "PPPPPPPP"])                 # shares at most one P
    assert ident[0] == pytest.approx(1.0)
    assert ident[1] == pytest.approx(19 / 20)
    assert ident[2] == pytest.approx(10 / 16)
    assert ident[3] <= 1 / 8 + 1e-9
    assert score[0] > score[1] > score[3]


def test_prefilter_finds_the_mutant_first():
    refs = ["MKTAYIAKQRQISFVKSHFSRQ", "GGGGSGGGGSGGGGS", "MKTAYIAKQRQISFVKSHFSRA", "WWWWYYYY"]
    cand = K.prefilter(["MKTAYIAKQRQISFVKSHFSRQ"], refs, m=2)
    assert list(cand[0]) == [0, 2]
    assert K.prefilter(["AAA"], refs, m=10).shape == (1, 4)      # fewer refs than m: exhaustive



def test_prefilter_breaks_ties_by_train_order():
    """Single mutants of one parent tie in 2-mer distance; the survivors at the cut must be the earliest in train
    order (a brute-force sort by (distance, index)), whatever the block size — not whichever a partition leaves."""
    rng = np.random.default_rng(0)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    parents = ["".join(rng.choice(aa, 40)) for _ in range(3)]
    refs = []
    for _ in range(300):                       # many exact duplicates and one-site mutants: heavy ties
        s = list(parents[rng.integers(3)])
        if rng.random() < 0.7:
            s[rng.integers(40)] = rng.choice(aa)
        refs.append("".join(s))
    queries = [parents[0], parents[2], refs[5], "".join(rng.choice(aa, 30))]
    counts_q, counts_r = K.kmer_counts(queries).astype(np.int64), K.kmer_counts(refs).astype(np.int64)
    d = ((counts_q[:, None, :] - counts_r[None, :, :]) ** 2).sum(-1)
    for m in (1, 7, 32, 299):
        want = np.stack([np.lexsort((np.arange(len(refs)), row))[:m] for row in d])
        ties = [(np.sort(row)[m - 1] == np.sort(row)[m]) for row in d]
        assert any(ties)                       # the cut does fall inside a tie
        for block in (1, 3, 512):
            assert np.array_equal(K.prefilter(queries, refs, m, block=block), want)

def _nb():
    return K.Neighbours(index=np.array([[0, 1, 2], [2, 1, 0]]), identity=np.array([[0.9, 0.6, 0.3], [1.0, 0.0, 0.0]]),
                        score=np.zeros((2, 3)))


def test_transfer_regression_and_weighting():
    y = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(K.transfer(_nb(), y, "regression", 1, "uniform"), [1.0, 4.0])
    np.testing.assert_allclose(K.transfer(_nb(), y, "regression", 3, "uniform"), [7 / 3, 7 / 3])
    # identity weights: (0.9*1 + 0.6*2 + 0.3*4) / 1.8 = 3.3/1.8; second row only neighbour 2 counts
    np.testing.assert_allclose(K.transfer(_nb(), y, "regression", 3, "identity"), [3.3 / 1.8, 4.0])


def test_transfer_classification_and_multilabel():
    y = np.array([0, 1, 1])
    p = K.transfer(_nb(), y, "classification", 3, "identity", n_outputs=3)
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    ym = np.array([[1, 0], [1, 1], [0, 1]], dtype=np.float32)
    pm = K.transfer(_nb(), ym, "multilabel", 2, "uniform")
    np.testing.assert_allclose(pm, [[1.0, 0.5], [0.5, 1.0]])


def _mutants(rng, parent: str, n: int, k: int) -> list[str]:
    out = []
    for _ in range(n):
        s = list(parent)
        for pos in rng.choice(len(s), size=k, replace=False):
            s[pos] = "ACDEFGHIKLMNPQRSTVWY"[rng.integers(20)]
        out.append("".join(s))
    return out


def test_protocol_separates_two_families():
    rng = np.random.default_rng(0)
    parents = ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), 60)) for _ in range(2)]
    splits = {}
    for split, n in (("train", 12), ("valid", 6), ("test", 6)):
        recs = []
        for label, parent in enumerate(parents):
            recs += [Record(f"{split}{label}{i}", s, label) for i, s in enumerate(_mutants(rng, parent, n, 8))]
        splits[split] = recs
    data = TaskData(splits=splits)
    ys = {s: np.array([r.label for r in recs]) for s, recs in splits.items()}
    spec = TaskSpec(id="toy-knn", family=Family.FUNCTION, description="two families", main_metric="accuracy",
                    metrics=("accuracy",), protocol="alignment-knn", protocols=("alignment-knn",))
    task = SupervisedTask(spec, read=None, smoke=None, task_type="classification", n_outputs=2)
    acc = lambda y, p: float(np.mean(np.argmax(p, 1) == y))  # noqa: E731
    res = evaluate_seed(task, data, None, 0, params={"candidates": 8})
    preds, info = res.predictions, res.info
    assert preds["test"]["y_score"].shape == (12, 2)
    assert acc(ys["test"], preds["test"]["y_score"]) == 1.0 == res.scores["test"]["accuracy"]
    assert info["config"]["candidates"] == 8 and info["chosen"]["k"] in (1, 3, 5)
    assert info["mean_top1_identity"]["test"] > 0.6


def test_align_knn_is_a_model_free_row_with_its_protocol():
    from protbench.protocols.alignment_knn import KnnConfig
    from protbench.registry import load_registries

    entry = load_registries(entry_points=False).models.get("align-knn")
    assert entry.protocol == "alignment-knn" and not entry.capabilities
    assert not hasattr(entry.create(), "embed_proteins")      # no stand-in embedding
    with pytest.raises(ValueError, match="weighting"):
        KnnConfig(weightings=("cubic",))
