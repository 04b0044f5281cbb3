"""torch modules for the package's activations (imported only when torch is needed)."""

import torch
from torch import nn


class Sine(nn.Module):
    """Elementwise ``sin``: the activation torch has no module for."""

    def forward(self, x):
        return torch.sin(x)


_MODULES = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "sin": Sine,
    "identity": nn.Identity,
}


def activation_module(name):
    """A fresh torch module computing activation ``name``."""
    return _MODULES[name]()
