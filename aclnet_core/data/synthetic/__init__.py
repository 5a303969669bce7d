"""Procedural MediaPipe-33 human motion: action clips, gait identities and a live demo stream (numpy only).

See docs/SYNTHETIC.md. The public API lives in :mod:`aclnet_core.data.synthetic.generator`.
"""

from aclnet_core.data.synthetic.gait import PERTURBATIONS
from aclnet_core.data.synthetic.generator import (
    ACTION_NAMES,
    ACTION_SPLITS,
    GAIT_SPLITS,
    GALLERY_DIRECTIONS,
    NUM_GAIT_IDENTITIES,
    PROBE_DIRECTIONS,
    MotionGenerator,
    SyntheticFrame,
    SyntheticSample,
    action_azimuth_bands,
    make_action_split,
    make_gait_split,
)
from aclnet_core.data.synthetic.landmarks import FLIP_PAIRS, LANDMARK_NAMES, NUM_LANDMARKS

__all__ = [
    "ACTION_NAMES",
    "ACTION_SPLITS",
    "FLIP_PAIRS",
    "GAIT_SPLITS",
    "GALLERY_DIRECTIONS",
    "LANDMARK_NAMES",
    "NUM_GAIT_IDENTITIES",
    "NUM_LANDMARKS",
    "PERTURBATIONS",
    "PROBE_DIRECTIONS",
    "MotionGenerator",
    "SyntheticFrame",
    "SyntheticSample",
    "action_azimuth_bands",
    "make_action_split",
    "make_gait_split",
]
