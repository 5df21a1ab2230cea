"""Utilities beside the tensor library: `ember.utils.tensorboard` (TensorBoard logging, needs the `tensorboard` extra)."""
