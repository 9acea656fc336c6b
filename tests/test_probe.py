"""Probe protocol: closed-form ridge vs scikit-learn, selection on validation only, all task types."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge

from protbench.protocols.algorithms.probe import fit_probe, ridge_candidates
from protbench.protocols.probe import ProbeConfig
from protbench.metrics import METRICS


def test_ridge_closed_form_matches_sklearn():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype(np.float32)
    x -= x.mean(0)
    y = (x @ rng.normal(size=8) + rng.normal(scale=0.1, size=200)).astype(np.float32)
    y -= y.mean()
    (alpha, lin), = ridge_candidates(torch.from_numpy(x), torch.from_numpy(y).unsqueeze(-1), (0.05,))
    ref = Ridge(alpha=0.05 * 200, fit_intercept=False).fit(x.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(lin.weight.detach().numpy().ravel(), ref.coef_, rtol=1e-4, atol=1e-5)


def test_regression_probe_learns_and_selects_on_validation():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 10))
    y = x[:, 0] * 2 + np.sin(3 * x[:, 1]) + rng.normal(scale=0.1, size=600)
    calls = []

    def select(yv, pv):
        calls.append(len(yv))
        return METRICS["spearman"](yv, pv)

    fit = fit_probe("regression", x[:400], y[:400], x[400:500], y[400:500], select, config=ProbeConfig.quick())
    assert set(calls) == {100}                        # only the validation split is ever scored
    best = max(c["valid_score"] for c in fit.candidates)
    assert fit.valid_score == pytest.approx(best)
    assert {c["head"] for c in fit.candidates} == {"linear", "mlp"}
    assert METRICS["spearman"](y[500:], fit.predict(x[500:])) > 0.9


def test_lower_is_better_selection():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 5))
    y = x @ np.ones(5)
    fit = fit_probe("regression", x[:200], y[:200], x[200:], y[200:], METRICS["mae"], higher_is_better=False,
                    config=ProbeConfig(heads=("linear",)))
    assert fit.valid_score == pytest.approx(min(c["valid_score"] for c in fit.candidates))


def test_classification_and_multilabel_shapes():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 6))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 1).astype(int)
    fit = fit_probe("classification", x[:200], y[:200], x[200:], y[200:], METRICS["accuracy"], n_outputs=3,
                    config=ProbeConfig.quick())
    p = fit.predict(x[200:])
    assert p.shape == (100, 3) and np.allclose(p.sum(1), 1) and METRICS["accuracy"](y[200:], p) > 0.8
    ym = np.stack([x[:, 0] > 0, x[:, 2] > 0.5, x[:, 3] < -1], 1).astype(np.float32)
    fit = fit_probe("multilabel", x[:200], ym[:200], x[200:], ym[200:], METRICS["fmax"], config=ProbeConfig.quick())
    pm = fit.predict(x[200:])
    assert pm.shape == (100, 3) and ((pm >= 0) & (pm <= 1)).all() and METRICS["fmax"](ym[200:], pm) > 0.7


def test_overrides_and_errors():
    from protbench.protocols.params import ParamError, parse_items, resolve

    over = parse_items(["probe.heads=linear", "probe.max_epochs=3", "probe.ridge_alphas=1,2"])
    cfg = resolve("probe", over["probe"])
    assert cfg.heads == ("linear",) and cfg.max_epochs == 3 and cfg.ridge_alphas == (1.0, 2.0)
    with pytest.raises(ParamError, match="(?s)probe has no field 'hedas'.*heads: tuple\\[str, ...\\] = \\('linear', 'mlp'\\)"):
        resolve("probe", parse_items(["probe.hedas=mlp"])["probe"])
    with pytest.raises(ParamError, match="expected int"):
        resolve("probe", {"max_epochs": "many"})
    with pytest.raises(ParamError, match="name the protocol"):
        parse_items(["heads=mlp"])
    with pytest.raises(ParamError, match="unknown protocol 'prob'"):
        parse_items(["prob.heads=mlp"])
    with pytest.raises(ValueError, match="unknown task type"):
        fit_probe("ranking", np.zeros((2, 2)), np.zeros(2), np.zeros((2, 2)), np.zeros(2), METRICS["mae"])
    with pytest.raises(ValueError, match="non-empty"):
        fit_probe("regression", np.zeros((0, 2)), np.zeros(0), np.zeros((2, 2)), np.zeros(2), METRICS["mae"])


def test_peer_preset_is_peers_recipe():
    """PEER (config/single_task/DDE/*.yaml, torchdrug PropertyPrediction): Linear(d,512)+ReLU encoder layer, 2-layer
    MLP head of width 512, raw inputs/targets, Adam 1e-4, batch 64, 100 epochs, validation every 10 epochs."""
    from torch import nn

    from protbench.protocols.algorithms.probe import make_head
    from protbench.protocols.params import resolve

    cfg = resolve("probe", preset_name="peer")
    assert (cfg.heads, cfg.hidden, cfg.learning_rates, cfg.batch_size, cfg.max_epochs, cfg.eval_every) == \
        (("peer-mlp",), 512, (1e-4,), 64, 100, 10)
    assert not cfg.standardize_inputs and not cfg.standardize_targets and cfg.shuffle_seed == 0
    head = make_head("peer-mlp", 400, 1, cfg.hidden, cfg.dropout)
    linears = [m for m in head if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(400, 512), (512, 512), (512, 1)]
    assert sum(isinstance(m, nn.ReLU) for m in head) == 2
    # an explicit --param wins over the preset
    assert resolve("probe", {"max_epochs": "20"}, preset_name="peer").max_epochs == 20


def test_validation_every_n_epochs_and_raw_targets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = 50 + 10 * x[:, 0]                                    # far from zero mean: raw targets must still fit
    cfg = ProbeConfig(heads=("peer-mlp",), hidden=16, max_epochs=20, eval_every=10, patience=100,
                      standardize_inputs=False, standardize_targets=False, learning_rates=(1e-2,), batch_size=32)
    fit = fit_probe("regression", x[:200], y[:200], x[200:], y[200:], METRICS["spearman"], config=cfg)
    assert fit.chosen["best_epoch"] in (10, 20) and fit.y_mean == 0.0 and fit.y_std == 1.0
    assert METRICS["spearman"](y[200:], fit.predict(x[200:])) > 0.8
