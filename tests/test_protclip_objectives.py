"""ProtCLIP objectives and masking against hand-computed values on tiny tensors."""
from __future__ import annotations

import math

import pytest
import torch

from protbench.protclip.masking import IGNORE, mlm_mask, official_span_positions, span_mask, span_positions
from protbench.protclip.objectives import (cross_attend, gc_loss, gumbel_assign, mlm_loss, pda_loss,
                                           pda_segments, pda_weights, token_ce)


def lse(*xs):
    return math.log(sum(math.exp(x) for x in xs))


def test_gc_loss_matches_hand_computed_symmetric_infonce():
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    t = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    # logits = 2 * p @ t.T = [[2, 1.2], [0, 1.6]]
    p2t = ((lse(2, 1.2) - 2) + (lse(0, 1.6) - 1.6)) / 2
    t2p = ((lse(2, 0) - 2) + (lse(1.2, 1.6) - 1.6)) / 2
    got = gc_loss(p, t, torch.tensor(2.0))
    assert got.item() == pytest.approx((p2t + t2p) / 2, abs=1e-6)


def test_gc_loss_gradient_reaches_logit_scale():
    p = torch.nn.functional.normalize(torch.randn(4, 3), dim=-1)
    s = torch.tensor(1.0, requires_grad=True)
    gc_loss(p, p, s.exp()).backward()
    assert s.grad is not None and s.grad.item() < 0   # matching pairs: higher scale lowers the loss


def test_token_ce_ignores_unlabelled_and_uses_denominator():
    logits = torch.tensor([[[5.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    labels = torch.tensor([[IGNORE, 1]])
    ce = lse(0, 1, 0) - 1
    assert token_ce(logits, labels).item() == pytest.approx(ce, abs=1e-6)
    assert mlm_loss(logits, labels, denominator=4).item() == pytest.approx(ce / 4, abs=1e-6)
    assert token_ce(logits, torch.full((1, 2), IGNORE)).item() == 0.0


def test_cross_attend_softmax_over_real_text_tokens_only():
    q = torch.tensor([[[1.0, 0.0]]])
    k = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
    v = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[True, True, False]])
    w0 = math.exp(1 / math.sqrt(2)) / (math.exp(1 / math.sqrt(2)) + 1)
    want = [w0 * 1 + (1 - w0) * 3, w0 * 2 + (1 - w0) * 4]
    got = cross_attend(q, k, v, mask, heads=1, softmax_over="text")[0, 0].tolist()
    assert got == pytest.approx(want, abs=1e-6)
    # two heads = each half of the features attends separately
    got2 = cross_attend(q, k, v, mask, heads=2, softmax_over="text")[0, 0].tolist()
    h0 = math.exp(1.0) / (math.exp(1.0) + 1)          # head 0: q=1, keys 1, 0 (dh = 1)
    assert got2 == pytest.approx([h0 * 1 + (1 - h0) * 3, 0.5 * 2 + 0.5 * 4], abs=1e-6)


def test_cross_attend_official_softmax_over_protein_positions():
    # two protein positions (the second is padding in the masked case), two text tokens (+ one padded)
    q = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    k = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
    v = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    kmask = torch.tensor([[True, True, False]])
    s = 1 / math.sqrt(2)
    # scores [[s, 0], [0, s]]; softmax over the 2 protein positions of each text token
    a = math.exp(s) / (math.exp(s) + 1)
    out = cross_attend(q, k, v, kmask, softmax_over="protein")[0].tolist()
    assert out[0] == pytest.approx([a * 1 + (1 - a) * 3, a * 2 + (1 - a) * 4], abs=1e-6)
    assert out[1] == pytest.approx([(1 - a) * 1 + a * 3, (1 - a) * 2 + a * 4], abs=1e-6)
    # protein padding excluded from the normalisation: position 0 gets all of every text token
    qmask = torch.tensor([[True, False]])
    out = cross_attend(q, k, v, kmask, softmax_over="protein", query_mask=qmask)[0].tolist()
    assert out[0] == pytest.approx([4.0, 6.0], abs=1e-6) and out[1] == [0.0, 0.0]


def test_gumbel_assign_without_and_with_noise():
    protos = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out, w = gumbel_assign(torch.tensor([[2.0, 0.0]]), protos, tau=1.0)
    a = math.exp(2) / (math.exp(2) + 1)
    assert w[0].tolist() == pytest.approx([a, 1 - a], abs=1e-6)
    assert out[0].tolist() == pytest.approx([a, 1 - a], abs=1e-6)
    out, w = gumbel_assign(torch.tensor([[2.0, 0.0]]), protos, tau=0.5, gumbel_noise=torch.tensor([[0.0, 2.0]]))
    assert w[0].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)


def test_pda_weights_minmax_threshold_renormalise_and_mask():
    proto = torch.tensor([[[1.0, 0.0]]])                         # B=1, P=1
    res = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]])
    full = torch.ones(1, 4, dtype=torch.bool)
    # scores 0,1,2,3 -> 0, 1/3, 2/3, 1 -> (>= 0.3) -> / 2
    assert pda_weights(proto, res, full, 0.3)[0, 0].tolist() == pytest.approx([0, 1 / 6, 1 / 3, 1 / 2], abs=1e-6)
    # last position is padding: min-max over 0,1,2 only
    m = torch.tensor([[True, True, True, False]])
    assert pda_weights(proto, res, m, 0.3)[0, 0].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 0], abs=1e-6)
    assert pda_weights(proto, res, m, 0.6)[0, 0].tolist() == pytest.approx([0, 0, 1, 0], abs=1e-6)
    # constant scores: uniform over real residues
    flat = torch.zeros(1, 4, 2)
    assert pda_weights(proto, flat, m, 0.3)[0, 0].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0], abs=1e-6)


