"""PPI metrics on hand-worked examples (micro-F1 / macro-F1 over (pair, type) decisions at 0.5)."""
import math

import numpy as np
import pytest

from protbench.metrics import METRICS
from protbench.metrics.ppi import macro_f1, micro_f1

# 3 pairs x 3 types; predictions thresholded at > 0.5
Y = np.array([[1, 0, 1],
              [0, 1, 0],
              [1, 1, 0]])
S = np.array([[0.9, 0.2, 0.4],    # TP, TN, FN
              [0.6, 0.7, 0.1],    # FP, TP, TN
              [0.8, 0.5, 0.0]])   # TP, FN (0.5 is not > 0.5), TN


def test_micro_f1_by_hand():
    # TP = 3, FP = 1, FN = 2  ->  2*3 / (6 + 1 + 2) = 6/9
    assert micro_f1(Y, S) == pytest.approx(6 / 9)


def test_macro_f1_by_hand():
    # type 0: TP 2, FP 1, FN 0 -> 4/5; type 1: TP 1, FN 1 -> 2/3; type 2: FN 1 -> 0
    assert macro_f1(Y, S) == pytest.approx((4 / 5 + 2 / 3 + 0) / 3)


def test_macro_f1_skips_types_absent_in_truth_and_prediction():
    y = np.array([[1, 0], [0, 0]])
    s = np.array([[0.9, 0.1], [0.2, 0.3]])
    assert macro_f1(y, s) == pytest.approx(1.0)      # type 1 never occurs: left out, not counted as 0
    assert math.isnan(macro_f1(np.zeros((2, 2)), np.zeros((2, 2))))


def test_threshold_is_strict_and_perfect_prediction_is_one():
    assert micro_f1(Y, Y.astype(float)) == 1.0
    assert micro_f1(Y, np.full(Y.shape, 0.5)) == 0.0   # nothing above 0.5: no TP
    assert micro_f1(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0


def test_matches_sklearn_and_is_registered():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    y = (rng.random((50, 7)) < 0.3).astype(int)
    s = rng.random((50, 7))
    assert micro_f1(y, s) == pytest.approx(f1_score(y, s > 0.5, average="micro"))
    assert macro_f1(y, s) == pytest.approx(f1_score(y, s > 0.5, average="macro"))  # every type occurs
    assert METRICS["micro_f1"] is micro_f1 and METRICS["macro_f1"] is macro_f1


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same shape"):
        micro_f1(np.zeros((2, 7)), np.zeros((2, 6)))
