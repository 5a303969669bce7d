"""Custom actions: the action library (store, CLI), few-shot matching, calibration and live merging."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from recording_fixtures import write_action_recording, write_empty_recording

from aclnet_core.errors import UserError
from app.actions.library import ACTIONS_ENV, ActionLibrary, resolve_actions_path
from app.actions.live import CONFIDENCE_AT_THRESHOLD, merge_probabilities
from app.actions.matcher import MIN_THRESHOLD, ActionMatcher, CustomMatch, leave_one_out
from app.gallery.store import GalleryStore

ROOT = Path(__file__).resolve().parents[1]
DIM = 16


def cluster(centre: int, n: int, rng, spread: float = 0.15) -> np.ndarray:
    base = np.zeros(DIM)
    base[centre] = 1.0
    x = base + spread * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}, check=False)


# ------------------------------------------------------------------------------------------------ library
def test_library_is_private_and_refuses_foreign_files(tmp_path):
    path = tmp_path / "actions.sqlite"
    with ActionLibrary(path) as lib:
        lib.add_templates("wave hello", cluster(0, 3, np.random.default_rng(0)), "model-a")
        assert [(a.name, a.num_templates) for a in lib.persons()] == [("wave hello", 3)]
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    gallery = tmp_path / "gallery.sqlite"
    GalleryStore(gallery).close()
    with pytest.raises(UserError, match="not an action library"):
        ActionLibrary(gallery)
    with pytest.raises(UserError, match="not a gallery"):
        GalleryStore(path)
    with ActionLibrary(path) as lib, pytest.raises(UserError, match="action model"):
        lib.add_templates("other", cluster(1, 1, np.random.default_rng(0)), "model-b")


def test_library_export_import_and_duplicate_names(tmp_path):
    rng = np.random.default_rng(1)
    with ActionLibrary(tmp_path / "a.sqlite") as lib:
        lib.add_templates("clapping", cluster(0, 3, rng), "m")
        with pytest.raises(UserError, match="already has an action named 'Clapping'"):
            lib.add_templates("Clapping", cluster(0, 1, rng), "m", exists_ok=False)
        lib.export(tmp_path / "a.json")
    with ActionLibrary(tmp_path / "b.sqlite") as other:
        assert other.import_(tmp_path / "a.json") == 1
        assert other.examples()[1] == ["clapping"] * 3
    GalleryStore(tmp_path / "g.sqlite").export(tmp_path / "g.json")
    with ActionLibrary(tmp_path / "b.sqlite") as other, pytest.raises(UserError, match="not an ACLNet Live action"):
        other.import_(tmp_path / "g.json")


def test_actions_path_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv(ACTIONS_ENV, str(tmp_path / "env.sqlite"))
    assert resolve_actions_path() == tmp_path / "env.sqlite"
    assert resolve_actions_path(tmp_path / "x.sqlite") == tmp_path / "x.sqlite"
    monkeypatch.delenv(ACTIONS_ENV)
    assert resolve_actions_path().name == "actions.sqlite"


# ------------------------------------------------------------------------------------------------ matching
def test_leave_one_out_and_threshold_separate_actions():
    rng = np.random.default_rng(2)
    vectors = np.concatenate([cluster(0, 5, rng), cluster(1, 5, rng), cluster(2, 5, rng)])
    names = ["a"] * 5 + ["b"] * 5 + ["c"] * 5
    cal = leave_one_out(vectors, names)
    assert cal.accuracy == 1.0 and cal.total == 15
    assert cal.impostor.max() < cal.threshold <= cal.genuine.min() + 1e-9
    matcher = ActionMatcher(vectors, names)
    assert matcher.threshold == pytest.approx(cal.threshold)
    known, unknown = matcher.match_many(np.concatenate([cluster(1, 1, rng), cluster(5, 1, rng)]))
    assert known.name == "b" and unknown.name is None and unknown.candidate is not None


def test_leave_one_out_needs_two_examples_and_keeps_a_floor():
    rng = np.random.default_rng(3)
    single = leave_one_out(cluster(0, 1, rng), ["a"])
    assert single.accuracy is None
    noisy = leave_one_out(np.concatenate([cluster(0, 4, rng, 2.0), cluster(0, 4, rng, 2.0)]), ["a"] * 4 + ["b"] * 4)
    assert noisy.threshold >= MIN_THRESHOLD


def test_merge_gives_a_close_custom_action_the_label():
    shipped = np.array([[0.1, 0.9], [0.2, 0.8]])
    matches = [CustomMatch("mine", 0.95, "mine", 0.8), CustomMatch(None, 0.5, "mine", 0.8)]
    merged = merge_probabilities(shipped, ["mine"], matches)
    assert merged.shape == (2, 3)
    assert merged[0, 2] > CONFIDENCE_AT_THRESHOLD and merged[0].argmax() == 2
    np.testing.assert_allclose(merged[0].sum(), 1.0)
    np.testing.assert_allclose(merged[1], [0.2, 0.8, 0.0])


# ------------------------------------------------------------------------------------------------ CLI
@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    out = {}
    for action in ("clap", "kick", "bow"):
        out[action] = [write_action_recording(root / f"{action}_{i}.npz", action, seed=10 + i) for i in range(4)]
    out["empty"] = [write_empty_recording(root / "empty.npz")]
    return out


def test_cli_add_list_eval_and_annotate(tmp_path, clips):
    lib = str(tmp_path / "lib.sqlite")
    r = run_cli("actions", "add", "clapping", *map(str, clips["clap"][:3]), "--actions", lib)
    assert r.returncode == 0, r.stderr
    assert "3 example(s) of clapping" in r.stdout and "leave-one-out accuracy 100%" in r.stdout
    r = run_cli("actions", "add", "kicking", *map(str, clips["kick"][:3]), env={ACTIONS_ENV: lib})
    assert r.returncode == 0, r.stderr
    listing = json.loads(run_cli("actions", "list", "--json", "--actions", lib).stdout)
    assert [(a["name"], a["examples"]) for a in listing["actions"]] == [("clapping", 3), ("kicking", 3)]
    ev = json.loads(run_cli("actions", "eval", "--json", "--actions", lib).stdout)
    assert ev["accuracy"] == 1.0 and ev["total"] == 6
    out = tmp_path / "clap.mp4"
    r = run_cli("annotate", str(clips["clap"][3]), "-o", str(out), "--json", "--actions", lib, "--no-progress")
    assert r.returncode == 0, r.stderr
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert timeline["model"]["custom_actions"] == ["clapping", "kicking"]
    assert {s["label"] for s in timeline["segments"]} == {"clapping"}
    exported = tmp_path / "actions.json"
    assert run_cli("actions", "export", str(exported), "--actions", lib).returncode == 0
    copy = str(tmp_path / "copy.sqlite")
    r = run_cli("actions", "import", str(exported), "--actions", copy)
    assert r.returncode == 0 and "imported 2 action(s)" in r.stdout
    assert [(a.name, a.num_templates) for a in ActionLibrary(copy).persons()] == [("clapping", 3), ("kicking", 3)]
    r = run_cli("actions", "import", str(exported), "--actions", copy)
    assert r.returncode == 2 and "already in the action library" in r.stderr
    r = run_cli("actions", "rename", "kicking", "kick it", "--actions", lib)
    assert r.returncode == 0 and "kick it" in r.stdout
    r = run_cli("actions", "remove", "kick it", "--actions", lib)
    assert r.returncode == 0
    assert [a.name for a in ActionLibrary(lib).persons()] == ["clapping"]


def _snapshot(path: Path):
    with ActionLibrary(path) as lib:
        return [(a.name, a.num_templates) for a in lib.persons()], lib.examples()[1]


@pytest.mark.parametrize("case", ["missing source", "no person", "duplicate name", "foreign library",
                                  "bad span", "bad threshold"])
def test_cli_bad_input_is_one_line_exit_2_library_unchanged(tmp_path, clips, case):
    lib = tmp_path / "lib.sqlite"
    with ActionLibrary(lib) as library:
        from app.actions.examples import open_action_runtime
        model_id = open_action_runtime().meta.model_id
        library.add_templates("clapping", cluster(0, 2, np.random.default_rng(0)), model_id)
    before = _snapshot(lib)
    clip = str(clips["bow"][0])
    args = {
        "missing source": ["actions", "add", "bowing", str(tmp_path / "nope.mp4"), "--actions", str(lib)],
        "no person": ["actions", "add", "bowing", clip, str(clips["empty"][0]), "--actions", str(lib)],
        "duplicate name": ["actions", "add", "Clapping", clip, "--actions", str(lib)],
        "foreign library": ["actions", "add", "bowing", clip, "--actions", str(tmp_path / "gallery.sqlite")],
        "bad span": ["actions", "add", "bowing", clip, "--start", "2", "--end", "nan", "--actions", str(lib)],
        "bad threshold": ["annotate", clip, "--actions", str(lib), "--actions-threshold", "inf"],
    }[case]
    if case == "foreign library":
        GalleryStore(tmp_path / "gallery.sqlite").close()
    r = run_cli(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [line for line in r.stderr.splitlines() if not line.startswith("inference backend")]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert _snapshot(lib) == before


# ------------------------------------------------------------------------------------------------ few-shot protocol
def test_fewshot_protocol_on_generated_subjects():
    from app.actions.examples import open_action_runtime
    from app.actions.fewshot_eval import run_fewshot, synthetic_clips

    clips = [c for c in synthetic_clips(subjects=4, per_subject=2)
             if c.action in ("clap", "kick", "bow", "squat", "jump")]
    result = run_fewshot(clips, open_action_runtime(), ["clap", "kick", "squat"], shots=3, seed=1)
    assert set(result.enrol_subjects).isdisjoint(result.test_subjects)
    assert result.top1 >= 0.8 and result.unknown_windows > 0 and result.unknown_rejected >= 0.5
    assert result.seconds_last_example < 10


def test_an_example_is_left_out_whole_and_counted_once(tmp_path):
    rng = np.random.default_rng(5)
    # action a: two examples far apart, each of 3 near-identical windows; b: one tight example pair
    a1, a2 = cluster(0, 1, rng, 0.0), cluster(3, 1, rng, 0.0)
    windows = np.concatenate([np.repeat(a1, 3, 0), np.repeat(a2, 3, 0), cluster(1, 2, rng), cluster(1, 2, rng)])
    names = ["a"] * 6 + ["b"] * 4
    groups = ["a1"] * 3 + ["a2"] * 3 + ["b1"] * 2 + ["b2"] * 2
    by_example = leave_one_out(windows, names, groups)
    assert by_example.total == 4  # examples, not windows
    assert by_example.genuine[:6].max() < 0.9  # a window is never compared with its own example's windows
    assert by_example.genuine[:6].max() < leave_one_out(windows, names).genuine[:6].min()  # per-window LOO
    with ActionLibrary(tmp_path / "lib.sqlite") as lib:
        lib.add_templates("a", windows[:6], "m", sources=groups[:6])
        assert [(x.name, x.num_templates) for x in lib.persons()] == [("a", 2)]
        assert lib.examples()[2] == groups[:6]
