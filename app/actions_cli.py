"""`main.py actions …`: teach custom actions from a few examples and manage the action library.

The library is `--actions PATH`, else $ACLNET_ACTIONS, else `<user data dir>/aclnet-live/actions.sqlite`.
Every change is one transaction: bad input leaves the library as it was.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from aclnet_core.cli_types import backend_name, finite_float, int_range, source_arg
from aclnet_core.errors import UserError
from app.store_cli import StoreWords, add_management_parsers


def _common() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--actions", dest="actions", metavar="PATH",
                        help="action library file (default: $ACLNET_ACTIONS or the user data directory)")
    return parent


def add_actions_parser(subparsers) -> None:
    common = _common()
    p = subparsers.add_parser("actions", help="teach custom actions from a few examples; manage the action library",
                              description="Teach the app your own actions from a few examples each (no training): "
                              "examples are embedded by the action encoder and recognised live by similarity. "
                              "For a new model trained on many recordings use `train` instead.")
    sub = p.add_subparsers(dest="actions_command", metavar="ACTION", required=True)

    a = sub.add_parser("add", parents=[common], help="add a custom action from example clips",
                       description="Each SOURCE (a video, a .npz recording, a camera index, synthetic[:SEED]) is one "
                       "example of the action NAME; 3-5 examples are enough. --start/--end cut the same span of "
                       "each source.")
    a.add_argument("name")
    a.add_argument("sources", nargs="+", metavar="SOURCE", type=source_arg)
    a.add_argument("--start", type=finite_float(0.0, 86400.0), default=0.0, metavar="S",
                   help="span start in seconds (default 0)")
    a.add_argument("--end", type=finite_float(0.0, 86400.0, lo_open=True), metavar="S",
                   help="span end in seconds (default: the end of the source)")
    a.add_argument("--track", type=int_range(0, 1_000_000), metavar="N",
                   help="the tracked person to use (default: the one seen longest)")
    a.add_argument("--append", action="store_true", help="add examples to an existing action")
    a.add_argument("--model", metavar="PATH", help="action encoder .pt/.onnx (default: the shipped one)")
    a.add_argument("--backend", type=backend_name, default="auto", help="inference backend (default: auto)")
    a.set_defaults(func=run_add)

    add_management_parsers(sub, common, StoreWords("library", "a custom action", "the custom actions", "its examples", "actions", "an existing action", "examples"),
                           {"list": run_list, "rename": run_rename, "remove": run_remove, "export": run_export,
                            "import": run_import})

    ev = sub.add_parser("eval", parents=[common], help="leave-one-example-out accuracy and the open-set threshold",
                        description="Score each example against the library without it: the top-1 accuracy among "
                        "the custom actions and the open-set threshold it implies (used live).")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=run_eval)


def _open(args: argparse.Namespace, create: bool = True):
    from app.actions.library import ActionLibrary, resolve_actions_path

    path = resolve_actions_path(getattr(args, "actions", None))
    if not create and not path.exists():
        raise UserError(f"no action library at {path} (add an action first, or pass --actions)")
    return ActionLibrary(path, create=create)


def _check_span(args: argparse.Namespace) -> None:
    if not (math.isfinite(args.start) and args.start >= 0):
        raise UserError(f"--start must be a finite number >= 0, not {args.start}")
    if args.end is not None and not (math.isfinite(args.end) and args.end > args.start):
        raise UserError(f"--end must be a finite number greater than --start ({args.start:g}), not {args.end}")
    if args.track is not None and args.track < 0:
        raise UserError(f"--track must be >= 0, not {args.track}")


def format_calibration(cal) -> str:
    """One line about a library's leave-one-example-out result."""
    if cal is None or cal.accuracy is None:
        return "leave-one-out: needs 2 examples of an action"
    return (f"leave-one-out accuracy {cal.accuracy:.0%} ({cal.correct}/{cal.total}); "
            f"open-set threshold {cal.threshold:.3f}")