def test_pda_segments_pool_residues():
    w = torch.tensor([[[0.0, 0.25, 0.75]]])
    res = torch.tensor([[[9.0, 9.0], [1.0, 0.0], [0.0, 1.0]]])
    assert pda_segments(w, res)[0, 0].tolist() == pytest.approx([0.25, 0.75])


def test_pda_loss_per_protein_infonce_and_absent_properties():
    s = 3.0
    eye = torch.eye(4).unsqueeze(0)                               # segments == prototypes, orthogonal
    per = lse(s, 0, 0, 0) - s                                     # both directions equal
    assert pda_loss(eye, eye, torch.tensor(s)).item() == pytest.approx(per, abs=1e-6)
    assert pda_loss(eye, eye, torch.tensor(s), symmetric=False).item() == pytest.approx(per, abs=1e-6)
    # two properties absent: a 2x2 problem
    present = torch.tensor([[True, False, True, False]])
    assert pda_loss(eye, eye, torch.tensor(s), present).item() == pytest.approx(lse(s, 0) - s, abs=1e-6)
    # one present property: nothing to contrast, the protein contributes nothing
    one = torch.tensor([[True, False, False, False]])
    assert pda_loss(eye, eye, torch.tensor(s), one).item() == 0.0
    # asymmetric case: segment 0 points between prototypes 0 and 1
    seg = torch.tensor([[[1.0, 1.0], [0.0, 1.0]]])
    pro = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    c = 1 / math.sqrt(2)
    # cosine logits (scale 1): [[c, c], [0, 1]]
    rows = (lse(c, c) - c) + (lse(0, 1) - 1)
    cols = (lse(c, 0) - c) + (lse(c, 1) - 1)
    want = (rows + cols) / 2 / 2
    assert pda_loss(seg, pro, torch.tensor(1.0)).item() == pytest.approx(want, abs=1e-6)
    # the released loss: segment -> prototype only
    assert pda_loss(seg, pro, torch.tensor(1.0), symmetric=False).item() == pytest.approx(rows / 2, abs=1e-6)
    # a global denominator rescales the sum
    assert pda_loss(seg, pro, torch.tensor(1.0), denominator=2).item() == pytest.approx(want / 2, abs=1e-6)


def _mlm_batch():
    ids = torch.full((8, 402), 1)
    ids[:, 0], ids[:, 401] = 0, 2
    ids[:, 1:401] = torch.randint(4, 24, (8, 400), generator=torch.Generator().manual_seed(1))
    return ids, (ids != 0) & (ids != 1) & (ids != 2)


def test_mlm_mask_official_masks_every_selected_residue():
    ids, res = _mlm_batch()
    masked, labels = mlm_mask(ids, res, 0.15, torch.Generator().manual_seed(0))
    sel = labels != IGNORE
    assert not sel[~res].any()
    assert 0.12 < sel.float().sum().item() / res.sum().item() < 0.18
    assert (masked[sel] == 32).all()                      # 100 % <mask>, as the official collator
    assert torch.equal(labels[sel], ids[sel]) and torch.equal(masked[~sel], ids[~sel])


