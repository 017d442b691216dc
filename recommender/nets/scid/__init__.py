"""SCID: session-conditioned item descriptors from a multi-task pre-trained GRU.

Zivic, Sanchez, Carrascosa, "Don't Lose Your Head(s): Model Pre-Training and Exploitation for Personalization"
(SIGIR eCom'23), seed 001. §4: a GRU over a session's item attribute embeddings, pre-trained with four heads
(this-item purchase, session purchase, next-item attributes, purchased-item attributes), the losses combined with
learned uncertainty weights (Kendall et al., the paper's [9]). §5: the heads are kept; for a candidate, the
max / mean / last similarity between each regression head's predictions along the session and the candidate's
attribute (eqs. 5-7) gives 2 heads x 3 attributes x 3 statistics = 18 coefficients. §6.2: single-layer GRU with a
256-d state, Adam at 1e-3, early stopping with patience 4.

Decisions where the paper is silent:
- A session is split after each purchase, so every training segment either ends in a purchase or has none
  ("a session is a purchase if the last event is a purchase"). Consecutive events on one item form one step
  (bought if any of them is `buy_comp`); the input is the item's attributes only, never the action, so the
  this-item purchase head has to read it from the item and the context.
- The product_id head is trained as a softmax over cosine similarities with the batch's product embeddings
  (shared with the input embedding); plain regression towards a learned embedding would collapse.
- Price similarity is 1 - (normalised log price difference)^2, so that, like the cosine of the two vector
  attributes, it is an inner product of a per-step prediction feature and a per-candidate feature. The mean
  (eq. 6) and its moving-average (MA) variant are then exact running sums, and `ScidState` costs one GRU step per
  event. The max (eq. 5) depends on the candidate, so the state keeps the session's per-step prediction features
  (a few KB per step) and takes the max with one matrix product per request.
"""

# Importing the package registers its models (`recommender.registry` imports it).
from recommender.nets.scid import model  # noqa: F401
