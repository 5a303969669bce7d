"""Licence-clean test media (see ATTRIBUTION)."""
