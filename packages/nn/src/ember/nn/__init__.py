"""Neural networks: modules, layers, losses (`ember.nn.functional`, `ember.nn.init`, `ember.nn.utils`)."""
