"""Honest confidences for an action model: temperature scaling and an open-set gate, calibrated on held-out data.

``decide(logits, embeddings, extra)`` is what the app shows: ``softmax(logits / T)`` times a gate in [0, 1] that
falls to 0 for windows unlike every class (the remaining mass means "unknown"), so such a window never shows a
confident label. The calibration (``python -m aclnet_core.eval.open_set CKPT -o OUT.pt``) renders the
checkpoint's validation split (held-out people, unseen cameras) and its out-of-set pool (real motion of other
actions: split ``negatives``), fits T by minimising the validation NLL, scores each open-set rule (max calibrated
probability, energy, cosine to the nearest class prototype of the training split) by how well it separates the
two, keeps the best, and sets its threshold so that ``accept`` (default 95 %) of in-set validation windows pass.
The result goes into ``meta.extra['open_set']`` of a released copy of the checkpoint (its ONNX export keeps it).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from aclnet_core.errors import UserError

__all__ = ["calibrate", "decide", "fit_temperature", "open_set_scores"]

METHODS = ("max_prob", "energy", "prototype")
REJECT_LABELS = ("other", "unknown")  # classes trained on out-of-set motion: never shown as a label


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _keep(k: int, reject: list[int] | tuple[int, ...]) -> np.ndarray:
    keep = np.ones(k, dtype=bool)
    keep[list(reject)] = False
    return keep


def open_set_scores(logits: np.ndarray, embeddings: np.ndarray | None, temperature: float,
                    prototypes: np.ndarray | None = None, reject: list[int] | tuple[int, ...] = ()
                    ) -> dict[str, np.ndarray]:
    """Per-window in-set scores (higher = more like a shown class) for every rule that can be computed; the
    ``reject`` classes (e.g. "other") count against a window, never for it."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    keep = _keep(z.shape[-1], reject)
    zk = z[:, keep]
    m = zk.max(axis=-1)
    out = {"max_prob": _softmax(z)[:, keep].max(axis=-1),
           "energy": temperature * (m + np.log(np.exp(zk - m[:, None]).sum(-1)))}
    if prototypes is not None and embeddings is not None:
        e = np.asarray(embeddings, dtype=np.float64)
        e = e / np.maximum(np.linalg.norm(e, axis=-1, keepdims=True), 1e-12)
        out["prototype"] = (e @ np.asarray(prototypes, dtype=np.float64)[keep].T).max(axis=-1)
    return out


def decide(logits: np.ndarray, embeddings: np.ndarray | None, extra: dict[str, Any] | None) -> np.ndarray:
    """(N, K) probabilities to show: calibrated, and scaled down by the open-set gate (rows may sum to < 1)."""
    extra = extra or {}
    cal = extra.get("open_set") or {}
    temperature = float(cal.get("temperature", 1.0))
    reject = [int(r) for r in cal.get("reject", ())]
    probs = _softmax(np.asarray(logits, dtype=np.float64) / temperature)
    probs[:, reject] = 0.0  # "other": the model's place for motion unlike its classes means unknown, not a label
    method = cal.get("method")
    if method not in METHODS:
        return probs
    prototypes = np.asarray(cal["prototypes"], dtype=np.float64) if cal.get("prototypes") is not None else None
    scores = open_set_scores(logits, embeddings, temperature, prototypes, reject)
    if method not in scores:
        return probs
    z = (scores[method] - float(cal["threshold"])) / max(float(cal["width"]), 1e-9)
    gate = 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))
    return probs * gate[:, None]


