"""The enrolment gallery: SQLite store (privacy, atomicity, sharing), templates, matching, calibration, CLI."""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import SHARED, needs_shared

from aclnet_core.errors import UserError
from app.gallery.calibrate import calibrate_from_embeddings, calibrate_threshold
from app.gallery.matcher import DEFAULT_THRESHOLD, GalleryMatcher, Matcher, resolve_threshold
from app.gallery.paths import GALLERY_ENV, resolve_gallery_path
from app.gallery.store import SCHEMA_VERSION, GalleryStore
from app.gallery.templates import build_template, split_into_templates
from app.identity import IdentityService

ROOT = Path(__file__).resolve().parents[1]
DIM = 16
POSIX = os.name == "posix"


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def basis(i: int, dim: int = DIM) -> np.ndarray:
    v = np.zeros(dim, np.float32)
    v[i] = 1.0
    return v


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_python(code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False, **kwargs)


# ------------------------------------------------------------------------------------------------ store
def test_create_add_list_rename(tmp_path):
    path = tmp_path / "sub" / "gallery.sqlite"
    with GalleryStore(path) as store:
        assert store.persons() == [] and store.model_id is None
        store.add_templates("Ada", [basis(0), basis(1) * 3], "model-a", source="walk.mp4", num_windows=8)
        store.add_templates("bob", [basis(2)], "model-a")
        store.add_templates("Ada", [basis(3)], "model-a")           # adds to the existing person
        assert [(p.name, p.num_templates) for p in store.persons()] == [("Ada", 3), ("bob", 1)]
        assert store.model_id == "model-a"
        matrix, names = store.template_matrix()
        assert matrix.shape == (4, DIM) and names == ["Ada", "Ada", "Ada", "bob"]
        assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0)     # stored normalised
        assert store.templates("Ada")[0].source == "walk.mp4" and store.templates("Ada")[0].num_windows == 8
        with pytest.raises(UserError, match="already has a person named 'BOB'"):
            store.rename("Ada", "BOB")                              # names are case-insensitive
        store.rename("Ada", "Ada Lovelace")
        assert "Ada Lovelace" in store and "Ada" not in store
        assert len(store.templates("Ada Lovelace")) == 3
        with pytest.raises(UserError, match="no person named"):
            store.rename("nobody", "x")
        with pytest.raises(UserError, match="cannot be empty"):
            store.add_templates("  ", [basis(0)], "model-a")
        with pytest.raises(UserError, match="has 8 values"):
            store.add_templates("cy", [np.ones(8)], "model-a")
        assert "cy" not in store                                     # the failed transaction left nothing
    with GalleryStore(path, create=False) as store:                  # persisted
        assert len(store) == 2
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_missing_or_foreign_files_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="not found"):
        GalleryStore(tmp_path / "absent.sqlite", create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match="not a gallery"):
        GalleryStore(junk)


def test_model_id_mismatch_is_refused_naming_both(tmp_path):
    with GalleryStore(tmp_path / "g.sqlite") as store:
        store.add_templates("Ada", [basis(0)], "aaaa1111")
        with pytest.raises(UserError, match="aaaa1111.*bbbb2222"):
            store.add_templates("Bob", [basis(1)], "bbbb2222")
        with pytest.raises(UserError, match="aaaa1111.*bbbb2222"):
            store.check_model("bbbb2222")
        assert "Bob" not in store
        store.remove("Ada")                                           # empty again: a new model may take over
        store.add_templates("Bob", [basis(1)], "bbbb2222")
        assert store.model_id == "bbbb2222"


