"""Mercatran: a three-tower transformer that predicts a user's next interactions as vectors.

MerRec (Li et al., "MerRec: A Large-scale Multipurpose Mercari Dataset for Consumer-to-Consumer Recommendation
Systems"), section 4.2.6 and Figure 9; evaluation protocol in 4.2.8 / Table 5; hyperparameters in Table 11.

- **Item encoder** (third tower): a listing is its content only (title + brand + category), so a listing posted
  after training still gets a vector. Titles go through a byte-level BPE tokenizer trained on the listing titles;
  brand and the most specific category become whole tokens (`[brand:123]`, `[cat:456]`). The tokens are averaged
  by an EmbeddingBag and refined by transformer blocks without self-attention (feed-forward + residual + norm).
- **User encoder**: a transformer encoder over up to 22 past interactions (item vector + action + recency).
- **User decoder**: a causal transformer decoder that cross-attends to the encoder and predicts the next 4
  interactions autoregressively: teacher forcing with the true next items in training, its own predictions at
  inference.
- **Loss**: per step, symmetric cross-entropy over temperature-scaled cosine similarities between the decoder's
  predictions and the item encoder's vectors of the true items, other rows of the batch being the negatives.
  The temperature (not in Table 11) is 0.03: on the demo data it is the setting that makes V2's served row more
  diverse than V1's at similar step-1 recall; at 0.07-0.1 the four steps' searches return nearly the same
  listings. It costs steps 2-4 some item recall.
  Three options of ours, off by default because on the demo data they cost recall without making the served row
  more diverse than V1's (docs/evaluation/mercatran/notes.md): the same user's targets of the other steps as
  extra negatives (`step_negatives`), the next distinct listings not already in the input window as the
  decoder's targets (`new_targets`), and scheduled sampling (`scheduled_sampling`: a ramped chance that a
  decoder input is the model's own prediction, the inference condition, instead of the true item's vector).

`mercatran_v1` is the paper's Mercatran V1 (two towers, one step): the encoder's newest position predicts the next
item directly, no decoder. Serving runs one vector search per predicted step and merges the rows.

Table 11 trains with batch 3072 and "learning rate 1.0" (a scaled schedule); on CPU we use AdamW with a smaller
batch (256), warm-up and cosine decay, and a window at every position of each sequence (3 epochs over ~35k windows
of the demo data, about 9 minutes on a shared 2-core machine).
"""

# Importing the package registers its models (`recommender.registry` imports it).
from recommender.nets.mercatran import model  # noqa: F401
