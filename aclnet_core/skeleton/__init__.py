"""Skeleton layouts, layout conversion and sequence normalisation (numpy only)."""

from aclnet_core.skeleton.convert import convert, convert_score, supported_conversions
from aclnet_core.skeleton.layouts import LAYOUTS, SkeletonLayout, get_layout, layout_names
from aclnet_core.skeleton.normalize import normalize_sequence

__all__ = [
    "LAYOUTS",
    "SkeletonLayout",
    "convert",
    "convert_score",
    "get_layout",
    "layout_names",
    "normalize_sequence",
    "supported_conversions",
]  # fmt: skip
