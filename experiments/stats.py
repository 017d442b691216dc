"""Confidence intervals by bootstrap over viewers, and the sign test.

Viewers, not impressions, are the unit that was randomised: one viewer's impressions and clicks are correlated, so
resampling impressions would give intervals that are too narrow. Every metric is a ratio of sums over viewers
(clicks / impressions, carts / viewers) and is recomputed on each resample of the viewers, with replacement, all
metrics and arms on the same resamples (so a difference between two interleaved arms, whose viewers are the same
people, is paired). Percentile intervals; a fixed seed makes a report reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

RESAMPLES = 2000
SEED = 20
CONFIDENCE = 0.95
MAX_CELLS = 4_000_000  # resample indices held at once (resamples x viewers), about 32 MB


@dataclass(frozen=True)
class Interval:
    estimate: float | None  # None where the denominator is 0 (no viewers or impressions)
    low: float | None
    high: float | None

    def covers(self, value: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high

    def as_dict(self) -> dict[str, float | None]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def _ratio(num: np.ndarray, den: np.ndarray) -> float | None:
    total = float(den.sum())
    return float(num.sum()) / total if total else None


def _interval(estimate: float | None, draws: np.ndarray) -> Interval:
    draws = draws[np.isfinite(draws)]
    if estimate is None or not len(draws):
        return Interval(estimate, None, None)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Interval(estimate, float(low), float(high))


class ViewerBootstrap:
    """Ratios of per-viewer sums, with intervals from one shared set of viewer resamples.

    `columns` maps a name to an array with one entry per viewer (the same viewer order in every array); every
    column's sum over each resample is computed once, up front, so any ratio or difference of them is cheap."""

    def __init__(self, columns: dict[str, np.ndarray], *, resamples: int = RESAMPLES, seed: int = SEED) -> None:
        self.columns = {name: np.asarray(values, dtype=float) for name, values in columns.items()}
        self.viewers = len(next(iter(self.columns.values()))) if self.columns else 0
        self.resamples = resamples
        self.seed = seed
        self.draws = self._sums() if self.viewers else {}

    def _sums(self) -> dict[str, np.ndarray]:
        """Each column's sum over each resample of the viewers: arrays of shape (resamples,)."""
        rng = np.random.default_rng(self.seed)
        chunk = max(1, MAX_CELLS // self.viewers)
        parts: dict[str, list[np.ndarray]] = {name: [] for name in self.columns}
        done = 0
        while done < self.resamples:
            size = min(chunk, self.resamples - done)
            picks = rng.integers(0, self.viewers, size=(size, self.viewers))  # (size, viewers) viewer indices
            for name, column in self.columns.items():
                parts[name].append(column[picks].sum(axis=1))
            done += size
        return {name: np.concatenate(chunks) for name, chunks in parts.items()}

    def ratio(self, num: str, den: str) -> Interval:
        """sum(num) / sum(den) over the viewers."""
        if not self.viewers:
            return Interval(None, None, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            draws = self.draws[num] / self.draws[den]
        return _interval(_ratio(self.columns[num], self.columns[den]), draws)

    def difference(self, num_a: str, den_a: str, num_b: str, den_b: str) -> Interval:
        """ratio(b) - ratio(a), both on the same resamples (a viewer outside an arm holds zeros in its columns)."""
        if not self.viewers:
            return Interval(None, None, None)
        a = _ratio(self.columns[num_a], self.columns[den_a])
        b = _ratio(self.columns[num_b], self.columns[den_b])
        if a is None or b is None:
            return Interval(None, None, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            draws = self.draws[num_b] / self.draws[den_b] - self.draws[num_a] / self.draws[den_a]
        return _interval(b - a, draws)


def sign_test(wins: int, losses: int) -> float | None:
    """Two-sided p-value that `wins` out of `wins + losses` decided comparisons would be as lopsided if each were a
    fair coin (ties left out); None with nothing decided."""
    if wins + losses == 0:
        return None
    return float(scipy_stats.binomtest(wins, wins + losses, 0.5).pvalue)


def sample_ratio_p_value(observed: list[int], shares: list[float]) -> float | None:
    """Chi-square p-value of viewers per arm against the configured split (a sample-ratio mismatch check: a tiny
    p-value means assignment or logging is broken, and the metrics should not be trusted). None with no viewers."""
    total = sum(observed)
    if not total:
        return None
    return float(scipy_stats.chisquare(observed, [share * total for share in shares]).pvalue)
