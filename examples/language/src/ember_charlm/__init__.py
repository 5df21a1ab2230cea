"""ember-charlm: a character-level Transformer language model on the Python standard library's sources."""