@pytest.mark.skipif(not POSIX, reason="file modes are POSIX")
def test_files_are_private(tmp_path):
    old = os.umask(0o022)                                             # a permissive umask must not leak
    try:
        path = tmp_path / "g.sqlite"
        with GalleryStore(path) as store:
            store.add_templates("Ada", [basis(0)], "m")
            sidecars = [Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(p.exists() for p in sidecars)
            assert {mode(p) for p in [path, *sidecars]} == {0o600}
            export = tmp_path / "out.json"
            store.export(export)
            assert mode(export) == 0o600
    finally:
        os.umask(old)


def test_remove_really_deletes_the_bytes(tmp_path):
    path = tmp_path / "g.sqlite"
    secret = np.linspace(0.123, 0.987, DIM).astype(np.float32)       # a distinctive byte pattern
    with GalleryStore(path) as store:
        store.add_templates("Keeper", [basis(0)], "m")
        store.add_templates("Zaphod Beeblebrox", [secret], "m")
        stored = store.templates("Zaphod Beeblebrox")[0].vector.astype("<f4").tobytes()
        store.checkpoint()

        def on_disk() -> bytes:
            return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())

        assert b"Zaphod Beeblebrox" in on_disk() and stored in on_disk()   # the check below means something
        assert store.remove("Zaphod Beeblebrox") is True
        data = on_disk()
        assert b"Zaphod Beeblebrox" not in data
        assert stored not in data and stored[:16] not in data
        assert [p.name for p in store.persons()] == ["Keeper"]
        with pytest.raises(UserError, match="no person named"):
            store.remove("Zaphod Beeblebrox")


def test_export_import_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    vectors = {name: [unit(rng.normal(size=DIM)) for _ in range(k)] for name, k in (("Ada", 2), ("Bob", 3))}
    src = GalleryStore(tmp_path / "a.sqlite")
    for name, vs in vectors.items():
        src.add_templates(name, vs, "m1", source=f"{name}.mp4", num_windows=5)
    assert src.export(tmp_path / "export.json") == 2
    document = json.loads((tmp_path / "export.json").read_text())
    assert document["model_id"] == "m1" and len(document["persons"]) == 2

    dst = GalleryStore(tmp_path / "b.sqlite")
    assert dst.import_(tmp_path / "export.json") == 2
    for name, vs in vectors.items():
        got = dst.templates(name)
        assert [t.source for t in got] == [f"{name}.mp4"] * len(vs)
        assert np.array_equal(np.stack([t.vector for t in got]), np.stack(vs))   # bit-exact float32
    with pytest.raises(UserError, match="already in the gallery"):
        dst.import_(tmp_path / "export.json")
    assert len(dst.templates("Ada")) == 2                             # the refused import changed nothing
    dst.import_(tmp_path / "export.json", on_conflict="merge")
    assert len(dst.templates("Ada")) == 4
    dst.import_(tmp_path / "export.json", on_conflict="replace")
    assert len(dst.templates("Ada")) == 2

    other = GalleryStore(tmp_path / "c.sqlite")
    other.add_templates("Cy", [basis(0)], "m2")
    with pytest.raises(UserError, match="m2.*m1"):
        other.import_(tmp_path / "export.json")
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(UserError, match="not an ACLNet Live gallery export"):
        dst.import_(tmp_path / "bad.json")
    for s in (src, dst, other):
        s.close()


def test_a_second_process_reads_while_the_first_writes(tmp_path):
    """WAL: a reader in another process sees the last committed state during a write, never waits or fails."""
    path = tmp_path / "g.sqlite"
    reader = """
        import sys
        from app.gallery.store import GalleryStore
        with GalleryStore(sys.argv[1], create=False, timeout=0.5) as s:
            print(",".join(f"{p.name}:{p.num_templates}" for p in s.persons()))
    """
    store = GalleryStore(path)
    store.add_templates("Ada", [basis(0)], "m")
    seen_during = []

    def templates():
        yield basis(1)
        seen_during.append(run_python(reader, str(path)))            # the write transaction is open here
        yield basis(2)

    store.add_templates("Bob", templates(), "m")
    during = seen_during[0]
    assert during.returncode == 0, during.stderr
    assert during.stdout.strip() == "Ada:1"
    after = run_python(reader, str(path))
    assert after.stdout.strip() == "Ada:1,Bob:2"
    store.close()


