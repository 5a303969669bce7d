"""The management subcommands shared by `gallery` and `actions`: list, rename, remove, export, import."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoreWords:
    """How one kind of store speaks of itself in --help."""

    file: str  # "gallery" | "library"
    entry: str  # "a person" | "a custom action"
    entries: str  # "enrolled people" | "the custom actions"
    removed: str  # what `remove` deletes with the entry: "all their templates"
    imported: str  # "people" | "actions"
    existing: str  # "a name already enrolled" | "an existing action"
    items: str  # "templates" | "examples"


def add_management_parsers(sub, common: argparse.ArgumentParser, words: StoreWords,
                           run: dict[str, Callable[[argparse.Namespace], int]]) -> None:
    """Add list / rename / remove / export / import to ``sub``; ``run`` maps each name to its handler."""
    ls = sub.add_parser("list", parents=[common], help=f"list {words.entries}")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run["list"])

    r = sub.add_parser("rename", parents=[common], help=f"rename {words.entry}")
    r.add_argument("old")
    r.add_argument("new")
    r.set_defaults(func=run["rename"])

    rm = sub.add_parser("remove", parents=[common], help=f"delete {words.entry} and {words.removed}")
    rm.add_argument("name")
    rm.set_defaults(func=run["remove"])

    ex = sub.add_parser("export", parents=[common], help=f"write the {words.file} to a JSON file (mode 0600)")
    ex.add_argument("file", type=Path)
    ex.set_defaults(func=run["export"])

    im = sub.add_parser("import", parents=[common], help=f"add the {words.imported} of an exported JSON file")
    im.add_argument("file", type=Path)
    conflict = im.add_mutually_exclusive_group()
    conflict.add_argument("--merge", action="store_const", dest="on_conflict", const="merge",
                          help=f"{words.existing} gets the imported {words.items} too")
    conflict.add_argument("--replace", action="store_const", dest="on_conflict", const="replace",
                          help=f"{words.existing} gets only the imported {words.items}")
    im.set_defaults(func=run["import"], on_conflict="error")
