"""`main.py gallery …`: enrol people by their gait, identify, and manage the gallery file.

The gallery is `--gallery PATH`, else $ACLNET_GALLERY, else `<user data dir>/aclnet-live/gallery.sqlite`.
"""

from __future__ import annotations

import argparse
import json
import sys

from aclnet_core.cli_types import backend_name, finite_float, int_range, source_arg
from aclnet_core.errors import UserError
from app.store_cli import StoreWords, add_management_parsers

BIOMETRIC_NOTE = ("Gait templates are biometric data: the gallery file is private (mode 0600) and `remove` "
                  "erases a person's data from it.")


_walk_seconds = finite_float(0.0, 3600.0, lo_open=True)    # a walk of up to an hour


def _common(dest: str = "gallery") -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--gallery", dest=dest, metavar="PATH", help="gallery file (default: $ACLNET_GALLERY or "
                        "the user data directory)")
    return parent


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gait-model", metavar="PATH", help="gait model .pt/.onnx (default: the shipped one)")
    p.add_argument("--backend", default="auto", type=backend_name, help="inference backend (default: auto)")
    p.add_argument("--start", type=finite_float(0.0, 86400.0), default=0.0, metavar="S",
                   help="skip the first S seconds of the source")
    p.add_argument("--min-stride", type=finite_float(0.0, 2.0), default=None, metavar="M",
                   help="quality gate: how far (metres) the feet must move apart and together for a walk "
                        "(default 0.12; 0 accepts any motion)")


def add_gallery_parser(subparsers) -> None:
    common = _common()
    p = subparsers.add_parser("gallery", help="enrol people by their gait and manage the gallery",
                              description="Enrol people by their gait, identify them, and manage the gallery. "
                              + BIOMETRIC_NOTE, parents=[_common("gallery_top")])
    sub = p.add_subparsers(dest="gallery_command", metavar="ACTION", required=True)

    e = sub.add_parser("enroll", aliases=["enrol"], parents=[common], help="add a person from a walking clip",
                       description="Record gait templates of the person walking in SOURCE (a video file or a "
                       "camera index) and store them under NAME. Enrolling an existing name adds templates.")
    e.add_argument("name")
    e.add_argument("source", type=source_arg)
    e.add_argument("--seconds", type=_walk_seconds, default=10.0, metavar="N",
                   help="seconds of walking to use (default 10)")
    e.add_argument("--per-template", type=int_range(0, 100_000), default=8, metavar="W",
                   help="windows per template; a long walk gives several templates (default 8, 0 = one)")
    e.add_argument("--new", action="store_true", help="refuse if NAME is already enrolled")
    _model_args(e)
    e.set_defaults(func=run_enroll)

    i = sub.add_parser("identify", parents=[common], help="who is walking in a clip",
                       description="Match the person walking in SOURCE against the gallery.")
    i.add_argument("source", type=source_arg)
    i.add_argument("--seconds", type=_walk_seconds, default=10.0, metavar="N", help="seconds to watch (default 10)")
    i.add_argument("--threshold", type=finite_float(-1.0, 1.0),
                   help="open-set cosine threshold, -1..1 (default: the model's calibrated one)")
    i.add_argument("--json", action="store_true")
    _model_args(i)
    i.set_defaults(func=run_identify)

    add_management_parsers(sub, common, StoreWords("gallery", "a person", "enrolled people", "all their templates", "people", "a name already enrolled", "templates"),
                           {"list": run_list, "rename": run_rename, "remove": run_remove, "export": run_export,
                            "import": run_import})


def _open(args: argparse.Namespace, create: bool = True):
    from app.gallery.paths import resolve_gallery_path
    from app.gallery.store import GalleryStore

    path = resolve_gallery_path(getattr(args, "gallery", None) or getattr(args, "gallery_top", None))
    if not create and not path.exists():
        raise UserError(f"no gallery at {path} (enrol someone first, or pass --gallery)")
    return GalleryStore(path, create=create)


def _progress(total: float | None):
    if not sys.stderr.isatty():
        return None

    def show(seconds: float) -> None:
        limit = f"/{total:.0f}" if total else ""
        print(f"\r  {seconds:5.1f}{limit} s", end="", file=sys.stderr, flush=True)
    return show


def _runtime(args: argparse.Namespace):
    from app.gallery.enrol import open_gait_runtime

    if args.seconds is not None and args.seconds <= 0:
        raise UserError("--seconds must be positive")
    return open_gait_runtime(args.gait_model, args.backend)


def _open_source(args: argparse.Namespace):
    from app.gallery.enrol import open_clipped_source

    return open_clipped_source(args.source, args.start, args.seconds)


def _collect(args: argparse.Namespace, runtime, source=None, allow_rejected: bool = False):
    from app.gallery.enrol import MIN_STRIDE_M, collect_from_runtime

    min_stride = MIN_STRIDE_M if args.min_stride is None else float(args.min_stride)
    source = source if source is not None else _open_source(args)
    collection = collect_from_runtime(source, runtime, progress=_progress(args.seconds), min_stride_m=min_stride)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if not collection.embeddings and not (allow_rejected and collection.rejected):
        from app.recogniser import meta_sample_fps

        window_s = (int(runtime.meta.preprocess_config().window) - 1) / meta_sample_fps(runtime.meta)
        raise UserError(collection.too_short_message(str(args.source), window_s))
    return collection


