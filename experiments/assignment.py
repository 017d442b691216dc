"""Which arm a viewer sees: a deterministic hash of the experiment's salt and the viewer's key, so the same viewer
gets the same arm on every request and every process, with no assignment table, and a new salt re-randomises.

A viewer key is `u<user id>` for a signed-in viewer, else the stored (hashed) id of the anonymous visit
(`marketplace.viewers.session_id_for`, 40 hex characters: never starts with "u"). A visitor who signs in becomes
a new viewer: their anonymous requests and their signed-in ones may see different arms.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

BUCKET_BITS = 64


def viewer_key(*, user_id: int | None, session_id: str) -> str:
    """The key a viewer is assigned by ("" for a request that is neither signed in nor in a session)."""
    if user_id is not None:
        return f"u{user_id}"
    return session_id or ""


def viewer_bucket(*, salt: str, key: str) -> float:
    """A uniform number in [0, 1) fixed by (salt, key): SHA-256 of both, its first 64 bits."""
    digest = hashlib.sha256(f"{salt}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[: BUCKET_BITS // 8], "big") / 2**BUCKET_BITS


def arm_index(*, salt: str, key: str, shares: Sequence[float]) -> int:
    """The arm whose slice of [0, 1) (in order, sized by `shares`, which sum to 1) holds the viewer's bucket."""
    bucket = viewer_bucket(salt=salt, key=key)
    edge = 0.0
    for index, share in enumerate(shares):
        edge += share
        if bucket < edge:
            return index
    return len(shares) - 1  # rounding: shares summing to 0.999... leave the last sliver to the last arm


def request_rng(*, salt: str, key: str, request_id: str) -> random.Random:
    """The coin flips of one interleaved response: reproducible from the logged request id."""
    digest = hashlib.sha256(f"{salt}\x1f{key}\x1f{request_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
