"""Dataset export (issue 6): see core.py for how it streams and which conventions it follows."""

from .core import (
    DEFAULT_SEED,
    DEFAULT_SPLIT,
    SPLITS,
    Export,
    ExportError,
    ExportOptions,
    check_split,
    dataset_batches,
    parse_split,
    subset_of,
)
from .formats import FORMATS, prepare_export

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SPLIT",
    "FORMATS",
    "SPLITS",
    "Export",
    "ExportError",
    "ExportOptions",
    "check_split",
    "dataset_batches",
    "parse_split",
    "prepare_export",
    "subset_of",
]
