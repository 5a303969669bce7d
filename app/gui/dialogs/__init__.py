"""Dialogs of the main window: enrol, settings, record, export."""
