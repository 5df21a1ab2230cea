"""ember-classify: train, validate, plot, evaluate and predict an image classifier with Ember."""

__version__ = "0.1.0"
