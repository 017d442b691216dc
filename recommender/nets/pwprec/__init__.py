"""PWPRec: page-wise two-tower retrieval with a causal transformer user tower (eBay).

Paper: Wang et al., "Page-Wise Personalized Recommendations in an Industrial e-Commerce Setting" (PWPRec).
- Item tower: content features, section 3.2 (see `content_tower.py`).
- User tower: causal transformer encoder, section 3.3: input = item embedding + learned embedding of the
  relative position T - i (eq. 1-2), self-attention under a lower-triangular mask (eq. 3-4).
- Fusion, section 3.4: Long-Short fusion for the view-item page (eq. 5-6: additive attention of every position
  against the last one gives the long-term vector, a learned gate mixes it with the last position) and
  Multi-Interest fusion for the homepage (eq. 7: A = softmax((tanh(I W1) W2)^T), U = A I, K interests).
- Training, section 4.3: view-item samples are session prefixes -> next item with 1 positive + 10 global
  negatives and softmax cross-entropy with inverse temperature (eq. 8); homepage samples are a user's events in
  the 30 days before a target, with in-batch negatives and the interest vector closest to the positive chosen for
  the loss (eq. 9); validation picks the interest with the highest summed affinity to the candidates (eq. 10).
  Early stopping on validation Recall@K (`recommender/nets/training.py` runs the epochs).
- Ablations of Table 3 from the same code: `user_tower="gru"` (GRU4Rec-Enhanced: GRU + attention-weighted sum)
  and `user_tower="sasrec"` (causal transformer with absolute positions, last position as the user vector).

The affinity is the inner product of l2-normalised vectors (cosine) times the inverse temperature, so serving
with normalised vectors in pgvector ranks exactly as training scored.
"""

# Importing the package registers its models (`recommender.registry` imports it).
from recommender.nets.pwprec import model  # noqa: F401
