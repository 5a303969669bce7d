"""From the last example to live recognition: a running pipeline, an action taught meanwhile, the delay.

    python -m app.actions.latency_check

A generated recording (synthetic clap clips of other takes, back to back) plays in real time through the live
pipeline with the shipped action model and an empty action library. Meanwhile, as `actions add` would, the
examples (other clap clips) are embedded and stored through a second connection to the library. Reported: the
seconds from storing the last example to the first frame labelled with the new action (the stream keeps
playing; the recogniser re-reads the library at its next window).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def _clip(action: str, seed: int):
    from aclnet_core.data.synthetic import MotionGenerator

    sample = MotionGenerator(seed).action(action, num_frames=90)
    return sample.world, sample.visibility


def main() -> int:
    from aclnet_core.data.recording import save_recording
    from aclnet_core.data.sequence import SkeletonSequence
    from app.actions.examples import collect_example, open_action_runtime
    from app.actions.library import ActionLibrary, example_key
    from app.actions.live import CustomActions
    from app.pipeline import Pipeline
    from app.recogniser import Recogniser
    from app.sources import PacedSource, open_source

    folder = Path(tempfile.mkdtemp(prefix="aclnet-latency-"))
    order = ["clap"] * 10  # the person keeps doing the action while it is taught
    parts = [_clip(a, 50 + k) for k, a in enumerate(order)]
    seq = SkeletonSequence(np.concatenate([p[0] for p in parts])[None], -1, "mediapipe33",
                           score=np.concatenate([p[1] for p in parts])[None])
    stream = save_recording(folder / "stream.npz", seq, "mixed", 30.0)
    examples = []
    for k in range(3):
        w, v = _clip("clap", 90 + k)
        examples.append(save_recording(folder / f"clap{k}.npz", SkeletonSequence(w[None], -1, "mediapipe33",
                                                                                score=v[None]), "clap", 30.0))
    runtime = open_action_runtime()
    library_path = folder / "actions.sqlite"
    live = CustomActions(ActionLibrary(library_path), runtime.meta.model_id)
    stored: dict[str, float] = {}

    def teach() -> None:
        stored["began"] = time.monotonic()
        teacher_runtime = open_action_runtime()
        with ActionLibrary(library_path) as library:
            vectors, keys = [], []
            for path in examples:
                windows = collect_example(str(path), teacher_runtime).embeddings
                vectors += windows
                keys += [example_key(str(path))] * len(windows)
            library.add_templates("clapping", vectors, runtime.meta.model_id, sources=keys)
        stored["at"] = time.monotonic()

    recogniser = Recogniser(runtime, actions=live)
    shown = None
    with Pipeline(PacedSource(open_source(str(stream))), recogniser) as pipeline:
        started = time.monotonic()
        for result in pipeline.results():
            if "at" not in stored and "thread" not in stored and time.monotonic() - started > 3.0:
                stored["thread"] = 1.0
                threading.Thread(target=teach, daemon=True).start()
            if "at" in stored and any(p.label == "clapping" for p in result.predictions.values()):
                shown = time.monotonic()
                break
    if shown is None:
        print("the taught action was never shown", file=sys.stderr)
        return 1
    print(f"3 examples embedded and stored in {stored['at'] - stored['began']:.2f} s (model load included); "
          f"stored -> 'clapping' shown live: {shown - stored['at']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
