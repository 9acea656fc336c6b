"""ProtCLIP module options: logit-scale clamping, the frozen text encoder's mode, BSR decoder axis."""
from __future__ import annotations

import math

import pytest
import torch

from protbench.protclip.config import named_config
from protbench.protclip.data import ProtAnnoRecord, collate
from protbench.protclip.model import ProtCLIP

RECS = [ProtAnnoRecord("MKTAYIAKQRQISFVKSHFSRQ", "PROTEIN NAME: a. FUNCTION: b."),
        ProtAnnoRecord("MSTNPKPQRKTKRNTNRRPQDVKFPGG", "PROTEIN NAME: c. SUBCELLULAR LOCATION: d."),
        ProtAnnoRecord("GSHMLEDPVDAFQ", "PROTEIN NAME: e. FUNCTION: f. SIMILARITY: g.")]


def _grad_of_logit_scale(clamp: str, start: float) -> tuple[float, ProtCLIP]:
    m = ProtCLIP(named_config("tiny", logit_scale_clamp=clamp,
                              loss_weights={"gc": 1, "mlm": 0, "bsr": 0, "pda": 0})).train()
    with torch.no_grad():
        m.logit_scale.fill_(start)
    m(collate(RECS, m.cfg, torch.Generator().manual_seed(0)))["loss"].backward()
    return float(m.logit_scale.grad), m


def test_logit_scale_clamp_param_is_default_and_keeps_the_gradient():
    assert named_config("650m").logit_scale_clamp == "param"
    above = math.log(200.0)
    g, m = _grad_of_logit_scale("param", above)
    assert g != 0.0                                   # the forward pass uses the value as is
    m.clamp_logit_scales()                            # what the trainer does after every optimiser step
    assert m.logit_scale.item() == pytest.approx(math.log(100.0))
    g, m = _grad_of_logit_scale("forward", above)     # capped where used: the gradient dies past log 100
    assert g == 0.0
    m.clamp_logit_scales()
    assert m.logit_scale.item() == pytest.approx(above)
    g, m = _grad_of_logit_scale("none", above)        # official ProtCLIP: never capped
    assert g != 0.0


def test_frozen_text_encoder_keeps_dropout_in_train_mode_by_default():
    text = dict(named_config("tiny").text_model_config, hidden_dropout_prob=0.1)
    m = ProtCLIP(named_config("tiny", text_model_config=text)).train()
    assert not any(p.requires_grad for p in m.text_model.parameters())
    assert m.text_model.training and m.text_dropout_active()          # official: trainer's model.train()
    m.eval()
    assert not m.text_model.training
    e = ProtCLIP(named_config("tiny", text_model_config=text, freeze_text_mode="eval")).train()
    assert not e.text_model.training and not e.text_dropout_active()
    tiny = ProtCLIP(named_config("tiny")).train()                     # tiny's text encoder has no dropout
    assert tiny.text_model.training and not tiny.text_dropout_active()


def test_text_cache_refused_while_frozen_text_dropout_is_active(tmp_path):
    from protbench.protclip.data import write_protanno
    from protbench.protclip.train import PretrainConfig, pretrain

    write_protanno(RECS * 4, tmp_path / "c.jsonl")
    text = dict(named_config("tiny").text_model_config, hidden_dropout_prob=0.1)
    cfg = dict(train_data=str(tmp_path / "c.jsonl"), batch_size=4, max_steps=1, eval_every=0, save_every=0,
               valid_fraction=0.0, threads=1, resume=None, cache_text=True)
    with pytest.raises(ValueError, match="freeze_text_mode=eval"):
        pretrain(PretrainConfig(output_dir=str(tmp_path / "a"), model_overrides={"text_model_config": text}, **cfg))
    s = pretrain(PretrainConfig(output_dir=str(tmp_path / "b"),
                                model_overrides={"text_model_config": text, "freeze_text_mode": "eval"}, **cfg))
    assert s["steps"] == 1


@pytest.mark.parametrize("axis", ["protein", "text"])
def test_bsr_decoder_axis_option_runs_and_differs(axis):
    m = ProtCLIP(named_config("tiny", bsr_softmax_over=axis)).train()
    assert m.bsr_decoder.softmax_over == axis
    terms = m(collate(RECS, m.cfg, torch.Generator().manual_seed(0)))
    assert torch.isfinite(terms["bsr"])
    terms["loss"].backward()
    assert m.bsr_decoder.query.weight.grad.abs().sum() > 0            # the decoder learns (fix 2)


def test_invalid_option_values_are_refused():
    for field, bad in (("mlm_strategy", "span"), ("bsr_softmax_over", "both"), ("logit_scale_clamp", "clip"),
                       ("freeze_text_mode", "off"), ("bsr_span_sampler", "x"), ("protein_crop", "middle")):
        with pytest.raises(ValueError, match=field):
            named_config("tiny", **{field: bad})


def test_text_cache_follows_the_text_weights_not_their_install_path(tmp_path):
    """A cache is the same encoder's when its weights are, wherever they were installed; another checkpoint of
    the same architecture is refused (its states would be wrong, silently)."""
    from protbench.protclip.train import _text_config, load_text_cache

    torch.manual_seed(0)
    a = ProtCLIP(named_config("tiny"))
    torch.save({"text_config": _text_config(a), "states": {"8\tx": torch.zeros(2, 3)}}, tmp_path / "c.pt")
    b = ProtCLIP(named_config("tiny"))
    b.text_model.load_state_dict(a.text_model.state_dict())
    b.text_model.config._name_or_path = "/another/venv/site-packages/model"
    assert set(load_text_cache(str(tmp_path / "c.pt"), b)) == {"8\tx"}
    with torch.no_grad():
        next(b.text_model.parameters())[0].add_(1e-3)             # same config, other weights
    with pytest.raises(ValueError, match="another text encoder"):
        load_text_cache(str(tmp_path / "c.pt"), b)
