"""What an experiment is made of (its arms, split and metric) and the rules a valid one follows, free of the ORM.

An impression of an experiment's arm is logged with `recommender="<experiment>:<arm>"` (`Arm.label`), which is how
the results find it; the event log keeps 40 characters of `recommender`, so the two names together must fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from marketplace.errors import ApplicationError

RECOMMENDER_FIELD_LENGTH = 40  # Event.recommender
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ARM_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# A registry or baseline name ("pwprec", "popularity"), optionally pinned to one model version: "pwprec@42".
RECOMMENDER_PATTERN = re.compile(r"^(?P<model>[a-z][a-z0-9_]*)(@(?P<version>[0-9]+))?$")

# Message constants: tests assert on these, the admin and the API show them.
EXPERIMENT_NAME_INVALID = ("An experiment name is lower-case letters, digits, '-' and '_', starting with a letter "
                           "or digit; got {name!r}.")
EXPERIMENT_ARMS_INVALID = 'Arms are a list of objects like {{"name": "control", "recommender": "popularity"}}; {why}.'
EXPERIMENT_ARMS_TOO_FEW = "An experiment needs at least two arms."
EXPERIMENT_INTERLEAVING_TWO_ARMS = "An interleaving experiment compares exactly two arms; it has {count}."
EXPERIMENT_ARM_NAME_INVALID = ("Arm name {name!r} is invalid: lower-case letters, digits, '-' and '_', starting "
                               "with a letter or digit.")
EXPERIMENT_ARM_NAME_DUPLICATE = "Two arms are named {name!r}."
EXPERIMENT_LABEL_TOO_LONG = ("'{label}' is {length} characters; the event log keeps {limit}: shorten the experiment "
                             "or arm name.")
EXPERIMENT_RECOMMENDER_INVALID = ("Arm {arm!r}: recommender {recommender!r} is not a recommender name "
                                  "(e.g. 'pwprec') or a model version (e.g. 'pwprec@42').")
EXPERIMENT_VERSION_UNKNOWN = "Arm {arm!r}: there is no model version #{version} of {model!r}."
EXPERIMENT_VERSION_NOT_SERVED = (
    "Arm {arm!r}: version #{version} of {model!r} is not its active version; the surfaces serve a model's active "
    "version only (its item vectors are stored for that version): activate it first, or name the arm {model!r}.")
EXPERIMENT_WEIGHTS_INVALID = "The split needs one positive weight per arm ({arms} arms); got {weights!r}."
EXPERIMENT_WEIGHTS_INTERLEAVING = "An interleaving experiment shows both arms to every viewer: leave the split empty."
EXPERIMENT_METRIC_INTERLEAVING_ONLY = "The preference metric needs an interleaving experiment."
EXPERIMENT_LAYOUT_INTERLEAVING = ("An interleaving experiment shows both arms merged in one row: its layout is 'row' "
                                  "(or empty).")
EXPERIMENT_SURFACE_NOT_SERVED = ("{name} is running, but the {surface} do not serve an experiment's arms yet "
                                 "(only the home rows do): it will log no impressions.")
EXPERIMENT_LAYOUT_HOME_ONLY = "The one-row layout exists on the home rows only."


@dataclass(frozen=True)
class Arm:
    name: str  # e.g. "control"
    recommender: str  # a recommender name, or "name@<version id>" for one model version

    @property
    def model(self) -> str:
        """The recommender's name without a pinned version."""
        return self.recommender.split("@", 1)[0]

    @property
    def version(self) -> int | None:
        """The pinned model version id, if the arm names one."""
        _, _, version = self.recommender.partition("@")
        return int(version) if version else None

    def label(self, experiment_name: str) -> str:
        """What impressions of this arm carry as their `recommender`."""
        return f"{experiment_name}:{self.name}"


def arms_parse(raw: object) -> list[Arm]:
    """The arms of a stored or submitted JSON list; ApplicationError for a malformed one."""
    if not isinstance(raw, list):
        raise ApplicationError(EXPERIMENT_ARMS_INVALID.format(why="this is not a list"))
    arms = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"name", "recommender"}:
            raise ApplicationError(EXPERIMENT_ARMS_INVALID.format(why=f"{item!r} is not one"))
        if not all(isinstance(value, str) for value in item.values()):
            raise ApplicationError(EXPERIMENT_ARMS_INVALID.format(why=f"{item!r} holds a value that is not text"))
        arms.append(Arm(name=item["name"], recommender=item["recommender"]))
    return arms


