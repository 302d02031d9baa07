"""Networks: SR generators, discriminators, feature backbones."""
