"""GAN objectives: signs, minima and errors."""

from __future__ import annotations

import pytest
import torch

from asym.optimize.adversarial import (
    OBJECTIVES,
    accuracy,
    discriminator_loss,
    generator_loss,
    needs_real_logits,
)


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_confident_correct_discriminator_has_lower_loss(objective):
    good = discriminator_loss(torch.full((4, 1, 3, 3), 5.0), torch.full((4, 1, 3, 3), -5.0), objective)
    bad = discriminator_loss(torch.full((4, 1, 3, 3), -5.0), torch.full((4, 1, 3, 3), 5.0), objective)
    assert good < bad


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_generator_loss_falls_when_fakes_look_real(objective):
    # Every objective accepts real logits; only relativistic ones use them.
    real = torch.zeros(2, 1)
    assert generator_loss(torch.full((2, 1), 3.0), objective, real_logits=real) < generator_loss(
        torch.full((2, 1), -3.0), objective, real_logits=real
    )


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


# --------------------------------------------------------------------------- relativistic (RaGAN)


def test_relativistic_needs_real_logits():
    assert needs_real_logits("relativistic")
    assert not needs_real_logits("nonsaturating") and not needs_real_logits("hinge")
    with pytest.raises(ValueError, match="real_logits"):
        generator_loss(torch.zeros(2, 1), "relativistic")
    with pytest.raises(ValueError, match="wasserstein"):
        needs_real_logits("wasserstein")


def test_relativistic_matches_ragan_formula():
    real, fake = torch.tensor([[1.0], [0.5], [-0.2]]), torch.tensor([[-0.3], [0.4], [0.1]])
    d_rf = torch.sigmoid(real - fake.mean())  # D_Ra(real, fake)
    d_fr = torch.sigmoid(fake - real.mean())  # D_Ra(fake, real)
    d_loss = -(d_rf.log().mean() + (1 - d_fr).log().mean())
    g_loss = -0.5 * ((1 - d_rf).log().mean() + d_fr.log().mean())
    assert torch.allclose(discriminator_loss(real, fake, "relativistic"), d_loss)
    assert torch.allclose(generator_loss(fake, "relativistic", real_logits=real), g_loss)


def test_relativistic_depends_only_on_logit_differences():
    real, fake = torch.randn(4, 1, 3, 3), torch.randn(4, 1, 3, 3)
    for shift in (-5.0, 7.0):
        assert torch.allclose(discriminator_loss(real + shift, fake + shift, "relativistic"),
                              discriminator_loss(real, fake, "relativistic"), atol=1e-6)
        assert torch.allclose(generator_loss(fake + shift, "relativistic", real_logits=real + shift),
                              generator_loss(fake, "relativistic", real_logits=real), atol=1e-6)
    # Indistinguishable reals and fakes: each cross-entropy term is log 2.
    same = torch.full((3, 1), 0.7)
    log2 = torch.log(torch.tensor(2.0))
    assert torch.allclose(generator_loss(same, "relativistic", real_logits=same), log2)
    assert torch.allclose(discriminator_loss(same, same, "relativistic"), 2 * log2)


def test_relativistic_generator_minimum_is_fakes_above_reals():
    real = torch.zeros(4, 1)
    losses = [generator_loss(torch.full((4, 1), m), "relativistic", real_logits=real).item()
              for m in (-4.0, -1.0, 0.0, 1.0, 4.0, 12.0)]
    assert losses == sorted(losses, reverse=True)  # falls as fakes rise above reals
    assert losses[-1] < 1e-4  # and approaches its infimum, 0
    # Gradients: raising a fake logit lowers the generator loss; raising a real logit
    # raises it (the generator wants reals to look less real than fakes).
    fake, real = torch.zeros(4, 1, requires_grad=True), torch.zeros(4, 1, requires_grad=True)
    generator_loss(fake, "relativistic", real_logits=real).backward()
    assert (fake.grad < 0).all() and (real.grad > 0).all()


def test_relativistic_discriminator_gradients_separate_reals_and_fakes():
    real, fake = torch.zeros(4, 1, requires_grad=True), torch.zeros(4, 1, requires_grad=True)
    discriminator_loss(real, fake, "relativistic").backward()
    assert (real.grad < 0).all() and (fake.grad > 0).all()
