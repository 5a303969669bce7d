"""Custom actions taught from a few examples: a library of example embeddings of the shipped action encoder,
matched by cosine similarity with a calibrated open-set threshold and merged with the shipped classifier."""