def test_mlm_mask_bert_rate_specials_and_determinism():
    ids, res = _mlm_batch()
    g = torch.Generator().manual_seed(0)
    masked, labels = mlm_mask(ids, res, 0.15, g, strategy="bert")
    sel = labels != IGNORE
    assert not sel[~res].any()
    assert 0.12 < sel.float().sum().item() / res.sum().item() < 0.18
    frac_mask = (masked[sel] == 32).float().mean().item()
    assert 0.72 < frac_mask < 0.88
    assert torch.equal(labels[sel], ids[sel])
    assert torch.equal(masked[~sel], ids[~sel])
    m2, l2 = mlm_mask(ids, res, 0.15, torch.Generator().manual_seed(0), strategy="bert")
    assert torch.equal(m2, masked) and torch.equal(l2, labels)
    with pytest.raises(ValueError, match="MLM strategy"):
        mlm_mask(ids, res, 0.15, g, strategy="span")


def test_mlm_mask_selects_at_least_one_residue_per_protein_only_when_asked():
    ids = torch.tensor([[0, 5, 6, 2]])
    res = torch.tensor([[False, True, True, False]])
    _, labels = mlm_mask(ids, res, 0.0, torch.Generator().manual_seed(0), min_one=True)
    assert (labels != IGNORE).sum().item() == 1
    _, labels = mlm_mask(ids, res, 0.0, torch.Generator().manual_seed(0))      # official: none
    assert (labels != IGNORE).sum().item() == 0


def test_span_positions_cover_target_with_contiguous_spans():
    for seed in range(20):
        cover = span_positions(200, 0.15, 5, 11, torch.Generator().manual_seed(seed))
        n = int(cover.sum())
        assert 30 <= n < 30 + 11
        runs, cur = [], 0
        for x in cover.tolist() + [False]:
            if x:
                cur += 1
            elif cur:
                runs.append(cur)
                cur = 0
        assert min(runs) >= 5
    short = span_positions(3, 0.15, 5, 11, torch.Generator().manual_seed(0))
    assert short.all()


def test_span_mask_labels_only_inside_spans():
    ids = torch.tensor([[0] + [5] * 40 + [2, 1, 1], [0] + [6] * 42 + [2]])
    res = (ids >= 4)
    masked, labels = span_mask(ids, res, 0.15, 5, 11, torch.Generator().manual_seed(3), sampler="per_protein")
    sel = labels != IGNORE
    assert not sel[~res].any()
    assert (masked[sel] == 32).all()
    assert sel[0].sum() >= 6 and sel[1].sum() >= 7 and sel[0].sum() < 6 + 11


def test_official_span_sampler_covers_the_padded_batch_length_with_shrinking_spans():
    for seed in range(10):
        cover = official_span_positions([200, 30], 202, 0.15, 10, torch.Generator().manual_seed(seed))
        assert cover.shape == (2, 202) and not cover[:, 0].any()          # never the <cls> position
        for row in cover:                                                 # target: 15 % of the padded length
            assert 0.15 * 202 <= int(row.sum()) < 0.15 * 202 + 11
        runs, cur = [], 0
        for x in cover.reshape(-1).tolist() + [False]:
            if x:
                cur += 1
            elif cur:
                runs.append(cur)
                cur = 0
        assert max(runs) <= 2 * 11
    # the span length r is redrawn in [r // 2, r] and kept: after a few spans it has shrunk to 0 (one position),
    # so a long protein is covered mostly by isolated positions, not 5-11 residue segments
    many = official_span_positions([2000] * 4, 2002, 0.15, 10, torch.Generator().manual_seed(0))
    for row in many:
        runs, cur = [], 0
        for x in row.tolist() + [False]:
            if x:
                cur += 1
            elif cur:
                runs.append(cur)
                cur = 0
        assert sorted(runs)[len(runs) // 2] == 1 and len(runs) > 200


def test_span_mask_official_labels_residues_only():
    # a short protein padded to a long batch: official coverage counts padding, labels stay on residues
    ids = torch.tensor([[0] + [5] * 60 + [2], [0] + [6] * 8 + [2] + [1] * 52])
    res = ids >= 4
    masked, labels = span_mask(ids, res, 0.15, 5, 11, torch.Generator().manual_seed(1))   # official sampler
    sel = labels != IGNORE
    assert not sel[~res].any() and (masked[sel] == 32).all()
    assert int(sel[0].sum()) >= 1 and int(sel[1].sum()) <= 8
