"""Real motion capture (the shared mocap set, a user's .npz or BVH folder) as MediaPipe-33 training data."""

from aclnet_core.data.mocap.dataset import MOCAP_SPLITS, PRODUCT_LABEL_MAP, PRODUCT_SPLITS, load_mocap_split
from aclnet_core.data.mocap.render import render_segment
from aclnet_core.data.mocap.to_mediapipe import mediapipe33_scene, resolve_joints
from aclnet_core.data.mocap.trials import MocapTrial, find_trials, load_trial

__all__ = ["MOCAP_SPLITS", "PRODUCT_LABEL_MAP", "PRODUCT_SPLITS", "MocapTrial", "find_trials", "load_mocap_split",
           "load_trial", "mediapipe33_scene", "render_segment", "resolve_joints"]
