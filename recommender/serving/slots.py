"""Serving slots: the row sources whose recommender is chosen by evidence (issue 19, "serving follows the evidence").

A slot is one kind of row a surface shows, named as its rows' `surface` ("home_for_you", ...). Each lists the
offline protocol it is judged on, the metric, and its contenders: the models that can serve its rows and the
baselines the surface can actually serve there. `train` evaluates a new model version and the slot's baselines on
the same split and stores the winner per slot (`recommender.services.surface_choices`); the surfaces read the
stored choice (`recommender.surfaces.compute`). `sknn` contends for no slot: no surface can serve it today.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.models import MODEL_VECTOR_COLUMNS


@dataclass(frozen=True)
class ServingSlot:
    name: str  # the rows' `surface`, e.g. "home_for_you"
    protocol: str  # recommender.evaluation.protocols
    metric: str
    models: tuple[str, ...]  # registry names of the models that can serve the rows
    baselines: tuple[str, ...]  # simplest first: a tie goes to the earlier one
    fallback: str  # the baseline serving the rows when no chosen or served model does (today's rule)

    @property
    def contenders(self) -> tuple[str, ...]:
        return (*self.baselines, *self.models)


SLOTS: dict[str, ServingSlot] = {slot.name: slot for slot in (
    # "for you" rows: a vector model's interest rows, content kNN rows per recent category, or none at all (the
    # shared "popular now" row only). Mercatran's vectors serve "next up", not these rows.
    ServingSlot("home_for_you", "home", "recall@20",
                models=tuple(name for name in MODEL_VECTOR_COLUMNS if name != "mercatran"),
                baselines=("popularity", "content"), fallback="content"),
    # "next up": Mercatran's 4 predicted steps merged into one row, or co-occurrence with the last item viewed. The
    # row shows the merged list, so the merged recall (share of the 4 true next items in the top 20) judges it.
    ServingSlot("home_next_up", "multistep", "merged/recall@20", models=("mercatran",),
                baselines=("popularity", "cooccurrence"), fallback="cooccurrence"),
    # the item page's "picked for you": PWPRec, or no such row (the listing's own "similar" = content and "viewed
    # together" = co-occurrence rows then serve the page)
    ServingSlot("vip_for_you", "vip", "recall@20", models=("pwprec",),
                baselines=("cooccurrence", "content"), fallback="content"),
)}


def slots_of_model(name: str) -> list[ServingSlot]:
    """The slots registry model `name` contends for as a model (baselines are measured, never trained for one)."""
    return [slot for slot in SLOTS.values() if name in slot.models]


def slot_winner(slot: ServingSlot, values: dict[str, float | None]) -> str | None:
    """The contender with the best measured value; a tie goes to the baseline (the simpler thing), then to the
    earlier contender. None when no contender was measured."""
    winner, best = None, -float("inf")
    for name in slot.contenders:
        value = values.get(name)
        if value is not None and value > best:
            winner, best = name, value
    return winner


def slot_source(slot: ServingSlot, chosen: str | None, *, served: set[str]) -> str | None:
    """Which contender serves the slot's rows: the stored choice (`chosen`) when it can serve (a baseline always
    can; a model while a version of it is active, i.e. in `served`), else None: today's rule, the served models'
    rows else the fallback baseline."""
    if chosen is None or chosen not in slot.contenders:
        return None
    if chosen in slot.models and chosen not in served:
        return None
    return chosen
