"""ACLNet Live command line: `python main.py [gui|annotate|train|eval|export|bench|gallery|record|synth] ...`.

Each subcommand imports its heavy dependencies only when it runs, so `--help` is instant. Bad input ends with
a one-line `error: …` on stderr and exit code 2; Ctrl-C ends with exit code 130.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from aclnet_core.cli_types import (
    OneLineArgumentParser,
    epochs_arg,
    finite_float,
    float_list,
    int_range,
    name_list,
    regex,
)
from aclnet_core.train.config_checks import MAX_WINDOW

ROOT = Path(__file__).resolve().parent
TRUST_NOTE = ("Checkpoints are loaded as tensors and plain data only, and pickled (.pkl) datasets as numpy arrays "
              "and plain containers only, so no code in them runs; --trust-pickle lifts the dataset restriction.")


def _add_data_args(p: argparse.ArgumentParser, split_names: tuple[str, ...]) -> None:
    g = p.add_argument_group("data (override the config / checkpoint)")
    g.add_argument("--data", metavar="PATH", help="dataset: a pyskl .pkl, an NW-UCLA folder, a recordings folder, or a "
                   "motion-capture folder (BVH or .npz trials)")
    g.add_argument("--kind", choices=("pyskl", "nw_ucla", "recordings", "synthetic", "mocap"), help="dataset format")
    g.add_argument("--layout", help="skeleton layout: mediapipe33, ntu25, kinect20, coco17")
    for name in split_names:
        g.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="NAME", help=f"{name.replace('_', ' ')} name")
    g.add_argument("--trust-pickle", action="store_true", help="unpickle any object in a .pkl dataset (a pickle "
                   "can run code: only for files you trust; by default only numpy data is admitted)")


def add_train_parser(sub) -> None:
    p = sub.add_parser("train", help="train an ACLNet model", description="Train an ACLNet model (CE + ACL losses). "
                       "Multi-GPU: torchrun --nproc-per-node N main.py train ... " + TRUST_NOTE)
    p.add_argument("--config", help="YAML training config (see configs/)")
    _add_data_args(p, ("train_split", "val_split"))
    p.add_argument("--preset", choices=("lite", "base"))
    p.add_argument("--modality", choices=("j", "b", "jm", "bm", "k", "km"))
    p.add_argument("--window", type=int_range(1, MAX_WINDOW), help=f"frames per clip fed to the model (1..{MAX_WINDOW})")
    p.add_argument("--epochs", type=epochs_arg, metavar="N|auto",
                   help="epochs, or auto: a budget of optim.auto_steps optimiser steps (default 3000) sized from "
                        "the training set, 5%% warm-up, and, unless set, label smoothing 0.1 and EMA of weights "
                        "(docs/TRAINING.md)")
    p.add_argument("--batch-size", type=int_range(1, 65_536))
    p.add_argument("--lr", type=finite_float(0.0, 10.0, lo_open=True), help="learning rate, in (0, 10]")
    p.add_argument("--seed", type=int_range(0, 2**32 - 1))
    p.add_argument("--threads", type=int_range(0, 1024), help="torch CPU threads (0 = all cores)")
    p.add_argument("--eval-interval", type=int_range(1, 100_000), metavar="N",
                   help="validate every N epochs (and at the last); other settings, e.g. "
                        "preprocess.use_score=true (confidence as an input channel), go through --set")
    p.add_argument("--no-acl", action="store_true", help="cross-entropy only (ablation baseline)")
    p.add_argument("--name", help="run name (default: the config's)")
    p.add_argument("--out", help="run directory (default runs/NAME)")
    p.add_argument("--resume", metavar="CKPT", help="continue a run exactly from its last.pt")
    p.add_argument("--init", metavar="CKPT", help="start from a trained model's weights (fine-tuning, e.g. from a "
                   "synthetic pretraining in the same layout); the class head is new when the classes differ. "
                   "A recordings folder starts from the shipped action model unless --init none")
    p.add_argument("--distill", nargs="+", metavar="CKPT", help="learn also from these trained models' softened "
                   "predictions on the training set (knowledge distillation, e.g. a J+B+JM+BM ensemble into one "
                   "stream; docs/TRAINING.md); distill.alpha, distill.temperature go through --set")
    p.add_argument("--distill-online", action="store_true", help="the --distill models score every augmented "
                   "training batch instead of once before training (about one forward pass per teacher and batch)")
    p.add_argument("--distill-weights", type=float_list(0.0, 1e6, lo_open=True), metavar="W,W,...",
                   help="one weight per --distill model, e.g. 2,2,1,1")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config key, e.g. --set optim.lr=0.05 --set acl.use_inter=false")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    from aclnet_core.train.trainer import Trainer

    cfg = train_config(args)
    trainer = Trainer(cfg, resume=args.resume, progress=not args.no_progress)
    for note in _deferred_notes(args) if trainer.dist.is_main else ():   # after the data has loaded: bad
        print(f"note: {note}", file=sys.stderr)                          # input stays a one-line error
    result = trainer.fit()
    if trainer.dist.is_main:
        print(f"best val top-1 {result.best_top1:.4f} at epoch {result.best_epoch}; last {result.last_top1:.4f}; "
              f"{result.seconds / 60:.1f} min; checkpoints in {result.run_dir}")
    return 0


def train_config(args: argparse.Namespace):
    """The TrainConfig of a `train` command line: the config file, the flags, then --set overrides. --data without
    --kind gives the data's own kind, and a config template's options of another kind are dropped."""
    from aclnet_core.train.config import load_config

    mapping = {"data": "data.path", "kind": "data.kind", "layout": "data.layout", "train_split": "data.train_split",
               "val_split": "data.val_split", "preset": "preset", "modality": "preprocess.modality",
               "window": "preprocess.window", "epochs": "optim.epochs", "batch_size": "optim.batch_size",
               "lr": "optim.lr", "seed": "seed", "name": "name", "out": "out_dir", "init": "init_from",
               "threads": "threads", "eval_interval": "eval_interval"}
    from_scratch = args.init == "none"      # recordings: --init none trains from scratch
    if from_scratch:
        args.init = None
    overrides = [f"{key}={getattr(args, attr)}" for attr, key in mapping.items() if getattr(args, attr) is not None]
    if args.no_acl:
        overrides.append("acl.enabled=false")
    if (args.distill_online or args.distill_weights is not None) and not args.distill:
        from aclnet_core.errors import UserError
        flag = "--distill-online" if args.distill_online else "--distill-weights"
        raise UserError(f"{flag} needs --distill")
    if args.distill:
        overrides.append("distill.teachers=" + json.dumps(list(args.distill)))
        if args.distill_weights is not None:
            overrides.append("distill.weights=" + json.dumps(list(args.distill_weights)))
        if args.distill_online:
            overrides.append("distill.online=true")
    kind = args.kind
    if args.data and not args.kind:     # the data's own kind, not the config template's
        kind = _guess_kind(args.data)
        overrides.insert(0, "data.kind=" + kind)
    if kind == "recordings" and args.data and not args.config and not args.resume:
        overrides = _recordings_defaults(args, overrides, from_scratch)
    template = load_config(args.config, args.overrides) if args.config else None
    cfg = load_config(args.config, overrides + args.overrides)
    if not args.resume:
        cfg = _auto_regularisation(args, cfg, overrides)
    if template is not None and template.data.kind != cfg.data.kind:   # the template's kind-specific options
        dropped = sorted(cfg.data.options)                               # do not apply to another kind
        cfg.data.options, cfg.data.label_names = {}, None
        if dropped:
            print(f"note: {cfg.data.kind} data: dropped the config's {template.data.kind} options "
                  f"({', '.join(dropped)})", file=sys.stderr)
    return cfg


def _deferred_notes(args: argparse.Namespace) -> list[str]:
    """Notes about the resolved training config, printed once the trainer has read the data."""
    return args.__dict__.setdefault("train_notes", [])


def _auto_regularisation(args: argparse.Namespace, cfg, overrides: list[str]):
    """`--epochs auto` (or a config's `epochs: auto`) adds small-set regularisation the user did not set."""
    from aclnet_core.train.budget import is_auto, small_data_regularisation
    from aclnet_core.train.config import load_config

    if not is_auto(cfg.optim.epochs):
        return cfg
    explicit = {item.split("=", 1)[0].strip() for item in overrides + args.overrides}
    extra = small_data_regularisation(cfg, explicit)
    if not extra:
        return cfg
    _deferred_notes(args).append(f"--epochs auto adds {', '.join(extra)} (set them to change)")
    return load_config(args.config, overrides + extra + args.overrides)


def _recordings_defaults(args: argparse.Namespace, overrides: list[str], from_scratch: bool) -> list[str]:
    """Small-data defaults for a folder of recordings (aclnet_core.train.recordings_setup)."""
    from aclnet_core.train.recordings_setup import plan_recordings_training

    explicit = {item.split("=", 1)[0].strip() for item in overrides + args.overrides}
    init = None if from_scratch else (args.init or _shipped_action_checkpoint())
    if from_scratch:
        explicit.add("init_from")
    plan = plan_recordings_training(args.data, explicit, init, args.layout or "mediapipe33")
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    return plan.overrides + overrides


def _shipped_action_checkpoint() -> str | None:
    path = ROOT / "assets" / "models" / "action.pt"
    return str(path) if path.is_file() else None


def _guess_kind(path: str) -> str:
    """The dataset kind of --data: a .pkl is pyskl, a motion-capture folder is mocap, a folder holding .npz
    recordings (at any depth) is recordings, a folder of NW-UCLA json files is nw_ucla."""
    p = Path(path)
    if p.suffix == ".pkl":
        return "pyskl"
    if p.is_dir() and _is_mocap_folder(p):
        return "mocap"
    if p.is_dir() and next(p.rglob("*.npz"), None) is not None:     # recordings at any depth (DIR/<label>/)
        return "recordings"
    if p.suffix == ".npz":
        return "recordings"
    return "nw_ucla" if p.is_dir() else "pyskl"


def _is_mocap_folder(p: Path) -> bool:
    """Motion capture: a manifest.csv, BVH files, or .npz trials holding 'joints' and 'joint_names'."""
    if (p / "manifest.csv").is_file() or next(p.rglob("*.bvh"), None) is not None:
        return True
    first = next(p.rglob("*.npz"), None)
    if first is None:
        return False
    try:
        import numpy as np

        with np.load(first, allow_pickle=False) as data:
            return {"joints", "joint_names"} <= set(data.files)
    except (OSError, ValueError):
        return False


def add_eval_parser(sub) -> None:
    p = sub.add_parser("eval", help="evaluate checkpoints (one stream or an ensemble)",
                       description="Top-1/top-5, per-class accuracy, confusion matrix PNG and results JSON. "
                       "Several checkpoints are fused as a weighted sum of softmax probabilities. " + TRUST_NOTE)
    p.add_argument("checkpoints", nargs="+", type=Path, metavar="CKPT")
    _add_data_args(p, ("split",))
    p.add_argument("--clips", type=int_range(1, 1000), default=10, help="test clips per sample (default 10); "
                   "with --task identification, the windows per sequence that make its template")
    p.add_argument("--flip", action="store_true",
                   help="also average over the mirrored clips (left/right swapped); only for models trained with "
                        "flip augmentation, i.e. where left and right do not change the label")
    p.add_argument("--yaw", type=float_list(-3.1416, 3.1416), metavar="RAD[,RAD…]",
                   help="also average over copies turned about the vertical axis by these angles in radians, e.g. "
                        "--yaw=-0.5,0.5 (with '=' as it starts with '-'; 3D joints only; for models trained with yaw turns, augment.rotate_y)")
    p.add_argument("--weights", type=float_list(0.0, 1e6, lo_open=True),
                   help="ensemble weights (positive), e.g. 2,2,1,1 for J,B,JM,BM")
    p.add_argument("--out", type=Path, help="folder for results.json and confusion.png")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="override a data option of the checkpoint's config (YAML value), e.g. --option seed=7 "
                        "--option n_eval_per_class=50 for a fresh synthetic test set")
    p.add_argument("--task", choices=("action", "identification"), default="action",
                   help="action: class accuracy (default); identification: gait/person identification of a gallery "
                        "split against probe splits, people enrolled as templates as the app does "
                        "(rank-1/5, mAP, TAR@FAR, EER, per condition)")
    g = p.add_argument_group("identification (--task identification)")
    g.add_argument("--gallery-split", metavar="NAME", help="split enrolled as the gallery (default train)")
    g.add_argument("--probe-split", type=name_list, metavar="NAME[,NAME…]",
                   help="probe split(s) (default val); several splits are reported one by one as conditions")
    g.add_argument("--templates", choices=("person", "walk"),
                   help="person (default): one template per person from all their gallery windows; walk: one "
                        "per gallery sequence, a person scoring their best")
    g.add_argument("--condition-key", type=regex, metavar="REGEX",
                   help="group probes by what this regular expression finds in the sequence name (its first "
                        "group), e.g. '_v(\\d+)' for the view, and report each condition")
    g.add_argument("--far", type=finite_float(0.0, 1.0, lo_open=True, hi_open=True),
                   help="false accept rate of the TAR@FAR operating point (default 0.01)")
    p.set_defaults(func=run_eval)


