"""Learned board encoders: the chess-board ladder's rungs (planes, network, pretraining, weights)."""
