"""Drawing of skeletons, track ids, action labels, scores and identities on BGR frames.

The annotated-video export and the GUI draw through these same functions (the `supervision`-style
annotator half of the annotator / sink split). Everything draws in place on a uint8 BGR image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from app.records import NO_ACTION as _NO_ACTION

# A colour-blind-friendly palette (BGR), indexed by track id.
TRACK_PALETTE_BGR: tuple[tuple[int, int, int], ...] = (
    (230, 159, 0),
    (0, 158, 115),
    (86, 180, 233),
    (240, 228, 66),
    (204, 121, 167),
    (0, 114, 178),
    (213, 94, 0),
    (120, 200, 120),
    (180, 180, 255),
    (255, 255, 255),
)
DEFAULT_MIN_VISIBILITY = 0.5
NO_ACTION = _NO_ACTION  # one spelling everywhere (video, panels, timelines): the model's own "nothing" label


@dataclass(frozen=True)
class Decision:
    """What is shown for one person: the smoothed label (or NO_ACTION) with its score, and the identity.

    The video caption and the GUI's Scores panel both show this, so they never disagree.
    """

    label: str
    score: float | None  # the smoothed probability of `label`; None for NO_ACTION below the threshold
    identity: str | None = None


def decide(prediction) -> Decision:
    """The decision of an app.records.Prediction (label below the threshold → NO_ACTION, no score)."""
    identity = prediction.identity
    if identity is None and prediction.identity_score is not None:
        identity = "unknown"
    if prediction.label is None:
        return Decision(NO_ACTION, None, identity)
    return Decision(prediction.label, float(prediction.score), identity)


def track_color(track_id: int | None) -> tuple[int, int, int]:
    """The BGR colour of a track (stable across frames and across the GUI and the export)."""
    if track_id is None or track_id < 0:
        return (200, 200, 200)
    return TRACK_PALETTE_BGR[track_id % len(TRACK_PALETTE_BGR)]


@cache
def skeleton_edges(layout_name: str = "mediapipe33") -> tuple[tuple[int, int], ...]:
    """Bones to draw for a layout: child→parent bones plus the shoulder and hip lines that close the torso."""
    from aclnet_core.skeleton.layouts import get_layout

    layout = get_layout(layout_name)
    edges = {(min(j, p), max(j, p)) for j, p in enumerate(layout.parents) if j != p}
    for pair_name in ("hips", "shoulders"):
        pair = getattr(layout, pair_name, None)
        if pair is not None and len(pair) == 2 and pair[0] != pair[1]:
            edges.add((min(pair), max(pair)))
    # Close the torso: each shoulder to the hip on its side.
    hips, shoulders = getattr(layout, "hips", None), getattr(layout, "shoulders", None)
    if hips is not None and shoulders is not None:
        edges.add((min(shoulders[0], hips[0]), max(shoulders[0], hips[0])))
        edges.add((min(shoulders[1], hips[1]), max(shoulders[1], hips[1])))
    return tuple(sorted(edges))


def draw_skeleton(
    image_bgr: np.ndarray,
    landmarks_xy_px: np.ndarray,
    visibility: np.ndarray | None = None,
    layout_name: str = "mediapipe33",
    color: tuple[int, int, int] | None = None,
    thickness: int = 2,
    min_visibility: float = DEFAULT_MIN_VISIBILITY,
) -> None:
    """Draw bones and joints of one skeleton, in place.

    landmarks_xy_px: (V, 2) pixel coordinates; visibility: (V,) in [0, 1] or None (all visible).
    Joints below `min_visibility` and non-finite coordinates are skipped, as are bones touching them.
    """
    points = np.asarray(landmarks_xy_px, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] < 2:
        raise ValueError(f"landmarks_xy_px must be (V, 2), got {points.shape}")
    points = points[:, :2]
    shown = np.isfinite(points).all(axis=1)
    if visibility is not None:
        shown &= np.asarray(visibility, dtype=np.float64).reshape(-1)[: len(points)] >= min_visibility
    bone_color = color if color is not None else (255, 255, 255)
    joint_color = color if color is not None else (0, 200, 255)
    h, w = image_bgr.shape[:2]
    limit = 4 * max(h, w)  # keeps cv2 away from absurd coordinates
    pts = np.clip(np.nan_to_num(points), -limit, limit).round().astype(np.int32)
    for a, b in skeleton_edges(layout_name):
        if a < len(pts) and b < len(pts) and shown[a] and shown[b]:
            cv2.line(image_bgr, tuple(pts[a]), tuple(pts[b]), bone_color, thickness, cv2.LINE_AA)
    radius = max(2, thickness + 1)
    for j in np.flatnonzero(shown):
        cv2.circle(image_bgr, tuple(pts[j]), radius, joint_color, -1, cv2.LINE_AA)


def format_track_caption(track_id: int | None, label: str | None, score: float | None, identity: str | None = None) -> str:
    """'#3 walking 0.87 | alice' (parts that are None are left out)."""
    parts = [f"#{track_id}"] if track_id is not None else []
    if label:
        parts.append(label)
    if score is not None and label:
        parts.append(f"{score:.2f}")
    text = " ".join(parts)
    if identity:
        text = f"{text} | {identity}" if text else identity
    return text


def draw_track_label(
    image: np.ndarray,
    box_or_anchor: Sequence[float] | np.ndarray,
    track_id: int | None,
    label: str | None,
    score: float | None,
    identity: str | None = None,
    color: tuple[int, int, int] | None = None,
    font_scale: float | None = None,
) -> None:
    """Draw a caption (track id, label, score, identity) in place.

    box_or_anchor: (x0, y0, x1, y1) box in pixels (the box is drawn too) or an (x, y) anchor (the caption's
    bottom-left corner). The caption is kept inside the image.
    """
    values = [float(v) for v in np.asarray(box_or_anchor, dtype=np.float64).reshape(-1)]
    if len(values) not in (2, 4) or not all(np.isfinite(values)):
        return
    color = color if color is not None else track_color(track_id)
    h, w = image.shape[:2]
    if len(values) == 4:
        x0, y0, x1, y1 = (round(v) for v in values)
        cv2.rectangle(image, (x0, y0), (x1, y1), color, 2, cv2.LINE_AA)
        ax, ay = x0, y0
    else:
        ax, ay = (round(v) for v in values)
    text = format_track_caption(track_id, label, score, identity)
    if not text:
        return
    scale = font_scale if font_scale is not None else max(0.45, min(1.2, h / 720.0 * 0.7))
    font = cv2.FONT_HERSHEY_SIMPLEX
    text_thickness = 1 if scale < 0.8 else 2
    (tw, th), baseline = cv2.getTextSize(text, font, scale, text_thickness)
    pad = 3
    x = int(np.clip(ax, 0, max(0, w - tw - 2 * pad)))
    y_bottom = int(np.clip(ay, th + baseline + 2 * pad, h))
    y_top = y_bottom - th - baseline - 2 * pad
    cv2.rectangle(image, (x, y_top), (x + tw + 2 * pad, y_bottom), color, -1)
    luminance = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]
    text_color = (0, 0, 0) if luminance > 140 else (255, 255, 255)
    cv2.putText(image, text, (x + pad, y_bottom - baseline - pad), font, scale, text_color, text_thickness, cv2.LINE_AA)


def skeleton_box(landmarks_xy_px: np.ndarray, visibility: np.ndarray | None = None, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> np.ndarray | None:
    """(x0, y0, x1, y1) around the visible joints, or None when fewer than two are visible."""
    points = np.asarray(landmarks_xy_px, dtype=np.float64)[:, :2]
    keep = np.isfinite(points).all(axis=1)
    if visibility is not None:
        keep &= np.asarray(visibility).reshape(-1)[: len(points)] >= min_visibility
    if keep.sum() < 2:
        return None
    lo, hi = points[keep].min(axis=0), points[keep].max(axis=0)
    return np.array([lo[0], lo[1], hi[0], hi[1]])


def draw_hud(image: np.ndarray, lines: Sequence[str], origin: tuple[int, int] = (8, 8), font_scale: float = 0.5) -> None:
    """Draw a few lines of text (fps, per-stage latency, backend) on a dark box at the top-left, in place."""
    if not lines:
        return
    font = cv2.FONT_HERSHEY_SIMPLEX
    sizes = [cv2.getTextSize(line, font, font_scale, 1) for line in lines]
    line_h = max(s[0][1] + s[1] for s in sizes) + 4
    box_w = max(s[0][0] for s in sizes) + 10
    x, y = origin
    overlay_region = image[y : y + line_h * len(lines) + 6, x : x + box_w]
    if overlay_region.size:
        overlay_region[:] = (overlay_region * 0.4).astype(image.dtype)
    for i, line in enumerate(lines):
        cv2.putText(image, line, (x + 5, y + (i + 1) * line_h), font, font_scale, (255, 255, 255), 1, cv2.LINE_AA)


def in_view(tracked, size: tuple[int, int], min_visibility: float = DEFAULT_MIN_VISIBILITY) -> bool:
    """True when some visible joint of an app.records.TrackedSkeleton lies inside the frame of `size` (w, h)."""
    w, h = size
    pixels = tracked.skeleton.pixels((w, h))
    visible = np.asarray(tracked.skeleton.visibility) >= min_visibility
    inside = (pixels[:, 0] >= 0) & (pixels[:, 0] < w) & (pixels[:, 1] >= 0) & (pixels[:, 1] < h)
    return bool((visible & inside).any())


def draw_frame_result(image: np.ndarray, result, layout_name: str = "mediapipe33", hud_lines: Sequence[str] | None = None,
                      show_raw_label: bool = False) -> np.ndarray:
    """Draw every tracked person of an app.records.FrameResult (skeleton, box, id, label, score, identity).

    Draws in place on `image` (BGR, the frame's size) and returns it. The GUI and the video export both call this.
    """
    h, w = image.shape[:2]
    for tracked in result.tracks:
        if not in_view(tracked, (w, h)):  # a person who left: no caption pinned to the edge of the image
            continue
        color = track_color(tracked.track_id)
        skeleton = tracked.skeleton
        pixels = skeleton.pixels((w, h))
        draw_skeleton(image, pixels, skeleton.visibility, layout_name=layout_name, color=color,
                      thickness=max(2, round(min(w, h) / 300)))
        prediction = result.predictions.get(tracked.track_id)
        label = score = identity = None
        if prediction is not None:
            decision = decide(prediction)
            label, score, identity = decision.label, decision.score, decision.identity
            if prediction.label is None and show_raw_label:  # below the threshold: the guess, in brackets
                label, score = f"({prediction.raw_label})", prediction.raw_score
        box = tracked.box if tracked.box is not None else skeleton_box(pixels, skeleton.visibility)
        if box is not None:
            draw_track_label(image, box, tracked.track_id, label, score, identity, color=color)
    if hud_lines:
        draw_hud(image, hud_lines)
    return image