def weights_normalised(weights: Sequence[float], arm_count: int) -> list[float]:
    """The split as fractions summing to 1; an empty split means equal shares."""
    if not weights:
        return [1.0 / arm_count] * arm_count
    total = float(sum(weights))
    return [float(w) / total for w in weights]


def experiment_config_check(*, name: str, kind: str, arms: object, weights: object, primary_metric: str,
                            interleaving: str, preference_metric: str, layout: str, surface: str, page: str, row: str,
                            home_rows: str) -> list[Arm]:
    """Raise ApplicationError (with one of the messages above) unless these make a valid experiment; returns the
    parsed arms. Whether a pinned model version exists is for the serving side to say (`experiment_arms_check`).
    The choices' values (`interleaving`, `page`, ...) come from the models, which this module cannot import."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ApplicationError(EXPERIMENT_NAME_INVALID.format(name=name))
    parsed = arms_parse(arms)
    if kind == interleaving and len(parsed) != 2:
        raise ApplicationError(EXPERIMENT_INTERLEAVING_TWO_ARMS.format(count=len(parsed)))
    if len(parsed) < 2:
        raise ApplicationError(EXPERIMENT_ARMS_TOO_FEW)
    seen: set[str] = set()
    for arm in parsed:
        if not ARM_NAME_PATTERN.match(arm.name):
            raise ApplicationError(EXPERIMENT_ARM_NAME_INVALID.format(name=arm.name))
        if arm.name in seen:
            raise ApplicationError(EXPERIMENT_ARM_NAME_DUPLICATE.format(name=arm.name))
        seen.add(arm.name)
        label = arm.label(name)
        if len(label) > RECOMMENDER_FIELD_LENGTH:
            raise ApplicationError(EXPERIMENT_LABEL_TOO_LONG.format(label=label, length=len(label),
                                                                    limit=RECOMMENDER_FIELD_LENGTH))
        if not RECOMMENDER_PATTERN.match(arm.recommender):
            raise ApplicationError(EXPERIMENT_RECOMMENDER_INVALID.format(arm=arm.name, recommender=arm.recommender))
    if not isinstance(weights, list):
        raise ApplicationError(EXPERIMENT_WEIGHTS_INVALID.format(arms=len(parsed), weights=weights))
    if kind == interleaving:
        if weights:
            raise ApplicationError(EXPERIMENT_WEIGHTS_INTERLEAVING)
    elif weights and (
        len(weights) != len(parsed)
        or not all(isinstance(w, int | float) and not isinstance(w, bool) and w > 0 for w in weights)
    ):
        raise ApplicationError(EXPERIMENT_WEIGHTS_INVALID.format(arms=len(parsed), weights=weights))
    if primary_metric == preference_metric and kind != interleaving:
        raise ApplicationError(EXPERIMENT_METRIC_INTERLEAVING_ONLY)
    if kind == interleaving and layout == page:
        raise ApplicationError(EXPERIMENT_LAYOUT_INTERLEAVING)
    if kind != interleaving and layout == row and surface != home_rows:
        raise ApplicationError(EXPERIMENT_LAYOUT_HOME_ONLY)
    return parsed


ArmsCheck = Callable[[Sequence[Arm]], None]
_arms_checks: list[ArmsCheck] = []


def arms_check_register(check: ArmsCheck) -> None:
    """Add a check every experiment's arms must pass before it is saved or started (the recommender app registers
    one in its `AppConfig.ready`: experiments sit below it and cannot know its models). Registering twice is a
    no-op."""
    if check not in _arms_checks:
        _arms_checks.append(check)


def experiment_arms_check(arms: Sequence[Arm]) -> None:
    """Run the registered checks: each raises ApplicationError (e.g. EXPERIMENT_VERSION_UNKNOWN) for arms it
    cannot serve."""
    for check in _arms_checks:
        check(arms)
