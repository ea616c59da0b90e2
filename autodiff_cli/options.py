"""argparse types the subcommands share."""

import argparse


def path(text: str) -> str:
    """A file or folder name that names something: '' (or only spaces) would quietly mean the
    current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a file or folder name, got {text!r}")
    return text