ID_ONLY = ("gallery_split", "probe_split", "templates", "condition_key", "far")


def run_identification(args: argparse.Namespace, overrides: dict) -> int:
    """`eval --task identification`: aclnet_core.eval.id_protocol on one checkpoint."""
    import json

    from aclnet_core.errors import UserError
    from aclnet_core.eval.id_protocol import IdProtocol, evaluate_protocol, format_report

    if len(args.checkpoints) != 1:
        raise UserError("--task identification evaluates one checkpoint at a time")
    for flag, given in (("--split", args.split), ("--weights", args.weights), ("--flip", args.flip or None),
                         ("--yaw", args.yaw)):
        if given is not None:
            raise UserError(f"{flag} is for --task action; identification uses --gallery-split / --probe-split")
    protocol = IdProtocol(gallery_split=args.gallery_split or "train", probe_splits=args.probe_split or ("val",),
                          templates=args.templates or "person", condition_key=args.condition_key or "",
                          far=0.01 if args.far is None else args.far, clips=args.clips)
    result = evaluate_protocol(args.checkpoints[0], overrides, protocol, args.out)
    print(json.dumps(result.to_dict(), indent=2) if args.json else format_report(result))
    if args.out and not args.json:
        print(f"results in {args.out}/identification.json")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    import json

    from aclnet_core.eval.evaluate import evaluate

    weights = args.weights
    if args.out is not None:
        from aclnet_core.io_utils import check_output_dir

        check_output_dir(args.out)          # before minutes of evaluation
    kind = args.kind or (_guess_kind(args.data) if args.data else None)    # --data is not the stored kind's
    overrides = {"path": args.data, "kind": kind, "layout": args.layout}
    if args.option:
        from aclnet_core.train.config import apply_overrides

        overrides["options"] = apply_overrides({}, args.option)
    if args.task == "identification":
        return run_identification(args, overrides)
    given = [name for name in ID_ONLY if getattr(args, name) is not None]
    if given:
        from aclnet_core.errors import UserError

        raise UserError(f"--{given[0].replace('_', '-')} needs --task identification")
    yaw = tuple(args.yaw or ())
    result = evaluate(args.checkpoints, overrides, args.split, args.clips, weights, args.out, flip=args.flip,
                      yaw=yaw)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        for s in result.streams if len(result.streams) > 1 else []:
            print(f"  {Path(s['checkpoint']).name} ({s['modality']}, w={s['weight']}): top-1 {s['top1']:.4f}")
        top5 = f", top-5 {result.top5:.4f}" if result.top5 is not None else ""
        print(f"top-1 {result.top1:.4f}{top5}, mean class accuracy {result.mean_class_accuracy:.4f} "
              f"on {result.num_samples} samples ({args.clips} clips{' + mirrored' if args.flip else ''}"
              f"{f' + turned {list(yaw)} rad' if yaw else ''})")
        if args.out:
            print(f"results in {args.out}/results.json and {args.out}/confusion.png")
    return 0


