"""The trainer: SGD Nesterov + cosine, CE + ACL losses, AMP on CUDA, torchrun DDP, exact resume.

The trainer owns the epoch clock and calls `ACLLoss.start_epoch(epoch)` at the start of every epoch; validation
never changes loss state (the reference code advanced its clock inside validation).
Each epoch writes `last.pt` (and `best.pt` on improvement) atomically, with everything needed to resume:
model, optimiser, scheduler, loss state, RNG, epoch, best score, and the metadata needed to use the model.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler
from tqdm import tqdm

from aclnet_core.errors import UserError
from aclnet_core.model.checkpoint import load_checkpoint, save_checkpoint
from aclnet_core.model.encoder import ACLNet
from aclnet_core.model.metadata import ModelMetadata, weights_id
from aclnet_core.skeleton.layouts import get_layout
from aclnet_core.train import data_setup
from aclnet_core.train.config import TrainConfig, config_from_dict
from aclnet_core.train.distributed import DistInfo, cleanup, init_distributed
from aclnet_core.train.ema import WeightEMA
from aclnet_core.train.metrics_log import MetricsLogger
from aclnet_core.train.schedule import warmup_cosine
from aclnet_core.train.state import restore_rng, rng_state, seed_everything


@dataclass
class FitResult:
    best_top1: float
    best_epoch: int
    last_top1: float
    run_dir: Path
    seconds: float


def _build_acl(cfg: TrainConfig, num_classes: int, topo_dim: int):
    """The ACL loss module, or None for a cross-entropy-only run (`acl: {enabled: false}`)."""
    options = dict(cfg.acl)
    if not options.pop("enabled", True):
        return None
    from aclnet_core.losses.acl import ACLLoss
    from aclnet_core.losses.config import ACLConfig
    try:
        acl_cfg = ACLConfig.for_run(cfg.optim.epochs, **options)
    except TypeError as exc:
        raise UserError(f"invalid acl config: {exc}") from None
    return ACLLoss(num_classes, topo_dim, acl_cfg)


def init_from_checkpoint(model: ACLNet, path: str | Path) -> tuple[int, ModelMetadata]:
    """Copy a checkpoint's encoder weights into `model` (fine-tuning); the class head is copied only when the
    class count matches (same-shaped tensors are copied). The joint count, input channels and preset must match.
    Returns the number of tensors copied and the source's metadata (its model id is the run's provenance)."""
    payload = load_checkpoint(path, full=True)
    meta = payload["meta"]
    if meta.num_joints != model.num_joints or meta.in_channels != model.in_channels or meta.preset != model.preset.name:
        raise UserError(f"cannot initialise from {Path(path).name}: it is a {meta.preset} model for "
                        f"{meta.layout} (V={meta.num_joints}, C={meta.in_channels}), this run trains a "
                        f"{model.preset.name} model with V={model.num_joints}, C={model.in_channels}")
    own = model.state_dict()
    state = {k: v for k, v in payload["model"].items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(state, strict=False)
    return len(state), meta


class Trainer:
    def __init__(self, cfg: TrainConfig, resume: str | Path | None = None, progress: bool = True) -> None:
        self.dist: DistInfo = init_distributed()
        self.cfg = cfg
        self.progress = progress and self.dist.is_main
        if resume is not None:
            self._resume_payload = load_checkpoint(resume, full=True)
            if "optimizer" not in self._resume_payload:
                raise UserError(f"{resume} holds no training state to resume from")
            self.cfg = cfg = config_from_dict(self._resume_payload["config"])
        else:
            self._resume_payload = None
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.device = torch.device(f"cuda:{self.dist.local_rank}" if torch.cuda.is_available() else "cpu")
        seed_everything(cfg.seed + self.dist.rank)
        self.run_dir = cfg.run_dir

        self.layout = get_layout(cfg.data.layout) if cfg.data.layout else None
        data_setup.apply_root_motion(cfg)
        train_seqs, self.labels = data_setup.load_split(cfg.data, cfg.data.train_split)
        train_seqs = data_setup.limit_clips(train_seqs, cfg.data.train_limit)
        val_seqs, _ = data_setup.load_split(cfg.data, cfg.data.val_split)
        self.preprocess = data_setup.preprocess_config(cfg)
        from aclnet_core.data.dataset import SkeletonDataset
        self.train_set = SkeletonDataset(train_seqs, self.preprocess, train=True,
                                         augment=data_setup.augment_config(cfg), seed=cfg.seed)
        self.val_set = SkeletonDataset(val_seqs, self.preprocess, train=False, num_clips=cfg.val_clips, seed=cfg.seed)
        cfg = self._resolve_auto(cfg, len(train_seqs))
        sample, _ = self.train_set[0]
        in_channels, num_joints = int(sample.shape[-1]), int(sample.shape[-2])
        num_classes = len(self.labels)
        if num_classes < 2 and cfg.task == "action":
            only = self.labels[0] if self.labels else "?"
            raise UserError(f"the training data holds one action only ({only!r}); a classifier needs at least 2. "
                            f"To teach the app one action from a few examples, use: python main.py actions add "
                            f"{only} CLIP…")
        bad = [s.label for s in train_seqs + val_seqs if not 0 <= s.label < num_classes]
        if bad:
            raise UserError(f"label {bad[0]} is outside the {num_classes} known classes")

        self.soft_targets = self.online_teachers = None
        missing = [t for t in cfg.distill.teachers if not Path(t).is_file()]
        if missing:
            raise UserError(f"distillation teacher not found: {missing[0]}")
        if cfg.distill.enabled and cfg.distill.online:
            self.online_teachers = self._online_teachers(cfg, in_channels)
            self._distill_info = self.online_teachers.info
        elif cfg.distill.enabled:
            self.soft_targets = self._distill_targets(cfg, train_seqs)
        self.model = ACLNet(num_classes, num_joints, in_channels, cfg.preset, cfg.head_dropout).to(self.device)
        init_meta = None
        if cfg.init_from and self._resume_payload is None:
            loaded, init_meta = init_from_checkpoint(self.model, cfg.init_from)
            if self.dist.is_main:
                print(f"initialised {loaded} of {len(self.model.state_dict())} tensors from {cfg.init_from}")
        self.ema = WeightEMA(self.model, cfg.optim.ema) if cfg.optim.ema > 0 else None
        self.acl = _build_acl(cfg, num_classes, self.model.topology_dim)
        if self.acl is not None:
            self.acl.to(self.device)
        self.meta = ModelMetadata(task=cfg.task, labels=list(self.labels), preset=cfg.preset, num_joints=num_joints,
                                  in_channels=in_channels, embed_dim=self.model.embed_dim,
                                  preprocess=self.preprocess.to_dict())
        if cfg.init_from:
            self.meta.extra["init_from"] = str(cfg.init_from)
            source_id = (init_meta.model_id if init_meta is not None      # a resumed run keeps its recorded start
                         else self._resume_payload["meta"].extra.get("init_from_model_id"))
            if source_id:
                self.meta.extra["init_from_model_id"] = source_id
        if cfg.distill.enabled:
            self.meta.extra["distilled_from"] = self._distill_info
        self.meta.extra["sample_fps"] = round(data_setup.model_sample_fps(cfg, train_seqs), 3)  # the app's window rate

        params = list(self.model.parameters()) + (list(self.acl.parameters()) if self.acl is not None else [])
        lr = cfg.optim.lr * self.dist.world_size          # linear scaling with the number of ranks
        self.optimizer = torch.optim.SGD(params, lr=lr, momentum=cfg.optim.momentum, nesterov=cfg.optim.nesterov,
                                         weight_decay=cfg.optim.weight_decay)
        self.iters_per_epoch = max(1, math.ceil(len(self.train_set) / (cfg.optim.batch_size * self.dist.world_size)))
        self.scheduler = warmup_cosine(self.optimizer, cfg.optim.epochs * self.iters_per_epoch,
                                       int(cfg.optim.warmup_epochs * self.iters_per_epoch), lr, cfg.optim.min_lr)
        self.use_amp = cfg.amp and self.device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.use_amp and torch.cuda.is_bf16_supported() else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp and self.amp_dtype == torch.float16)

        self.start_epoch, self.best_top1, self.best_epoch = 1, -1.0, 0
        if self._resume_payload is not None:
            self._restore(self._resume_payload)
        self.ddp_model = (DistributedDataParallel(self.model, device_ids=[self.dist.local_rank] if self.device.type == "cuda" else None)
                          if self.dist.enabled else self.model)

    def _online_teachers(self, cfg: TrainConfig, in_channels: int):
        """Teachers that score each augmented batch (distill.online)."""
        from aclnet_core.train.distill import OnlineTeachers

        teachers = OnlineTeachers(cfg.distill, list(self.labels), self.preprocess, in_channels, self.device)
        self.train_set.with_joints = True
        if self.dist.is_main:
            print(f"distilling online from {len(cfg.distill.teachers)} teacher(s): they score every training batch")
        return teachers

    def _distill_targets(self, cfg: TrainConfig, train_seqs: list) -> torch.Tensor:
        """The teachers' soft targets for the training sequences (cached in the run folder for a resume)."""
        from aclnet_core.train.distill import soft_targets

        if self.dist.is_main:
            print(f"distilling from {len(cfg.distill.teachers)} teacher(s): scoring {len(train_seqs)} training "
                  f"sequences, {cfg.distill.clips} clips each")
        targets, self._distill_info = soft_targets(cfg.distill, train_seqs, list(self.labels), cfg.data.layout,
                                                   cache=self.run_dir / "teacher_targets.npz")
        if self.dist.is_main:
            print(f"the teachers' top class is the label on {100 * self._distill_info['teacher_train_top1']:.1f} % "
                  f"of the training sequences")
        return targets.to(self.device)

    def _resolve_auto(self, cfg: TrainConfig, num_train: int) -> TrainConfig:
        """`optim.epochs: auto` -> concrete epochs, warm-up (and EMA decay), stored in the run's config."""
        from aclnet_core.train.budget import resolve_auto

        cfg, plan = resolve_auto(cfg, num_train, self.dist.world_size)
        if plan is not None and self.dist.is_main:
            ema = f", EMA decay {cfg.optim.ema:g}" if cfg.optim.ema else ""
            print(f"note: {plan.note()}{ema}")
        self.cfg = cfg
        return cfg

    # ----------------------------------------------------------------------------------------------- state
    def _restore(self, payload: dict[str, Any]) -> None:
        if self.ema is not None:          # "model" holds the average, "train_model" the trained weights
            self.model.load_state_dict(payload["train_model"])
            self.ema.load_state_dict({**payload["ema"], "model": payload["model"]})
        else:
            self.model.load_state_dict(payload["model"])
        if self.acl is not None and payload.get("loss_state") is not None:
            self.acl.load_state_dict(payload["loss_state"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scheduler.load_state_dict(payload["scheduler"])
        if payload.get("scaler"):
            self.scaler.load_state_dict(payload["scaler"])
        restore_rng(payload["rng"])
        self.start_epoch = int(payload["epoch"]) + 1
        self.best_top1, self.best_epoch = payload["best"]

    @property
    def eval_model(self) -> ACLNet:
        """The weights that are validated and shipped: the moving average when EMA is on."""
        return self.ema.module if self.ema is not None else self.model

    def _payload(self, epoch: int) -> dict[str, Any]:
        state = {k: v.detach().cpu() for k, v in self.eval_model.state_dict().items()}
        self.meta.model_id = weights_id(state)
        extra: dict[str, Any] = {}
        if self.ema is not None:
            extra["train_model"] = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
            extra["ema"] = {"decay": self.ema.decay, "updates": self.ema.updates}
        return {"meta": self.meta.to_dict(), "model": state, "config": self.cfg.to_dict(), **extra,
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(), "loss_state": self.acl.state_dict() if self.acl is not None else None,
                "rng": rng_state(), "epoch": epoch, "best": (self.best_top1, self.best_epoch)}

    # ------------------------------------------------------------------------------------------- training
    def _loader(self, epoch: int) -> DataLoader:
        generator = torch.Generator().manual_seed(self.cfg.seed * 100_003 + epoch)
        if hasattr(self.train_set, "set_epoch"):
            self.train_set.set_epoch(epoch)
        if self.dist.enabled:
            sampler = DistributedSampler(self.train_set, shuffle=True, seed=self.cfg.seed, drop_last=False)
            sampler.set_epoch(epoch)
        else:
            sampler = RandomSampler(self.train_set, generator=generator)
        dataset = self.train_set
        if self.soft_targets is not None:
            from aclnet_core.train.distill import IndexedDataset
            dataset = IndexedDataset(self.train_set)
        return DataLoader(dataset, batch_size=self.cfg.optim.batch_size, sampler=sampler,
                          num_workers=self.cfg.workers, generator=generator, drop_last=False,
                          pin_memory=self.device.type == "cuda", persistent_workers=False)

    def _autocast(self):
        if self.use_amp:
            return torch.autocast("cuda", dtype=self.amp_dtype)
        return contextlib.nullcontext()

    def train_epoch(self, epoch: int) -> dict[str, float]:
        self.model.train()
        if self.acl is not None:
            self.acl.start_epoch(epoch)
        totals = {"loss": 0.0, "ce": 0.0, "inter": 0.0, "intra": 0.0, "correct": 0.0, "n": 0.0}
        loader = self._loader(epoch)
        bar = tqdm(loader, desc=f"epoch {epoch}/{self.cfg.optim.epochs}", leave=False, disable=not self.progress,
                   dynamic_ncols=True)
        distill = self.cfg.distill
        for batch in bar:
            x, y = batch[0].to(self.device, non_blocking=True), batch[1].to(self.device, non_blocking=True)
            with self._autocast():
                out = self.ddp_model(x)
                ce = F.cross_entropy(out.logits.float(), y, label_smoothing=self.cfg.optim.label_smoothing)
            loss = ce
            if distill.enabled:
                from aclnet_core.train.distill import distill_loss
                targets = (self.online_teachers(batch[2]) if self.online_teachers is not None
                           else self.soft_targets[batch[2].to(self.device)])
                kd = distill_loss(out.logits, targets, distill.temperature)
                loss = (1.0 - distill.alpha) * ce + distill.alpha * kd
            inter = intra = torch.zeros((), device=self.device)
            if self.acl is not None:
                acl_out = self.acl(out.topology.float(), out.logits.detach().float(), y)
                loss = loss + acl_out.total
                inter, intra = acl_out.inter.detach(), acl_out.intra.detach()
            if not torch.isfinite(loss):
                raise UserError(f"training diverged at epoch {epoch} (loss {loss.item()}); lower optim.lr")
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if self.acl is not None:
                self.acl.release_idle_gradients()  # a switched-off ACL term gets no weight decay (official code)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            if self.ema is not None:
                self.ema.update(self.model)
            b = y.shape[0]
            totals["n"] += b
            totals["loss"] += loss.item() * b
            totals["ce"] += ce.item() * b
            totals["inter"] += float(inter) * b
            totals["intra"] += float(intra) * b
            totals["correct"] += (out.logits.detach().argmax(1) == y).sum().item()
            bar.set_postfix(loss=f"{totals['loss'] / totals['n']:.3f}", acc=f"{totals['correct'] / totals['n']:.3f}")
        n = max(totals.pop("n"), 1.0)
        stats = {k: v / n for k, v in totals.items()}
        stats["train_top1"] = stats.pop("correct")
        return stats

    @torch.no_grad()
    def validate(self) -> float:
        """Top-1 on the validation split, clip probabilities averaged (no loss state is touched)."""
        model = self.eval_model
        model.eval()
        loader = DataLoader(self.val_set, batch_size=max(1, self.cfg.optim.batch_size * 2), shuffle=False,
                            num_workers=self.cfg.workers)
        correct, total = 0, 0
        for x, y in loader:
            x = x.to(self.device)
            if x.dim() == 6:                                   # (B, clips, M, T, V, C)
                b, k = x.shape[:2]
                with self._autocast():
                    logits = model(x.flatten(0, 1)).logits.float()
                prob = logits.softmax(-1).reshape(b, k, -1).mean(1)
            else:
                with self._autocast():
                    prob = model(x).logits.float().softmax(-1)
            correct += (prob.argmax(1).cpu() == y).sum().item()
            total += y.shape[0]
        return correct / max(total, 1)

    def fit(self) -> FitResult:
        cfg, t0 = self.cfg, time.time()
        if self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        logger = MetricsLogger(self.run_dir, cfg.metrics, resume=self.start_epoch > 1) if self.dist.is_main else None
        last_top1 = float("nan")
        try:
            for epoch in range(self.start_epoch, cfg.optim.epochs + 1):
                t_epoch = time.time()
                stats = self.train_epoch(epoch)
                validate_now = epoch % cfg.eval_interval == 0 or epoch == cfg.optim.epochs
                if self.dist.is_main:
                    if validate_now:
                        last_top1 = self.validate()
                        if last_top1 > self.best_top1:
                            self.best_top1, self.best_epoch = last_top1, epoch
                    payload = self._payload(epoch)
                    save_checkpoint(self.run_dir / "last.pt", payload)
                    if validate_now and self.best_epoch == epoch:
                        save_checkpoint(self.run_dir / "best.pt", payload)
                    row = {"epoch": epoch, "lr": self.optimizer.param_groups[0]["lr"], **stats,
                           "val_top1": last_top1 if validate_now else "", "seconds": round(time.time() - t_epoch, 1)}
                    logger.log(row)
                    if self.dist.is_main:
                        tqdm.write(f"epoch {epoch}: loss {stats['loss']:.3f} train {stats['train_top1']:.3f} "
                                   f"val {last_top1:.4f} (best {self.best_top1:.4f} @ {self.best_epoch}) "
                                   f"{time.time() - t_epoch:.0f}s")
        finally:
            cleanup()
        return FitResult(self.best_top1, self.best_epoch, last_top1, self.run_dir, time.time() - t0)

