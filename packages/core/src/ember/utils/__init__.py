"""Utilities beside the tensor library: `ember.utils.data` (PyTorch's path to `ember.data`, from the ember-data
package) and `ember.utils.tensorboard` (TensorBoard logging, needs the `tensorboard` extra)."""
