"""ember-dqn: Deep Q-learning (replay buffer, target network, epsilon schedule) on gymnasium's CartPole."""