def run_enroll(args: argparse.Namespace) -> int:
    import numpy as np

    from app.gallery.store import check_name
    from app.gallery.templates import split_into_templates

    name = check_name(args.name)
    runtime = _runtime(args)
    source = _open_source(args)      # a missing source fails before a gallery is created
    try:
        with _open(args) as store:   # fail fast on a bad gallery or the wrong model before minutes of video
            store.check_model(runtime.meta.model_id)
            if args.new and name in store:
                raise UserError(f"{name!r} is already enrolled (drop --new to add templates)")
    except BaseException:
        source.close()
        raise
    collection = _collect(args, runtime, source)
    model_id = runtime.meta.model_id
    templates = split_into_templates(np.stack(collection.embeddings), args.per_template)
    with _open(args) as store:
        store.check_model(model_id)
        person = store.add_templates(name, (t.vector for t in templates), model_id, source=str(args.source),
                                     num_windows=int(np.mean([t.num_used for t in templates])))
        path = store.path
    consistency = min(t.consistency for t in templates)
    print(f"enrolled {person.name}: {len(templates)} new template(s) from {len(collection.embeddings)} windows "
          f"(tracked {collection.tracked_seconds:.1f} s of {collection.seconds:.1f} s, track "
          f"{collection.track_id}); {person.num_templates} template(s) in "
          f"{path}")
    if len(collection.windows_per_track) > 1:
        print(f"note: {len(collection.windows_per_track)} people were seen; the one seen longest was enrolled",
              file=sys.stderr)
    if consistency < 0.5:
        print(f"note: the windows agree poorly (consistency {consistency:.2f}); enrol a longer, steadier walk",
              file=sys.stderr)
    return 0


def run_identify(args: argparse.Namespace) -> int:
    import numpy as np

    from app.gallery.matcher import Matcher, resolve_threshold
    from app.gallery.templates import build_template

    runtime = _runtime(args)
    threshold = resolve_threshold(args.threshold, runtime.meta)
    with _open(args, create=False) as store:
        if len(store) == 0:
            raise UserError(f"the gallery {store.path} is empty: enrol someone first")
        store.check_model(runtime.meta.model_id)
        collection = _collect(args, runtime, allow_rejected=True)
        matcher = Matcher.from_store(store, threshold, runtime.meta.model_id)
    if collection.rejected:  # the quality gate: no gait to compare, so no one is recognised
        if args.json:
            print(json.dumps({"name": None, "score": None, "candidate": None, "runner_up": None,
                              "runner_up_score": None, "threshold": threshold, "windows": 0,
                              "track": collection.track_id, "tracked_seconds": round(collection.tracked_seconds, 2),
                              "clip_seconds": round(collection.seconds, 2), "rejected": collection.rejected},
                             indent=2))
        else:
            print(f"unknown ({collection.rejected})")
        return 0
    template = build_template(np.stack(collection.embeddings))
    match = matcher.match(template.vector)
    if args.json:
        print(json.dumps({"name": match.name, "score": match.score, "candidate": match.candidate,
                          "runner_up": match.runner_up, "runner_up_score": match.runner_up_score,
                          "threshold": match.threshold, "windows": len(collection.embeddings),
                          "track": collection.track_id, "tracked_seconds": round(collection.tracked_seconds, 2),
                          "clip_seconds": round(collection.seconds, 2)}, indent=2))
        return 0
    if match.is_known:
        second = f"; next {match.runner_up} {match.runner_up_score:.3f}" if match.runner_up else ""
        print(f"{match.name} (score {match.score:.3f} >= {match.threshold:.3f}{second})")
    else:
        closest = f"; closest {match.candidate} {match.score:.3f}" if match.candidate else ""
        print(f"unknown (below threshold {match.threshold:.3f}{closest})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with _open(args, create=False) as store:
        persons, model_id, path = store.persons(), store.model_id, store.path
    if args.json:
        print(json.dumps({"gallery": str(path), "model_id": model_id,
                          "persons": [p.__dict__ for p in persons]}, indent=2))
        return 0
    if not persons:
        print(f"{path}: no one enrolled")
        return 0
    width = max(len(p.name) for p in persons)
    print(f"{path} (gait model {model_id}):")
    for p in persons:
        print(f"  {p.name:<{width}}  {p.num_templates:3d} template(s)  enrolled {p.created_at}  updated {p.updated_at}")
    return 0


def run_rename(args: argparse.Namespace) -> int:
    with _open(args, create=False) as store:
        person = store.rename(args.old, args.new)
    print(f"renamed {args.old.strip()} to {person.name}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with _open(args, create=False) as store:
        wiped = store.remove(args.name)
        path = store.path
    print(f"removed {args.name.strip()} and all their templates from {path}")
    if not wiped:
        print("note: another program has the gallery open; the removed data is erased from its log file "
              "when that program closes the gallery", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    with _open(args, create=False) as store:
        count = store.export(args.file)
    print(f"exported {count} person(s) to {args.file} (mode 0600: it holds biometric templates)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    with _open(args) as store:
        count = store.import_(args.file, args.on_conflict)
        path = store.path
    print(f"imported {count} person(s) into {path}")
    return 0
