"""Rendering the demo listings' generated thumbnails to files (skips files already there).

`seed_demo` renders every listing of a simulation on up to four processes before loading it; `make demo` seeds
without photos and renders them afterwards, chunk by chunk, while the storefront already serves
(`demo.seeding.demo_photos_attach`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from demo.simulator import SimulationResult
from demo.thumbnails import render_thumbnail

PHOTO_SIZE = 256


@dataclass(frozen=True, slots=True)
class PhotoJob:
    """One thumbnail to draw: the listing spec's id and colour, its category path, brand, and the target file."""

    id: int
    color: str
    category_path: list[str]
    brand: str | None
    target: str


def photo_render(job: PhotoJob) -> None:
    # JPEG: encoding is ten times faster than PNG at the same size for these flat drawings.
    image = render_thumbnail(job, job.category_path, job.brand, size=PHOTO_SIZE)
    image.convert("RGB").save(job.target, format="JPEG", quality=88)


def photo_jobs_render(
    jobs: list[PhotoJob],
    *,
    workers: int = 1,
    progress: Callable[[Iterable, int], Iterable] = lambda items, total: items,
) -> None:
    """Draw `jobs`, in this process (`workers=1`) or on a pool of processes."""
    if workers <= 1:
        for _ in progress(map(photo_render, jobs), len(jobs)):
            pass
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in progress(pool.map(photo_render, jobs, chunksize=64), len(jobs)):
            pass


def photos_render(
    *,
    result: SimulationResult,
    directory: Path,
    progress: Callable[[Iterable, int], Iterable] = lambda items, total: items,
) -> int:
    """Write `<listing spec id>.jpg` for every listing of a simulation; returns how many were rendered now."""
    directory.mkdir(parents=True, exist_ok=True)
    names = {c.id: c.name for c in result.categories}
    parents = {c.id: c.parent_id for c in result.categories}
    brands = {b.id: b.name for b in result.brands}

    def category_path(leaf: int) -> list[str]:
        path: list[str] = []
        node: int | None = leaf
        while node is not None:
            path.append(names[node])
            node = parents[node]
        return path[::-1]

    jobs = [
        PhotoJob(listing.id, listing.color, category_path(listing.category_id),
                 brands.get(listing.brand_id) if listing.brand_id is not None else None, str(target))
        for listing in result.listings
        if not (target := directory / f"{listing.id}.jpg").exists()
    ]
    photo_jobs_render(jobs, workers=max(1, min(4, os.cpu_count() or 1)), progress=progress)
    return len(jobs)
