"""A ranking-tuned transformer two-tower model with context debiasing.

Khrylchenko, Fritzler, "Personalized Transformer-based Ranking for e-Commerce at Yandex" (2023), seed 002, §3:
- §3.1 item tower: a content embedding (here the title text vector plus category / brand / condition / price
  bucket embeddings; no item-id embeddings) through residual blocks x_{k+1} = LayerNorm(ReLU(Linear(x_k)) + x_k),
  l2-normalised.
- §3.2 user tower: a bidirectional post-norm transformer over the user's chronological events (views, likes,
  carts, offers, purchases and search queries in one sequence), each the sum of a content embedding (shared with
  the item tower; a search event uses its query's text vector when there is one, else a learned search token),
  a reversed absolute position (latest = 0) and an event-type embedding; layer-normalised; a learnable [CLS]
  whose output, l2-normalised, is the user vector.
- §3.3 cosine similarity r_ui.
- §3.4 context debiasing: a context tower (surface + device, and here also the impression position) adds a
  learned scalar r_ctx inside the training sigmoids only; serving uses r_ui alone.
- §3.5 two-stage training: sampled softmax with in-batch negatives and a learnable temperature, then fine-tuning
  on impression groups (one recommendation request) with the calibrated pairwise loss per positive signal
  (click, cart, like, purchase), f = sigmoid(g_k r + g_k,ctx r_ctx + b_k), BPR_k = -log f_p / (f_p + f_n), plus
  a pointwise click BCE (eq. 2), its weight 0.1 (Table 1, L6).

Defaults are sized for a CPU (the paper: d = 256, 4 layers, 1024 events, 4 item blocks of width 1024).
"""

# Importing the package registers its models (`recommender.registry` imports it).
from recommender.nets.ranking_two_tower import model  # noqa: F401
