"""Interest units (IU4Rec): listings grouped by product (SPU), appearance (image) or meaning (semantic IDs)."""
