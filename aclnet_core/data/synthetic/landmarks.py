"""The MediaPipe-33 (BlazePose) landmark order the generator writes; "left" is the person's left."""

from __future__ import annotations

import numpy as np

from aclnet_core.skeleton.layouts import get_layout

LANDMARK_NAMES: tuple[str, ...] = get_layout("mediapipe33").joints
NUM_LANDMARKS = len(LANDMARK_NAMES)

NOSE = 0
L_EAR, R_EAR = 7, 8
L_SHOULDER, R_SHOULDER = 11, 12
L_ELBOW, R_ELBOW = 13, 14
L_WRIST, R_WRIST = 15, 16
L_INDEX, R_INDEX = 19, 20
L_HIP, R_HIP = 23, 24
L_KNEE, R_KNEE = 25, 26
L_ANKLE, R_ANKLE = 27, 28
L_HEEL, R_HEEL = 29, 30
L_FOOT, R_FOOT = 31, 32

FACE = tuple(range(11))
HAND_POINTS = (17, 18, 19, 20, 21, 22)
FOOT_POINTS = (L_HEEL, R_HEEL, L_FOOT, R_FOOT)
TORSO = (L_SHOULDER, R_SHOULDER, L_HIP, R_HIP)

FLIP_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20), (21, 22),
    (23, 24), (25, 26), (27, 28), (29, 30), (31, 32),
)  # fmt: skip


def flip_permutation() -> np.ndarray:
    """Index array that swaps every left landmark with its right partner."""
    perm = np.arange(NUM_LANDMARKS)
    for left, right in FLIP_PAIRS:
        perm[left], perm[right] = right, left
    return perm


# Landmarks on the person's left / right side (face points included), for self-occlusion.
LEFT_SIDE = tuple(left for left, _ in FLIP_PAIRS)
RIGHT_SIDE = tuple(right for _, right in FLIP_PAIRS)

# Per-landmark jitter multiplier (MediaPipe is steadiest on the face and torso, worst on hands and feet).
JITTER_SCALE = np.array(
    [0.6] * 11 + [0.8, 0.8, 1.0, 1.0, 1.3, 1.3] + [1.8] * 6 + [0.8, 0.8, 1.0, 1.0, 1.2, 1.2, 1.4, 1.4, 1.4, 1.4],
    dtype=np.float64,
)
