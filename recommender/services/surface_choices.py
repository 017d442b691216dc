"""Serving follows the evidence: per serving slot (`recommender.serving.slots`), the contender that wins on the slot's
validation data serves it.

`train` measures a new model version and the slot's baselines on the same split (`recommender.services.training`);
`slot_decisions_make` picks the winners and `surface_choices_store` records them as `SurfaceChoice` rows, which the
surfaces read. A version is activated when it wins at least one slot (or is forced to win them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from recommender.models import ModelVersion, SurfaceChoice
from recommender.serving.slots import SLOTS, slot_winner


@dataclass
class SlotDecision:
    slot: str
    protocol: str
    metric: str
    values: dict[str, float | None]  # every contender measured on this split (None: not measured)
    measured_winner: str | None  # the best value (ties: the baseline); None when nothing was measured
    winner: str | None  # what serves the slot from now on: the measured winner, or the model when forced
    forced: bool

    def as_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "metric": self.metric, "values": self.values,
                "measured_winner": self.measured_winner, "winner": self.winner, "forced": self.forced}


def slot_decisions_make(
    *, name: str, values_by_slot: dict[str, dict[str, float | None]], force: bool = False,
) -> list[SlotDecision]:
    """One decision per slot of `values_by_slot` ({slot: {contender: value}}) for model `name`: the measured
    winner serves, or, with `force`, `name` in every slot (recorded as forced). A slot where nothing was measured
    and nothing is forced has no winner (no choice is stored for it)."""
    decisions = []
    for slot_name, values in values_by_slot.items():
        slot = SLOTS[slot_name]
        measured = slot_winner(slot, values)
        decisions.append(SlotDecision(
            slot=slot_name, protocol=slot.protocol, metric=slot.metric, values=dict(values),
            measured_winner=measured, winner=name if force else measured, forced=force,
        ))
    return decisions


def surface_choices_store(
    *, decisions: list[SlotDecision], version: ModelVersion, dataset: str, data_window: dict[str, Any],
) -> list[SurfaceChoice]:
    """Record each decided slot's choice (replacing the slot's previous one); `version` is linked where its model
    won. The surfaces see the new choices within the active-versions check (a second in workers) and restale
    the slates computed under the previous ones."""
    from recommender.serving.loading import served_state_expire

    now = timezone.now()
    stored = []
    with transaction.atomic():
        for decision in decisions:
            if decision.winner is None:
                continue
            choice, _ = SurfaceChoice.objects.update_or_create(slot=decision.slot, defaults={
                "winner": decision.winner,
                "version": version if decision.winner == version.name else None,
                "protocol": decision.protocol, "metric": decision.metric, "values": decision.values,
                "dataset": dataset[:120], "data_window": data_window, "forced": decision.forced, "decided_at": now,
            })
            stored.append(choice)
    served_state_expire()  # this process reads them at once, and again once they are committed
    transaction.on_commit(served_state_expire)
    return stored
