"""Transfer stage (claims C3, C5): IQA models whose backbone starts from random, pre-trained or discriminator weights."""
