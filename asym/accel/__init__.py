"""Optional speed kernels: switched on by one config key; equivalent to the reference models."""
