"""nn: neural networks on the scalargrad engine — modules, losses, optimizers, data, training.

    import nn
    X, y = nn.moons(100, noise=0.1, seed=0, signed=True)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=nn.LinearDecay(1.0, 0.1, steps=100))
    for k in range(100):
        loss = nn.hinge_loss([model(x) for x in X], y) + nn.l2_regularization(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

from .data import Dataset, blobs, circles, moons, regression_1d, spiral, train_test_split, xor
from .losses import bce_with_logits, cross_entropy, hinge_loss, l2_regularization, mse_loss
from .module import ACTIVATIONS, INITS, MLP, Layer, Module, Neuron, make_rng
from .optim import (
    SGD,
    Adam,
    AdamW,
    ConstantLR,
    CosineDecay,
    ExponentialDecay,
    LinearDecay,
    Optimizer,
    StepDecay,
)
from .serialize import ModelFileError, from_architecture, load, load_into, save, to_dict
from .torch_bridge import (
    PrecisionWarning,
    TorchBridgeError,
    from_torch,
    load_torch_state_dict,
    to_torch,
    torch_code,
    torch_state_dict,
)
from .train import History, NonFiniteLossError, accuracy, evaluate, fit, predict

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "ConstantLR",
    "CosineDecay",
    "Dataset",
    "ExponentialDecay",
    "History",
    "Layer",
    "LinearDecay",
    "ModelFileError",
    "Module",
    "Neuron",
    "NonFiniteLossError",
    "Optimizer",
    "PrecisionWarning",
    "StepDecay",
    "TorchBridgeError",
    "accuracy",
    "bce_with_logits",
    "blobs",
    "circles",
    "cross_entropy",
    "evaluate",
    "fit",
    "from_architecture",
    "from_torch",
    "hinge_loss",
    "l2_regularization",
    "load",
    "load_into",
    "load_torch_state_dict",
    "make_rng",
    "moons",
    "mse_loss",
    "predict",
    "regression_1d",
    "save",
    "spiral",
    "to_dict",
    "to_torch",
    "torch_code",
    "torch_state_dict",
    "train_test_split",
    "xor",
]