def test_a_second_writer_waits_for_the_first(tmp_path):
    """busy_timeout: a writer in another process waits while this one holds the write lock, then succeeds."""
    path = tmp_path / "g.sqlite"
    store = GalleryStore(path)
    store.add_templates("Ada", [basis(0)], "m")
    writer = """
        import sys
        import numpy as np
        from app.gallery.store import GalleryStore
        with GalleryStore(sys.argv[1], timeout=20) as s:
            s.add_templates("Cli", [np.eye(16, dtype=np.float32)[5]], "m")
        print("done")
    """
    proc = None

    def templates():
        nonlocal proc
        yield basis(1)
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(writer), str(path)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)                                              # the other writer starts and has to wait
        assert proc.poll() is None
        yield basis(2)

    store.add_templates("Gui", templates(), "m")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.strip() == "done", err
    assert {p.name: p.num_templates for p in store.persons()} == {"Ada": 1, "Gui": 2, "Cli": 1}
    store.close()


CRASH_WRITER = """
    import sys, time
    import numpy as np
    from app.gallery.store import GalleryStore
    path, hang_at = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(0)
    store = GalleryStore(path)
    for i in range(10_000):
        def templates(i=i):
            for k in range(4):
                if i == hang_at and k == 2:
                    print("MID", flush=True)       # half of this person's templates are written
                    time.sleep(60)
                yield rng.normal(size=64)
        store.add_templates(f"p{i:05d}", templates(), "m")
        print(i, flush=True)
"""


def _check_consistent(path: Path) -> list[str]:
    with GalleryStore(path, create=False) as store:
        assert store.integrity_check() == "ok"
        persons = store.persons()
        assert all(p.num_templates == 4 for p in persons)            # every person complete, never half
        return [p.name for p in persons]


@pytest.mark.skipif(not POSIX, reason="SIGKILL is POSIX")
@pytest.mark.parametrize("hang_at", [5, -1])
def test_killing_the_process_during_enrolment_never_corrupts(tmp_path, hang_at):
    """SIGKILL inside an open enrolment transaction (hang_at=5) or at a random moment of a write loop."""
    path = tmp_path / "g.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CRASH_WRITER), str(path), str(hang_at)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        committed = -1
        for line in proc.stdout:
            if line.strip() == "MID":
                break
            committed = int(line)
            if hang_at < 0 and committed >= 20:
                break                                                # kill somewhere in the next writes
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    names = _check_consistent(path)
    if hang_at >= 0:
        assert names == [f"p{i:05d}" for i in range(hang_at)]      # the old state exactly
    else:
        assert len(names) >= committed + 1 and names == [f"p{i:05d}" for i in range(len(names))]


def test_paths_follow_flag_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(GALLERY_ENV, str(tmp_path / "env.sqlite"))
    assert resolve_gallery_path(tmp_path / "flag.sqlite") == tmp_path / "flag.sqlite"
    assert resolve_gallery_path(None) == tmp_path / "env.sqlite"
    monkeypatch.delenv(GALLERY_ENV)
    default = resolve_gallery_path(None)
    assert "aclnet-live" in str(default) and default.name == "gallery.sqlite"


