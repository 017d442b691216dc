"""Progress bars for the recommender commands: tqdm on stderr, or nothing."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from recommender.evaluation.scoring import Progress


def progress_bars(enabled: bool = True) -> Progress | None:
    """A `progress(iterable, total=..., desc=...)` drawing tqdm bars on stderr; None when disabled."""
    if not enabled:
        return None
    from tqdm import tqdm

    def wrap(iterable: Iterable, total: int | None = None, desc: str | None = None, **_: Any) -> Iterable:
        return tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False, mininterval=0.5)

    return wrap
