"""Overlay drawing and the H.264 video sink (complete or absent)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from test_app_fixtures import probe_video, stick_skeleton

from aclnet_core.errors import UserError
from app.overlay import (
    draw_frame_result,
    draw_skeleton,
    draw_track_label,
    format_track_caption,
    skeleton_edges,
    track_color,
)
from app.records import Frame, FrameResult, Prediction, TrackedSkeleton
from app.video_sink import VideoSink, even_size, fps_fraction


def test_skeleton_edges_close_the_torso():
    edges = set(skeleton_edges("mediapipe33"))
    assert {(11, 12), (23, 24), (11, 23), (12, 24), (13, 15), (25, 27)} <= edges
    assert all(0 <= a < 33 and 0 <= b < 33 for a, b in edges)


def test_draw_skeleton_draws_in_place_and_skips_invisible_joints():
    image = np.zeros((120, 160, 3), np.uint8)
    pts = np.full((33, 2), np.nan)
    pts[11], pts[13] = (20, 20), (100, 100)  # left shoulder → left elbow: one bone
    visibility = np.zeros(33)
    visibility[[11, 13]] = 1.0
    draw_skeleton(image, pts, visibility, color=(0, 0, 255), thickness=2)
    assert image[60, 60, 2] > 0  # a point on the bone
    hidden = np.zeros_like(image)
    visibility[13] = 0.1  # elbow not visible: no bone, only the shoulder dot
    draw_skeleton(hidden, pts, visibility, color=(0, 0, 255))
    assert hidden[60, 60].sum() == 0 and hidden[20, 20, 2] > 0


def test_track_label_caption_and_colours():
    assert format_track_caption(3, "wave", 0.874, "ada") == "#3 wave 0.87 | ada"
    assert format_track_caption(3, None, None) == "#3"
    assert track_color(1) != track_color(2) and track_color(1) == track_color(1)
    image = np.zeros((100, 200, 3), np.uint8)
    draw_track_label(image, (10, 40, 90, 95), 1, "wave", 0.9, identity="ada")
    assert image[:40].any()  # the caption sits above the box
    corner = np.zeros((100, 200, 3), np.uint8)
    draw_track_label(corner, (195, 2), 2, "a long label that does not fit", 0.5)  # kept inside the image
    assert corner.any()


def test_draw_frame_result_uses_the_track_colour():
    image = np.zeros((240, 320, 3), np.uint8)
    tracked = TrackedSkeleton(track_id=4, skeleton=stick_skeleton(0.0))
    result = FrameResult(Frame(image, 0, 0.0), [tracked], {4: Prediction(4, "wave", 0.8)})
    draw_frame_result(image, result)
    colour = np.array(track_color(4), np.uint8)
    assert (image.reshape(-1, 3) == colour).all(axis=1).sum() > 50


def _drawn_captions(monkeypatch, prediction: Prediction, **kwargs) -> list[tuple]:
    from app import overlay

    calls = []
    monkeypatch.setattr(overlay, "draw_track_label",
                        lambda image, box, track_id, label, score, identity=None, color=None: calls.append(
                            (track_id, label, score, identity)))
    image = np.zeros((240, 320, 3), np.uint8)
    tracked = TrackedSkeleton(track_id=prediction.track_id, skeleton=stick_skeleton(0.0))
    draw_frame_result(image, FrameResult(Frame(image, 0, 0.0), [tracked], {prediction.track_id: prediction}), **kwargs)
    return calls


def test_below_the_threshold_the_raw_guess_is_hidden_unless_asked_for(monkeypatch):
    """A smoothed label of None (below the threshold) draws "no action" without a score by default; the raw
    per-window guess appears, in brackets, only with show_raw_label=True. A label above the threshold is drawn as is."""
    below = Prediction(5, None, 0.0, raw_label="wave_left", raw_score=0.41, identity="Ada", identity_score=0.95)
    assert _drawn_captions(monkeypatch, below) == [(5, "no action", None, "Ada")]
    assert _drawn_captions(monkeypatch, below, show_raw_label=False) == [(5, "no action", None, "Ada")]
    assert _drawn_captions(monkeypatch, below, show_raw_label=True) == [(5, "(wave_left)", 0.41, "Ada")]
    above = Prediction(5, "clap", 0.83, raw_label="wave_left", raw_score=0.41, identity_score=0.2)
    for show_raw in (False, True):
        assert _drawn_captions(monkeypatch, above, show_raw_label=show_raw) == [(5, "clap", 0.83, "unknown")]


def test_fps_fraction_and_even_size():
    assert fps_fraction(29.97002997) == Fraction(30000, 1001)
    assert fps_fraction(28.05) == Fraction(561, 20)
    assert fps_fraction(Fraction(25)) == 25
    assert even_size((1001, 375)) == (1002, 376)
    with pytest.raises(UserError):
        fps_fraction(0)


def test_video_sink_writes_faststart_h264_at_the_source_rate(tmp_path):
    path = tmp_path / "out.mp4"
    with VideoSink(path, Fraction(30000, 1001), (64, 48)) as sink:
        for i in range(15):
            sink.write(np.full((48, 64, 3), i * 10, np.uint8))
    assert sink.codec_used == "h264"
    assert probe_video(path) == ("h264", Fraction(30000, 1001), 15, (64, 48))
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: playable while downloading
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]  # no temp file left


def test_video_sink_pads_odd_sizes(tmp_path):
    with VideoSink(tmp_path / "odd.mp4", 25, (33, 21)) as sink:
        sink.write(np.zeros((21, 33, 3), np.uint8))
        with pytest.raises(ValueError):
            sink.write(np.zeros((20, 33, 3), np.uint8))
    assert probe_video(tmp_path / "odd.mp4")[2:] == (1, (34, 22))


def test_video_sink_leaves_nothing_on_error_or_abort(tmp_path):
    path = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt), VideoSink(path, 30, (32, 32)) as sink:
        sink.write(np.zeros((32, 32, 3), np.uint8))
        raise KeyboardInterrupt
    sink = VideoSink(path, 30, (32, 32))
    sink.write(np.zeros((32, 32, 3), np.uint8))
    sink.abort()
    assert list(tmp_path.iterdir()) == []


def test_video_sink_unwritable_target_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError):
        VideoSink(blocker / "out.mp4", 30, (32, 32))
    with pytest.raises(UserError):
        VideoSink(tmp_path, 30, (32, 32))  # a directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_video_sink_falls_back_to_mp4v_with_a_warning(tmp_path, monkeypatch):
    from app import video_sink

    real = video_sink._available_encoder
    monkeypatch.setattr(video_sink, "_available_encoder", lambda codec: None if codec == "h264" else real(codec))
    with pytest.warns(RuntimeWarning, match="mp4v"):
        sink = VideoSink(tmp_path / "fallback.mp4", 30, (32, 32))
    with sink:
        for _ in range(3):
            sink.write(np.zeros((32, 32, 3), np.uint8))
    assert sink.codec_used == "mp4v"
    assert probe_video(tmp_path / "fallback.mp4")[0] == "mpeg4"
    assert probe_video(tmp_path / "fallback.mp4")[2] == 3
