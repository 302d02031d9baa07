"""The field's implementations the benchmarks time ours against: pyiqa's DISTS, BasicSR's SwinIR and GAN step.

    from asym.tools.bench_reference import pyiqa_dists_network, import_basicsr, ReferenceStep

Kept apart from the timing harness (:mod:`asym.tools.bench`) because they are other
projects' code with their own quirks: pyiqa's DISTS builds torchvision's VGG-16 with a
download inside its constructor (replaced here by the random weights of our backbone,
so both sides hold identical weights offline), and BasicSR 1.4.2 imports a torchvision
module that no longer exists (aliased for that import only). Nothing here is used by a
workflow job.
"""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import torch

DISTS_VGG16_SPEC = {"name": "dists_vgg16-R", "kind": "dists_style", "backbone": "vgg16", "init": "random",
                    "init_seed": 0, "group": "vgg16"}


@contextmanager
def _random_vgg16_for_pyiqa(seed: int):
    """Within the block, pyiqa's DISTS module gets torchvision's vgg16 with the random weights
    torchvision draws under ``seed`` (those of our ``vgg16`` backbone with ``init_seed=seed``,
    taken from its per-process cache) instead of downloading ``IMAGENET1K_V1``."""
    import pyiqa.archs.dists_arch as arch
    import torchvision

    from asym.nets.backbones import build_backbone

    def vgg16(weights=None, **kwargs):
        with torch.device("meta"):  # skeleton only: every conv weight is set from the state below
            model = torchvision.models.vgg16(weights=None, init_weights=False)
        model.features = model.features.to_empty(device="cpu")
        model.features.load_state_dict(build_backbone("vgg16", init_seed=seed).torchvision_state())
        return model

    original = arch.models
    arch.models = SimpleNamespace(vgg16=vgg16)  # only this module's view of torchvision.models
    try:
        yield arch
    finally:
        arch.models = original


def pyiqa_dists_network(seed: int = 0, weights_seed: int = 1) -> torch.nn.Module:
    """pyiqa's ``DISTS`` network (its own class and forward), offline: random VGG-16 under
    ``seed``, random non-negative alpha/beta under ``weights_seed``; eval mode, no grad."""
    with _random_vgg16_for_pyiqa(seed) as arch, torch.random.fork_rng(devices=[]):
        torch.manual_seed(weights_seed)  # DISTS draws its initial alpha/beta from the global RNG
        net = arch.DISTS(pretrained=False, pretrained_model_path=None)
    g = torch.Generator().manual_seed(weights_seed)
    with torch.no_grad():
        net.alpha.copy_(torch.rand(net.alpha.shape, generator=g))
        net.beta.copy_(torch.rand(net.beta.shape, generator=g))
    return net.eval().requires_grad_(False)


def matching_dists_style(reference: torch.nn.Module, kernels: str = "reference"):
    """Our DistsStyle(vgg16) carrying ``reference``'s VGG weights and alpha/beta (via ``load_dists``),
    with the given ``kernels`` setting."""
    from asym.assess.fidelity import build_metric

    ours = build_metric(DISTS_VGG16_SPEC, kernels=kernels)
    ours.load_dists({k: v.detach() for k, v in reference.state_dict().items()})
    return ours


@contextmanager
def _basicsr_importable():
    """BasicSR 1.4.2 imports ``torchvision.transforms.functional_tensor``, removed from
    torchvision 0.17+; alias it to ``functional`` (which has what BasicSR uses) for the
    import only, so nothing outside the benchmark sees the alias."""
    import sys

    import torchvision.transforms.functional as tv_functional

    name = "torchvision.transforms.functional_tensor"
    had = name in sys.modules
    sys.modules.setdefault(name, tv_functional)
    try:
        yield
    finally:
        if not had:
            sys.modules.pop(name, None)


def import_basicsr():
    """BasicSR's SwinIR class and GAN loss (``pip install --no-deps basicsr``), or ImportError."""
    with _basicsr_importable():
        from basicsr.archs.swinir_arch import SwinIR as BasicSRSwinIR
        from basicsr.losses.gan_loss import GANLoss
    return BasicSRSwinIR, GANLoss


def basicsr_available() -> bool:
    try:
        import_basicsr()
    except ImportError:
        return False
    return True


class ReferenceStep:
    """The same step as BasicSR takes it (``SRGANModel.optimize_parameters``, BasicSR 1.4.2):
    ``net_d`` frozen by ``requires_grad``, perceptual loss (here pyiqa's DISTS network) +
    ``GANLoss('vanilla', loss_weight=gan_weight)``; then the discriminator's real and fake
    terms, each with its own backward."""

    def __init__(self, generator, discriminator, dists, gan_weight: float, lr_g: float, lr_d: float):
        _, GANLoss = import_basicsr()
        self.g, self.d, self.dists = generator, discriminator, dists
        self.cri_gan = GANLoss("vanilla", loss_weight=gan_weight)
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=(0.9, 0.99))
        self.opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=(0.9, 0.99))

    def __call__(self, lr_img: torch.Tensor, hr: torch.Tensor) -> dict:
        for p in self.d.parameters():
            p.requires_grad = False
        self.opt_g.zero_grad()
        output = self.g(lr_img)
        l_g_percep = self.dists(output, hr).mean()
        l_g_gan = self.cri_gan(self.d(output), True, is_disc=False)
        (l_g_percep + l_g_gan).backward()
        self.opt_g.step()

        for p in self.d.parameters():
            p.requires_grad = True
        self.opt_d.zero_grad()
        l_d_real = self.cri_gan(self.d(hr), True, is_disc=True)
        l_d_real.backward()
        l_d_fake = self.cri_gan(self.d(output.detach()), False, is_disc=True)
        l_d_fake.backward()
        self.opt_d.step()
        return {"sr": output.detach(), "loss_fidelity": l_g_percep.detach(),
                "loss_gan": l_g_gan.detach() / self.cri_gan.loss_weight, "loss_d": (l_d_real + l_d_fake).detach()}
