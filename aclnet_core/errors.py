"""The one exception type for bad user input: the CLI prints its message on one line and exits non-zero."""


class UserError(Exception):
    """Bad input (missing or malformed file, mismatched layout, empty dataset…); the message is shown as is."""