# -------------------------------------------------------------------------------------------- templates
def test_template_is_renormalised_mean_and_rejects_outliers():
    rng = np.random.default_rng(1)
    direction = unit(rng.normal(size=DIM))
    windows = np.stack([direction + 0.05 * rng.normal(size=DIM) for _ in range(9)] + [-direction])
    windows = windows * rng.uniform(0.5, 3.0, size=(10, 1))          # scale must not matter
    result = build_template(windows)
    assert result.num_windows == 10 and result.num_used == 9 and not result.used[-1]
    assert np.isclose(np.linalg.norm(result.vector), 1.0) and float(result.vector @ direction) > 0.99
    plain = build_template(windows, reject_outliers=False)
    expected = (windows / np.linalg.norm(windows, axis=1, keepdims=True)).mean(0)
    assert np.allclose(plain.vector, expected / np.linalg.norm(expected), atol=1e-6)
    weighted = build_template(np.stack([basis(0), basis(1)]), weights=np.array([3.0, 1.0]), reject_outliers=False)
    assert np.allclose(weighted.vector[:2], unit([3.0, 1.0])[:2], atol=1e-6)
    with pytest.raises(UserError):
        build_template(np.zeros((3, DIM)))
    assert [g.num_windows for g in split_into_templates(np.tile(direction, (21, 1)), 8)] == [8, 8, 5]
    assert [g.num_windows for g in split_into_templates(np.tile(direction, (19, 1)), 8)] == [8, 11]  # short tail
    assert [g.num_windows for g in split_into_templates(np.tile(direction, (19, 1)), 0)] == [19]


# ------------------------------------------------------------------------------------------------ matcher
def test_matcher_best_template_per_person_threshold_and_unknown():
    templates = np.stack([basis(0), basis(1), basis(2)])
    matcher = Matcher(templates, ["Ada", "Ada", "Bob"], threshold=0.8)
    m = matcher.match(unit([0.1, 0.95, 0.3] + [0] * (DIM - 3)))
    assert m.name == "Ada" and m.runner_up == "Bob"
    assert np.isclose(m.score, unit([0.1, 0.95, 0.3] + [0] * (DIM - 3))[1])   # Ada's best template (#2)
    assert m.margin > 0 and m.label == "Ada"
    weak = matcher.match(unit([0.6, 0, 0.5, 0.6] + [0] * (DIM - 4)))
    assert weak.name is None and weak.label == "unknown" and weak.candidate == "Ada" and weak.score < 0.8
    assert Matcher(np.zeros((0, 0)), [], 0.5).match(basis(0)).name is None
    with pytest.raises(UserError, match="has 8 values"):
        matcher.match(np.ones(8))
    assert resolve_threshold(None, SimpleNamespace(extra={"identity_threshold": 0.42})) == 0.42
    assert resolve_threshold(None, SimpleNamespace(extra={})) == DEFAULT_THRESHOLD
    assert resolve_threshold(0.3, SimpleNamespace(extra={"identity_threshold": 0.42})) == 0.3
    with pytest.raises(UserError):
        resolve_threshold(1.5)


@pytest.mark.parametrize("direction", [[0.8, 0.6, 0], [0.9, 0.2, 0.3], [0.5, 0.1, 0.7]])
def test_a_score_exactly_at_the_threshold_is_a_match(direction):
    """Accept when score >= threshold (the calibration's rule): at the threshold a match, one ulp above it unknown."""
    templates = np.stack([basis(0), basis(1)])
    probe = unit(direction + [0] * (DIM - 3))
    score = float(Matcher(templates, ["Ada", "Bob"], threshold=0.0).scores(probe)[0].max())
    at = Matcher(templates, ["Ada", "Bob"], threshold=score).match(probe)
    assert at.score == score and at.name == "Ada" and at.is_known
    above = Matcher(templates, ["Ada", "Bob"], threshold=float(np.nextafter(score, 2.0))).match(probe)
    assert above.name is None and above.candidate == "Ada"
    assert Matcher(templates, ["Ada", "Bob"], threshold=1.0).match(basis(1)).name == "Bob"   # 1.0 at 1.0