def run_add(args: argparse.Namespace) -> int:
    from app.actions.examples import collect_example, open_action_runtime
    from app.actions.library import check_action_name, example_key, resolve_actions_path
    from app.actions.matcher import leave_one_out
    from app.sources import open_source

    name = check_action_name(args.name)
    _check_span(args)
    path = resolve_actions_path(args.actions)
    if path.exists():  # fail fast on a bad library or a taken name, before any model or video
        with _open(args, create=False) as library:
            taken = name in library
    else:
        taken = False  # a new library is created only once the examples are ready
    if taken and not args.append:
        raise UserError(f"the action library already has an action named {name!r} (use --append to add "
                        "examples, or another name)")
    if not taken and args.append:
        raise UserError(f"no action named {name!r} in the action library")
    for spec in args.sources:
        open_source(spec).close()  # a missing or unreadable source is refused before the model loads
    runtime = open_action_runtime(args.model, args.backend)
    model_id = runtime.meta.model_id
    with _open(args) as library:
        library.check_model(model_id)
    vectors, sources = [], []
    for spec in args.sources:
        collection = collect_example(spec, runtime, args.start, args.end, args.track)
        span = f" [{args.start:g}-{args.end:g} s]" if args.end is not None else (
            f" [{args.start:g} s-]" if args.start else "")
        key = example_key(f"{spec}{span} track {collection.track_id}")
        vectors.extend(collection.embeddings)
        sources.extend([key] * len(collection.embeddings))
    with _open(args) as library:
        action = library.add_templates(name, vectors, model_id, sources=sources, num_windows=0,
                                       exists_ok=args.append)
        cal = leave_one_out(*library.examples())
        path = library.path
    print(f"added {len(args.sources)} example(s) of {action.name} ({action.num_templates} in all, "
          f"{len(vectors)} windows) to {path}; " + format_calibration(cal))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from app.actions.matcher import leave_one_out

    with _open(args, create=False) as library:
        actions, model_id, path = library.persons(), library.model_id, library.path
        cal = leave_one_out(*library.examples())
    if args.json:
        print(json.dumps({"library": str(path), "model_id": model_id, "threshold": cal.threshold,
                          "actions": [{"name": a.name, "examples": a.num_templates, "created_at": a.created_at,
                                       "updated_at": a.updated_at} for a in actions]}, indent=2))
        return 0
    if not actions:
        print(f"{path}: no custom actions")
        return 0
    width = max(len(a.name) for a in actions)
    print(f"{path} (action model {model_id}; {format_calibration(cal)}):")
    for a in actions:
        print(f"  {a.name:<{width}}  {a.num_templates:3d} example(s)  added {a.created_at}")
    return 0


def run_rename(args: argparse.Namespace) -> int:
    with _open(args, create=False) as library:
        action = library.rename(args.old, args.new)
    print(f"renamed {args.old.strip()} to {action.name}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with _open(args, create=False) as library:
        library.remove(args.name)
        path = library.path
    print(f"removed {args.name.strip()} and its examples from {path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    with _open(args, create=False) as library:
        count = library.export(args.file)
    print(f"exported {count} action(s) to {args.file}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    with _open(args) as library:
        count = library.import_(args.file, args.on_conflict)
        path = library.path
    print(f"imported {count} action(s) into {path}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from app.actions.matcher import leave_one_out

    with _open(args, create=False) as library:
        vectors, names, groups = library.examples()
        path = library.path
    if not names:
        raise UserError(f"the action library {path} is empty: add actions first")
    cal = leave_one_out(vectors, names, groups)
    if args.json:
        print(json.dumps({"library": str(path), "accuracy": cal.accuracy, "correct": cal.correct,
                          "total": cal.total, "threshold": cal.threshold, "per_action": cal.per_action}, indent=2))
        return 0
    print(format_calibration(cal))
    for name, acc in sorted(cal.per_action.items()):
        print(f"  {name}: {acc:.0%}")
    if sys.stdout.isatty() and cal.accuracy is not None and cal.accuracy < 0.8:
        print("note: add more (or more distinct) examples to the actions that are confused")
    return 0
