"""Optimization stage (claims C1, C2, C4): SR training with fidelity and adversarial losses, evaluation, stability."""