def test_margin_is_best_minus_runner_up_and_threshold_bounds_are_inclusive():
    matcher = Matcher(np.stack([basis(0), basis(1)]), ["Ada", "Bob"], threshold=0.5)
    m = matcher.match(unit([0.8, 0.6, 0] + [0] * (DIM - 3)))
    assert m.margin == pytest.approx(m.score - m.runner_up_score) and m.margin == pytest.approx(0.2, abs=1e-6)
    assert Matcher(basis(0)[None], ["Ada"]).match(basis(0)).margin is None          # one person: no runner-up
    assert resolve_threshold(-1.0) == -1.0 and resolve_threshold(1.0) == 1.0       # [-1, 1] inclusive
    for bad in (-1.0001, 1.0001):
        with pytest.raises(UserError, match=r"in \[-1, 1\], not"):
            resolve_threshold(bad)


def test_a_gallery_of_another_model_is_refused_and_later_reads_as_unknown(tmp_path):
    with GalleryStore(tmp_path / "g.sqlite") as store:
        store.add_templates("Ada", [basis(0)], "m1")
        with pytest.raises(UserError):
            Matcher.from_store(store, 0.5, model_id="m2")
        assert Matcher.from_store(store, 0.5, model_id="m1").match(basis(0)).name == "Ada"
        live = GalleryMatcher(store, "m1", threshold=0.5)
        assert live.match(basis(0)).name == "Ada" and live.problem is None
        store.remove("Ada")                                      # everyone removed, re-enrolled with another model
        store.add_templates("Bob", [basis(0)], "m2")
        answer = live.match(basis(0))
        assert answer.name is None and live.problem and "m2" in live.problem


def test_gallery_matcher_follows_changes_from_another_connection(tmp_path):
    path = tmp_path / "g.sqlite"
    gui = GalleryStore(path)
    live = GalleryMatcher(gui, "m", threshold=0.9)
    assert live.match(basis(3)).name is None
    with GalleryStore(path) as cli:                                  # e.g. `main.py gallery enroll` meanwhile
        cli.add_templates("Dee", [basis(3)], "m")
    assert live.match(basis(3)).name == "Dee"
    with GalleryStore(path) as cli:
        cli.rename("Dee", "Dora")
    assert live.match(basis(3)).name == "Dora"
    with pytest.raises(UserError, match="m.*other"):
        GalleryMatcher(gui, "other")
    gui.close()


# ------------------------------------------------------------------------------------------ calibration
def test_calibration_known_answer_from_normal_distributions():
    """Genuine ~ N(0.6, 0.1), impostor ~ N(0.3, 0.1) (exact quantiles): threshold 0.3 + 0.1·z(0.99)."""
    from scipy.stats import norm

    q = (np.arange(20_000) + 0.5) / 20_000
    genuine, impostor = norm.ppf(q, 0.6, 0.1), norm.ppf(q, 0.3, 0.1)
    cal = calibrate_threshold(genuine, impostor, 0.01)
    expected = 0.3 + 0.1 * norm.ppf(0.99)
    assert abs(cal.threshold - expected) < 2e-3
    assert abs(cal.tar - norm.sf(expected, 0.6, 0.1)) < 2e-3          # ≈ 0.75
    assert cal.far <= 0.01 and abs(cal.eer - norm.sf(1.5)) < 2e-3     # EER where the curves cross (0.45)


def test_calibration_small_exact_example():
    impostor = np.linspace(0.0, 0.65, 100)
    cal = calibrate_threshold([0.9, 0.8, 0.7, 0.6], impostor, 0.01)
    assert cal.threshold == pytest.approx(0.65) and cal.tar == 0.75 and cal.far == pytest.approx(0.01)
    strict = calibrate_threshold([0.9, 0.8, 0.7, 0.6], impostor, 0.0)
    assert strict.threshold == pytest.approx(0.7) and strict.tar == 0.75 and strict.far == 0.0
    with pytest.raises(UserError, match="at least 100 impostor"):
        calibrate_threshold([0.9], impostor[:50], 0.01)