def prepared(extra: dict[str, Any] | None) -> dict[str, Any]:
    """``extra`` with the open-set prototypes as one float64 array, so ``decide`` does not convert the stored list
    on every call (the recogniser prepares its model's metadata once)."""
    extra = dict(extra or {})
    cal = extra.get("open_set")
    if cal and cal.get("prototypes") is not None:
        extra["open_set"] = {**cal, "prototypes": np.asarray(cal["prototypes"], dtype=np.float64)}
    return extra


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T > 0 minimising the NLL of softmax(logits / T) on labelled held-out windows."""
    from scipy.optimize import minimize_scalar

    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)

    def nll(log_t: float) -> float:
        s = z / np.exp(log_t)
        s = s - s.max(axis=1, keepdims=True)
        return float(-(s[np.arange(len(y)), y] - np.log(np.exp(s).sum(1))).mean())

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def _auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(neg))], np.r_[pos, neg]))


def _infer(model, seqs, cfg) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from aclnet_core.data.preprocess import prepare_clip

    logits, emb = [], []
    with torch.no_grad():
        for i in range(0, len(seqs), 64):
            x = np.stack([prepare_clip(s.keypoint, cfg, s.score) for s in seqs[i:i + 64]])
            out = model.inference_forward(torch.from_numpy(x).float())
            logits.append(out[0].numpy())
            emb.append(out[1].numpy())
    return np.concatenate(logits), np.concatenate(emb)


def _prototypes(emb: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    protos = np.zeros((k, emb.shape[1]))
    for c in range(k):
        if (labels == c).any():
            v = emb[labels == c].mean(0)
            protos[c] = v / max(np.linalg.norm(v), 1e-12)
    return protos


def calibrate(ckpt: Path, out: Path, accept: float = 0.95, prototype_per_class: int = 40) -> dict[str, Any]:
    """Fit temperature and the open-set gate on the checkpoint's validation data; write a released copy."""
    from aclnet_core.model.checkpoint import load_checkpoint, model_from_checkpoint, release_checkpoint
    from aclnet_core.train.config import config_from_dict
    from aclnet_core.train.data_setup import load_split

    if not 0.5 <= accept < 1.0:
        raise UserError(f"accept must be in [0.5, 1), got {accept}")
    payload = load_checkpoint(ckpt, full=True)
    if not payload.get("config"):
        raise UserError(f"{ckpt} holds no training config: cannot find its validation data")
    cfg = config_from_dict(payload["config"])
    model, meta = model_from_checkpoint(ckpt)
    pcfg = meta.preprocess_config()
    val, _ = load_split(cfg.data, cfg.data.val_split)
    val_logits, val_emb = _infer(model, val, pcfg)
    val_y = np.array([s.label for s in val])
    temperature = fit_temperature(val_logits, val_y)
    try:
        neg, _ = load_split(cfg.data, "negatives")
    except UserError as exc:
        raise UserError(f"no out-of-set pool to calibrate the open-set gate on ({exc})") from None
    neg_logits, neg_emb = _infer(model, neg, pcfg)
    train_cfg = replace(cfg.data, options={**cfg.data.options, "n_per_class": prototype_per_class})
    train, _ = load_split(train_cfg, cfg.data.train_split)
    _, train_emb = _infer(model, train, pcfg)
    protos = _prototypes(train_emb, np.array([s.label for s in train]), meta.num_classes)
    reject = [i for i, name in enumerate(meta.labels) if name in REJECT_LABELS]
    s_in = open_set_scores(val_logits, val_emb, temperature, protos, reject)
    s_out = open_set_scores(neg_logits, neg_emb, temperature, protos, reject)
    aurocs = {m: _auroc(s_in[m], s_out[m]) for m in METHODS}
    method = max(aurocs, key=aurocs.get)
    threshold = float(np.quantile(s_in[method], 1.0 - accept))
    width = max(float(np.median(s_in[method]) - threshold) / 4.0, 1e-6)
    cal = {"temperature": temperature, "reject": reject, "method": method, "threshold": threshold, "width": width,
           "accept": accept, "auroc": aurocs, "val_top1": float((val_logits.argmax(1) == val_y).mean()),
           "val_windows": len(val), "negative_windows": len(neg),
           "negatives_rejected": float((s_out[method] < threshold).mean())}
    if method == "prototype":
        cal["prototypes"] = np.round(protos, 5).tolist()
    shown_in = decide(val_logits, val_emb, {"open_set": cal}).max(1)
    shown_out = decide(neg_logits, neg_emb, {"open_set": cal}).max(1)
    cal["negatives_confident_0.9"] = float((shown_out >= 0.9).mean())
    cal["val_confident_0.9"] = float((shown_in >= 0.9).mean())
    release_checkpoint(ckpt, out, {"open_set": cal})
    return {k: v for k, v in cal.items() if k != "prototypes"}


def report(ckpt: Path, split: str = "test", negatives: str = "negatives_test", options: dict | None = None
           ) -> dict[str, Any]:
    """What a calibrated checkpoint shows on held-out data: top-1, the share of in-set windows that keep a label
    (shown probability >= ``show``, the app's default label threshold 0.5), and on the held-out out-of-set pool the
    share rejected and the share with a confident (>= 0.9) label."""
    from aclnet_core.model.checkpoint import load_checkpoint, model_from_checkpoint
    from aclnet_core.train.config import config_from_dict
    from aclnet_core.train.data_setup import load_split

    payload = load_checkpoint(ckpt, full=True)
    data = config_from_dict(payload["config"]).data
    data = replace(data, options={**data.options, **(options or {})})
    model, meta = model_from_checkpoint(ckpt)
    pcfg = meta.preprocess_config()
    seqs, names = load_split(data, split)
    logits, emb = _infer(model, seqs, pcfg)
    y = np.array([s.label for s in seqs])
    shown = decide(logits, emb, meta.extra)
    neg, _ = load_split(data, negatives)
    n_logits, n_emb = _infer(model, neg, pcfg)
    n_shown = decide(n_logits, n_emb, meta.extra)
    return {"split": split, "windows": len(y), "top1": float((logits.argmax(1) == y).mean()),
            "labelled_0.5": float((shown.max(1) >= 0.5).mean()),
            "correct_and_labelled_0.5": float(((shown.argmax(1) == y) & (shown.max(1) >= 0.5)).mean()),
            "negatives": negatives, "negative_windows": len(neg),
            "negatives_rejected_0.5": float((n_shown.max(1) < 0.5).mean()),
            "negatives_confident_0.9": float((n_shown.max(1) >= 0.9).mean()),
            "in_set_confident_0.9": float((shown.max(1) >= 0.9).mean()),
            "labels": names}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m aclnet_core.eval.open_set", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("-o", "--out", type=Path, help="the released, calibrated checkpoint to write")
    p.add_argument("--accept", type=float, default=0.95, help="share of in-set validation windows that pass")
    p.add_argument("--report", action="store_true",
                   help="report a calibrated checkpoint on the test split and the held-out out-of-set pool")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="data option override")
    args = p.parse_args(argv)
    try:
        if args.report:
            from aclnet_core.train.config import apply_overrides

            opts = apply_overrides({}, args.option)
            print(json.dumps(report(args.checkpoint, options=opts), indent=2))
            return 0
        if args.out is None:
            raise UserError("give -o OUT.pt (or --report)")
        if args.out.resolve() == args.checkpoint.resolve():
            raise UserError("the output would overwrite the input checkpoint")
        result = calibrate(args.checkpoint, args.out, args.accept)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
