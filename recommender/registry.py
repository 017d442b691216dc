"""Imports every module that registers a recommender, so `recommender.base` can find them by name."""

# Each import registers its classes with `recommender.base.register`. Keep the list sorted.
import recommender.baselines  # noqa: F401
import recommender.nets.iu_boosted  # noqa: F401
import recommender.nets.mercatran  # noqa: F401
import recommender.nets.pwprec  # noqa: F401
import recommender.nets.ranking_two_tower  # noqa: F401
import recommender.nets.scid  # noqa: F401
import recommender.ranker  # noqa: F401
import recommender.session_hybrid  # noqa: F401