def test_calibration_from_embeddings_separates_people():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, DIM))
    labels = np.repeat(np.arange(12), 4)
    emb = centres[labels] + 0.2 * rng.normal(size=(48, DIM))
    probes = centres[labels] + 0.2 * rng.normal(size=(48, DIM))
    cal = calibrate_from_embeddings(emb, labels, probes, labels, 0.01)
    assert cal.tar > 0.95 and cal.num_genuine == 48 and cal.num_impostor == 48 * 11


# ------------------------------------------------------------------------------------- identity service
class FakeGaitRuntime:
    """Embedding = a fixed direction chosen by the mean x of joint 0 (the 'person'), like a perfect model."""

    backend = "fake"

    def __init__(self, model_id: str = "gait-1") -> None:
        from aclnet_core.model.metadata import ModelMetadata

        self.meta = ModelMetadata(task="gait", labels=["a", "b"], preset="lite", num_joints=33, in_channels=3,
                                  embed_dim=DIM, model_id=model_id,
                                  preprocess={"layout": "mediapipe33", "window": 8, "center": False,
                                              "scale": False})
        self.calls = 0

    def infer(self, x):
        self.calls += 1
        assert x.shape[1:] == (1, 8, 33, 3)
        person = np.rint(x[:, 0, :, 0, 0].mean(axis=1)).astype(int)
        return np.zeros((len(x), 2), np.float32), np.stack([basis(p % DIM) for p in person])


def person_window(person: int) -> np.ndarray:
    rng = np.random.default_rng(person)
    kp = rng.normal(0, 0.1, size=(12, 33, 3)).astype(np.float32)
    kp[:, 0, 0] = person
    return kp


def test_identity_service_buffers_per_track_and_matches(tmp_path):
    runtime = FakeGaitRuntime()
    enrol = IdentityService(runtime)                                 # no gallery: collect only
    assert enrol.update(1, person_window(4)) is None
    template = enrol.template_for(1)
    assert np.allclose(template, basis(4))
    with GalleryStore(tmp_path / "g.sqlite") as store:
        store.add_templates("Four", [template], runtime.meta.model_id)
        service = IdentityService(runtime, store, threshold=0.9)
        assert service.update(7, person_window(4)) is None           # min_windows = 2
        matches = service.update_many({7: person_window(4), 8: person_window(9)})
        assert runtime.calls == 3                                    # one batched call for two tracks
        assert matches[7].name == "Four"
        assert service.update(8, person_window(9)).name is None      # not enrolled -> unknown
        service.drop(7)
        assert service.num_windows(7) == 0
        with pytest.raises(UserError, match="gait-1.*gait-2"):
            IdentityService(FakeGaitRuntime("gait-2"), store)


def test_gait_input_is_cut_to_the_gait_models_own_span():
    """A 64-sample action window at 30 fps -> the gait model's last 8 samples at 30 fps, not a squeeze."""
    from app.identity import gait_model_input
    from app.records import Window

    meta = FakeGaitRuntime().meta                                      # window 8, 30 fps, no normalisation
    kp = np.zeros((64, 33, 3), np.float32)
    kp[:, :, 0] = np.arange(64, dtype=np.float32)[:, None]             # x = sample number
    window = Window(track_id=1, keypoint=kp, score=np.ones((64, 33), np.float32), start_time=10.0,
                    end_time=10.0 + 63 / 30, end_frame=400)
    clip = gait_model_input([window], meta)
    assert clip.shape == (1, 1, 8, 33, 3)
    assert np.allclose(clip[0, 0, :, 5, 0], np.arange(56, 64), atol=1e-4)
    bare = gait_model_input([kp], meta)                                # no times: resampled over all 64
    assert bare[0, 0, 0, 5, 0] < 8 and bare[0, 0, -1, 5, 0] > 55