def _optional(module: str, func: str) -> Callable | None:
    """A subcommand registrar from a module that may not be present in this build."""
    import importlib
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):     # the module itself is absent: skip the subcommand
            return None
        raise
    return getattr(mod, func, None)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="main.py", description="ACLNet Live: skeleton-based action recognition "
                                     "and gait identification, live or from video.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module, func in (("app.gui.cli", "add_gui_parser"), ("app.cli", "add_annotate_parser")):
        register = _optional(module, func)
        if register:
            register(sub)
    add_train_parser(sub)
    add_eval_parser(sub)
    for module, func in (("aclnet_core.export.cli", "add_export_parser"), ("app.cli", "add_bench_parser"),
                         ("app.gallery_cli", "add_gallery_parser"), ("app.actions_cli", "add_actions_parser"),
                         ("app.cli", "add_record_parser"),
                         ("app.synth_cli", "add_synth_parser")):
        register = _optional(module, func)
        if register:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from aclnet_core.errors import UserError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            if "gui" not in parser._subparsers._group_actions[0].choices:
                parser.print_help()
                return 0
            args = parser.parse_args(["gui", *(argv or [])])
    except SystemExit as exc:              # --help (0) or a one-line parse error (2)
        return exc.code if isinstance(exc.code, int) else 2
    from aclnet_core.safe_load import trusting_pickles

    try:
        with trusting_pickles(getattr(args, "trust_pickle", False)):
            return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
