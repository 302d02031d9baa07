"""GAN objectives: signs, minima and errors."""

from __future__ import annotations

import pytest
import torch

from asym.adversarial import OBJECTIVES, accuracy, discriminator_loss, generator_loss


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_confident_correct_discriminator_has_lower_loss(objective):
    good = discriminator_loss(torch.full((4, 1, 3, 3), 5.0), torch.full((4, 1, 3, 3), -5.0), objective)
    bad = discriminator_loss(torch.full((4, 1, 3, 3), -5.0), torch.full((4, 1, 3, 3), 5.0), objective)
    assert good < bad


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_generator_loss_falls_when_fakes_look_real(objective):
    assert generator_loss(torch.full((2, 1), 3.0), objective) < generator_loss(torch.full((2, 1), -3.0), objective)


def test_hinge_discriminator_loss_is_zero_beyond_margin():
    assert discriminator_loss(torch.full((2, 1), 2.0), torch.full((2, 1), -2.0), "hinge").item() == 0.0


def test_nonsaturating_matches_log_sigmoid():
    logits = torch.tensor([[0.3], [-1.2]])
    assert torch.allclose(generator_loss(logits, "nonsaturating"), -torch.nn.functional.logsigmoid(logits).mean())


def test_unknown_objective_is_named():
    with pytest.raises(ValueError, match="wasserstein"):
        generator_loss(torch.zeros(1), "wasserstein")


def test_accuracy_counts_signs():
    assert accuracy(torch.tensor([1.0, -1.0]), torch.tensor([-1.0, -1.0])) == (0.5, 1.0)
