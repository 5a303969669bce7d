"""Gait templates (the mean direction of window embeddings): the pure code lives in `aclnet_core.eval.templates`,
so offline evaluation (`main.py eval --task identification`) enrols people exactly as the app does."""

from aclnet_core.eval.templates import TemplateResult, build_template, normalize_rows, split_into_templates

__all__ = ["TemplateResult", "build_template", "normalize_rows", "split_into_templates"]