# -------------------------------------------------------------------------------------------------- CLI
def test_cli_list_rename_remove_export_import(tmp_path, capsys):
    from main import main

    path = tmp_path / "g.sqlite"
    with GalleryStore(path) as store:
        store.add_templates("Ada", [basis(0), basis(1)], "m")
        store.add_templates("Bob", [basis(2)], "m")
    g = ["--gallery", str(path)]
    assert main(["gallery", "list", *g]) == 0
    out = capsys.readouterr().out
    assert "Ada" in out and "2 template(s)" in out and "gait model m" in out
    assert main(["gallery", *g, "rename", "Bob", "Robert"]) == 0     # --gallery before the action works too
    assert main(["gallery", "export", str(tmp_path / "e.json"), *g]) == 0
    assert main(["gallery", "remove", "Ada", *g]) == 0
    assert main(["gallery", "remove", "Ada", *g]) == 2                # a one-line error, exit code 2
    assert "no person named 'Ada'" in capsys.readouterr().err
    assert main(["gallery", "import", str(tmp_path / "e.json"), *g]) == 2   # Robert is already there
    assert main(["gallery", "import", str(tmp_path / "e.json"), "--merge", *g]) == 0
    capsys.readouterr()
    assert main(["gallery", "list", "--json", *g]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["model_id"] == "m"
    assert {p["name"]: p["num_templates"] for p in listed["persons"]} == {"Ada": 2, "Robert": 2}
    assert main(["gallery", "list", "--gallery", str(tmp_path / "none.sqlite")]) == 2
    assert not (tmp_path / "none.sqlite").exists()                  # list never creates a gallery


# ------------------------------------------------------------------------------ enrolment via the pipeline
class WalkerSource:
    """A skeleton-providing source: one person (joint 0's world x = `person`) walking across the frame."""

    def __new__(cls, person: int, frames: int = 60, fps: float = 30.0):
        from app.records import Frame, Skeleton
        from app.sources import Source

        class _Walker(Source):
            provides_skeletons = True

            def _open(self) -> None:
                self.fps, self.size, self.name = fps, (640, 480), f"person:{person}"

            def _frames(self):
                base = person_window(person)[0]
                for i in range(frames):
                    image = np.zeros((33, 3), np.float32)
                    image[:, 0] = 0.3 + 0.004 * i + 0.01 * np.sin(np.arange(33))
                    image[:, 1] = np.linspace(0.2, 0.9, 33)
                    world = base.copy()
                    world[27, 0] += 0.25 * np.sin(i / 5)               # the feet move: the gait gate sees walking
                    world[28, 0] -= 0.25 * np.sin(i / 5)
                    skeleton = Skeleton(image=image, world=world, visibility=np.ones(33, np.float32),
                                        presence=np.ones(33, np.float32))
                    yield Frame(image=None, index=i, timestamp=i / fps, size=(640, 480), skeletons=[skeleton])

        return _Walker()


def test_collect_embeddings_through_the_pipeline():
    from app.gallery.enrol import ClippedSource, collect_from_runtime

    source = ClippedSource(WalkerSource(4, frames=90), start=0.5, seconds=2.0).open()
    collection = collect_from_runtime(source, FakeGaitRuntime())
    assert collection.track_id is not None and len(collection.windows_per_track) == 1
    assert 4 <= len(collection.embeddings) <= 8                      # 2 s of 8-sample windows, stride 8
    assert all(np.allclose(e, basis(4)) for e in collection.embeddings)
    assert collection.frames == 61 and collection.seconds == pytest.approx(2.0)


def test_cli_enrol_then_identify_and_unknown(tmp_path, monkeypatch, capsys):
    """Enrol from one part of a walk, identify in another part; a different person reads 'unknown'."""
    from app.gallery import enrol
    from main import main

    runtime = FakeGaitRuntime()
    monkeypatch.setattr(enrol, "open_gait_runtime", lambda path=None, backend="auto": runtime)
    monkeypatch.setattr(enrol, "open_source", lambda spec: WalkerSource(int(spec.split(":")[1]), frames=150))
    g = ["--gallery", str(tmp_path / "g.sqlite")]
    assert main(["gallery", "enroll", "Four", "person:4", "--seconds", "2", "--per-template", "3", *g]) == 0
    assert "enrolled Four" in capsys.readouterr().out
    with GalleryStore(tmp_path / "g.sqlite", create=False) as store:
        assert store.model_id == "gait-1" and store.persons()[0].num_templates >= 2
    assert main(["gallery", "identify", "person:4", "--start", "3", "--seconds", "1.5", "--threshold", "0.8",
                 *g]) == 0
    assert capsys.readouterr().out.startswith("Four (score 1.000")
    assert main(["gallery", "identify", "person:9", "--threshold", "0.8", "--json", *g]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["name"] is None and answer["candidate"] == "Four" and answer["score"] < 0.8
    assert main(["gallery", "enroll", "Four", "person:4", "--new", *g]) == 2
    capsys.readouterr()
    monkeypatch.setattr(enrol, "open_source", lambda spec: pytest.fail("must refuse before reading the video"))
    runtime = FakeGaitRuntime("gait-2")                              # a gallery of another gait model
    assert main(["gallery", "identify", "person:4", *g]) == 2
    assert "gait-1" in capsys.readouterr().err


def test_cli_enrol_with_a_real_checkpoint(tmp_path, capsys):
    """The whole path with a (tiny, untrained) gait checkpoint and the synthetic source: plumbing, not accuracy."""
    import torch

    from aclnet_core.model.checkpoint import save_checkpoint
    from aclnet_core.model.encoder import ACLNet
    from aclnet_core.model.metadata import ModelMetadata, weights_id
    from main import main

    torch.manual_seed(0)
    model = ACLNet(num_classes=4, num_joints=33, in_channels=3, preset="lite").eval()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    meta = ModelMetadata(task="gait", labels=["a", "b", "c", "d"], preset="lite", num_joints=33, in_channels=3,
                         embed_dim=model.embed_dim, preprocess={"layout": "mediapipe33", "window": 16},
                         model_id=weights_id(state))
    save_checkpoint(tmp_path / "gait.pt", {"meta": meta.to_dict(), "model": state})
    g = ["--gallery", str(tmp_path / "g.sqlite"), "--gait-model", str(tmp_path / "gait.pt"), "--backend", "torch-cpu",
         "--min-stride", "0"]                                        # the demo person does actions, not walks
    assert main(["gallery", "enroll", "Synth", "synthetic:1", "--seconds", "2", *g]) == 0
    with GalleryStore(tmp_path / "g.sqlite", create=False) as store:
        assert store.model_id == meta.model_id and [p.name for p in store.persons()] == ["Synth"]
    assert main(["gallery", "identify", "synthetic:1", "--start", "2", "--seconds", "2", "--threshold", "-1",
                 *g]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Synth (score")


MEDIA = SHARED / "media"
WALK = MEDIA / "mmpose_body3d_demo.mp4"            # one person walking and turning, 8 s at 50 fps
OTHER = MEDIA / "mmaction2_ntu_S001C001P001R001A001_rgb.avi"   # another person (NTU sample), 3.4 s


@needs_shared("media/mmpose_body3d_demo.mp4", "media/mmaction2_ntu_S001C001P001R001A001_rgb.avi")
def test_real_clip_enrol_part_identify_other_part(tmp_path, capsys):
    """Acceptance: enrol from the first part of a real walk, recognise the second part; a stranger is unknown."""
    from main import main

    g = ["--gallery", str(tmp_path / "g.sqlite")]
    assert main(["gallery", "enroll", "Walker", str(WALK), "--seconds", "3.5", *g]) == 0
    capsys.readouterr()
    assert main(["gallery", "identify", str(WALK), "--start", "4", "--seconds", "4", "--json", *g]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Walker"
    assert main(["gallery", "identify", str(OTHER), "--json", *g]) == 0
    assert json.loads(capsys.readouterr().out)["name"] is None
