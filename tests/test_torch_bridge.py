"""The PyTorch bridge: the same model, the same numbers, in both directions.

PyTorch float64 is the oracle: a model converted with `nn.to_torch` is run by torch's own
Linear and activation modules, its loss by `torch.nn.functional`, its gradients by torch's
autograd and its training by `torch.optim`. The correspondence between a neuron and a row of
a Linear layer's weight matrix is written out here (`rows_of`), not taken from the bridge.

Closeness: outputs, losses and gradients agree when |ours − torch| ≤ 1e-12 · max(|ours|,
|torch|, 1), i.e. to a relative 1e-12, with an absolute floor of 1e-12 for values below 1 in
size (the two sides add the same terms in different orders, so values near 0 can differ by a
few ulps of the terms, not of the result). After k optimizer steps the bound is 1e-9.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from nn import torch_bridge

ROOT = Path(__file__).resolve().parents[1]
BRIDGE = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REL = 1e-12
TRAIN_TOL = 1e-9


def close(a: float, b: float, tol: float = REL) -> bool:
    """Within `tol` relative (absolute below 1); equal infinities (a diverged run) agree too."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    return abs(a - b) <= tol * max(abs(a), abs(b), 1.0)


def rows_of(model):
    """(weight rows, biases) of each Linear layer of `model`, as Values: the test's own map."""
    if isinstance(model, nn.Neuron):
        return [([model.w], [model.b])]
    if isinstance(model, nn.Layer):
        return [([n.w for n in model.neurons], [n.b for n in model.neurons])]
    return [([n.w for n in layer.neurons], [n.b for n in layer.neurons])
            for layer in model.layers]


def linears(torch, seq):
    return [m for m in seq if isinstance(m, torch.nn.Linear)]


def layer_pairs(torch, model, seq):
    """((weight rows, biases), torch Linear) per layer, after checking counts and shapes."""
    ours, theirs = rows_of(model), linears(torch, seq)
    assert len(ours) == len(theirs), f"{len(ours)} layers here, {len(theirs)} Linear in torch"
    for (rows, bias), lin in zip(ours, theirs):
        assert tuple(lin.weight.shape) == (len(rows), len(rows[0]))
        assert tuple(lin.bias.shape) == (len(bias),)
    return list(zip(ours, theirs))


def bits(model) -> list[str]:
    return [p.data.hex() for p in model.parameters()]


# -- strategies -----------------------------------------------------------------------------

@st.composite
def models(draw, kinds=("MLP", "Layer", "Neuron")):
    """A Neuron, Layer or MLP of random sizes, activation and init, with non-zero biases."""
    kind = draw(st.sampled_from(kinds))
    nin = draw(st.integers(1, 4))
    activation = draw(st.sampled_from(nn.ACTIVATIONS))
    init = draw(st.sampled_from(nn.INITS))
    seed = draw(st.integers(0, 2**32 - 1))
    if kind == "Neuron":
        model = nn.Neuron(nin, activation=activation, init=init, seed=seed)
    elif kind == "Layer":
        model = nn.Layer(nin, draw(st.integers(1, 4)), activation=activation, init=init,
                         seed=seed)
    else:
        widths = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
        model = nn.MLP(nin, widths, activation=activation, init=init, seed=seed)
    rng = random.Random(seed)
    for _, biases in rows_of(model):  # biases start at 0; give them values to check too
        for b in biases:
            b.data = rng.uniform(-0.5, 0.5)
    return model


def batches(draw, nin: int):
    n = draw(st.integers(1, 4))
    x = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)
    return [draw(st.lists(x, min_size=nin, max_size=nin)) for _ in range(n)]


def n_outputs(model) -> int:
    return rows_of(model)[-1][0].__len__()


def loss_pair(torch, draw, model, outputs, out_t):
    """One loss on both sides, chosen to fit the model's outputs: (ours, torch's, name)."""
    F = torch.nn.functional
    n, k = out_t.shape
    choices = ["mse"] + (["hinge", "bce"] if k == 1 else ["cross_entropy"])
    name = draw(st.sampled_from(choices))
    if name == "mse":
        targets = [draw(st.lists(st.floats(-2, 2), min_size=k, max_size=k)) for _ in range(n)]
        ours = nn.mse_loss(outputs, targets if k > 1 else [t[0] for t in targets])
        theirs = F.mse_loss(out_t, torch.tensor(targets, dtype=torch.float64))
    elif name == "hinge":
        labels = draw(st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n))
        ours = nn.hinge_loss(outputs, labels)
        theirs = torch.relu(1.0 - torch.tensor(labels, dtype=torch.float64) * out_t[:, 0]).mean()
    elif name == "bce":
        targets = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
        ours = nn.bce_with_logits(outputs, targets)
        theirs = F.binary_cross_entropy_with_logits(out_t[:, 0],
                                                    torch.tensor(targets, dtype=torch.float64))
    else:
        labels = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
        ours = nn.cross_entropy(outputs, labels)
        theirs = F.cross_entropy(out_t, torch.tensor(labels))
    return ours, theirs, name


# -- torch stays optional -------------------------------------------------------------------

def test_import_nn_does_not_import_torch():
    """`import nn` (bridge included) loads no torch: it is imported only when a function runs."""
    code = ("import sys, nn, scalargrad, nn.torch_bridge; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr or "importing nn imported torch"


def test_bridge_without_torch_says_how_to_install_it():
    """Without torch, a bridge function raises ImportError naming the pinned install command."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "import nn\n"
            "try:\n    nn.to_torch(nn.MLP(2, [1], seed=0))\n"
            "except ImportError as e:\n    print(e)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert "to_torch needs PyTorch" in done.stdout and "torch==2.13.0" in done.stdout


def test_every_nn_activation_has_a_torch_module(torch):
    """Each activation nn offers maps to a torch.nn module computing the same function."""
    ref = {"relu": lambda z: max(z, 0.0), "tanh": math.tanh,
           "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)), "linear": lambda z: z}
    assert set(nn.ACTIVATIONS) == set(ref), "a new activation: teach the bridge and this test"
    for name in nn.ACTIVATIONS:
        module = getattr(torch.nn, torch_bridge.TORCH_ACTIVATIONS[name])()
        for z in (-1.7, -0.2, 0.3, 2.5):
            assert close(module(torch.tensor(z, dtype=torch.float64)).item(), ref[name](z))


# -- nn -> torch -> nn ----------------------------------------------------------------------

@BRIDGE
@given(model=models())
def test_round_trip_keeps_every_parameter_bit_for_bit(torch, model):
    """from_torch(to_torch(m)) has every parameter of m, bit for bit, in the same order."""
    seq = nn.to_torch(model)
    back = nn.from_torch(seq)
    assert bits(back) == bits(model)
    if isinstance(model, nn.MLP):
        assert type(back) is nn.MLP and back.nouts == model.nouts
    for (rows, bias), lin in layer_pairs(torch, model, seq):
        assert lin.weight.dtype == torch.float64
        assert lin.weight.tolist() == [[w.data for w in row] for row in rows]
        assert lin.bias.tolist() == [b.data for b in bias]


@BRIDGE
@given(model=models(), data=st.data())
def test_outputs_losses_and_gradients_agree_with_torch(torch, model, data):
    """Outputs, the loss and every parameter's gradient agree with PyTorch float64 to 1e-12."""
    seq = nn.to_torch(model)
    X = batches(data.draw, model.nin)
    outputs = [model(x) for x in X]
    out_t = seq(torch.tensor(X, dtype=torch.float64))
    flat = [[o] if not isinstance(o, list) else o for o in outputs]
    assert out_t.shape == (len(X), n_outputs(model))
    for row, row_t in zip(flat, out_t.tolist()):
        assert len(row) == len(row_t)
        for o, t in zip(row, row_t):
            assert close(o.data, t), (o.data, t)
    ours, theirs, name = loss_pair(torch, data.draw, model, outputs, out_t)
    alpha = data.draw(st.sampled_from([0.0, 1e-4, 0.1]))
    if alpha:
        ours = ours + nn.l2_regularization(model.parameters(), alpha)
        theirs = theirs + alpha * sum((p * p).sum() for p in seq.parameters())
    assert close(ours.data, theirs.item()), (name, ours.data, theirs.item())
    model.zero_grad()
    ours.backward()
    theirs.backward()
    for (rows, bias), lin in layer_pairs(torch, model, seq):
        for row, grads in zip(rows, lin.weight.grad.tolist()):
            for w, g in zip(row, grads):
                assert close(w.grad, g), (name, w.grad, g)
        for b, g in zip(bias, lin.bias.grad.tolist()):
            assert close(b.grad, g), (name, b.grad, g)


def schedule_pair(torch, which: str, lr: float, horizon: int):
    """An nn schedule and a factory for its torch.optim.lr_scheduler counterpart."""
    S = torch.optim.lr_scheduler
    if which == "none":
        return lr, None
    if which == "constant":  # nn.ConstantLR is a fixed rate: torch needs no scheduler
        return nn.ConstantLR(lr), None
    if which == "linear":
        return (nn.LinearDecay(lr, lr / 10, steps=horizon // 2),
                lambda opt: S.LinearLR(opt, 1.0, 0.1, total_iters=horizon // 2))
    if which == "step":
        return nn.StepDecay(lr, every=2, gamma=0.5), lambda opt: S.StepLR(opt, 2, gamma=0.5)
    if which == "exponential":
        return nn.ExponentialDecay(lr, 0.8), lambda opt: S.ExponentialLR(opt, 0.8)
    return (nn.CosineDecay(lr, lr / 10, steps=horizon),
            lambda opt: S.CosineAnnealingLR(opt, T_max=horizon, eta_min=lr / 10))


SCHEDULES = ("none", "constant", "linear", "step", "exponential", "cosine")


@BRIDGE
@given(model=models(kinds=("MLP",)), data=st.data(), steps=st.integers(1, 8),
       which=st.sampled_from(SCHEDULES),
       optimizer=st.sampled_from(["sgd", "sgd_nesterov", "sgd_damped", "adam", "adam_wd",
                                  "adamw"]))
def test_training_steps_agree_with_torch_optim(torch, model, data, steps, which, optimizer):
    """k steps of SGD (momentum) or Adam/AdamW with a schedule stay within 1e-9 of torch.optim."""
    seq = nn.to_torch(model)
    X = batches(data.draw, model.nin)
    targets = [data.draw(st.floats(-2, 2)) for _ in X]
    params = model.parameters()
    torch_params = list(seq.parameters())
    lr = 0.1 if optimizer.startswith("sgd") else 0.01
    sched, torch_sched = schedule_pair(torch, which, lr, horizon=8)
    options = {"sgd": dict(momentum=0.9),
               "sgd_nesterov": dict(momentum=0.9, nesterov=True, weight_decay=1e-3),
               "sgd_damped": dict(momentum=0.5, dampening=0.3),
               "adam": {}, "adam_wd": dict(weight_decay=1e-2),
               "adamw": dict(weight_decay=5e-2)}[optimizer]
    if optimizer.startswith("sgd"):
        ours, theirs = nn.SGD(params, sched, **options), torch.optim.SGD(torch_params, lr,
                                                                        **options)
    elif optimizer.startswith("adam") and optimizer != "adamw":
        ours, theirs = nn.Adam(params, sched, **options), torch.optim.Adam(torch_params, lr,
                                                                          **options)
    else:
        ours, theirs = nn.AdamW(params, sched, **options), torch.optim.AdamW(torch_params, lr,
                                                                            **options)
    scheduler = torch_sched(theirs) if torch_sched else None
    inputs = torch.tensor(X, dtype=torch.float64)
    for k in range(steps):
        outs = [model(x) for x in X]
        loss = nn.mse_loss([o if not isinstance(o, list) else o[0] for o in outs], targets)
        ours.zero_grad()
        loss.backward()
        ours.step()
        loss_t = torch.nn.functional.mse_loss(seq(inputs)[:, 0],
                                              torch.tensor(targets, dtype=torch.float64))
        theirs.zero_grad()
        loss_t.backward()
        lr_t = theirs.param_groups[0]["lr"]  # the rate this step uses
        theirs.step()
        if scheduler is not None:
            scheduler.step()
        assert close(ours.lr, lr_t, TRAIN_TOL), (which, k, ours.lr, lr_t)
        assert close(loss.data, loss_t.item(), TRAIN_TOL), (k, loss.data, loss_t.item())
    for (rows, bias), lin in layer_pairs(torch, model, seq):
        for row, ws in zip(rows, lin.weight.tolist()):
            for w, t in zip(row, ws):
                assert close(w.data, t, TRAIN_TOL), (optimizer, which, w.data, t)
        for b, t in zip(bias, lin.bias.tolist()):
            assert close(b.data, t, TRAIN_TOL), (optimizer, which, b.data, t)


# -- torch -> nn: what is refused, and how ---------------------------------------------------

def refusals(torch):
    """(description, torch stack, text the error must contain) for each kind of refusal."""
    L, T = torch.nn.Linear, torch.nn
    return [
        ("convolution", T.Sequential(L(4, 4), T.ReLU(), T.Conv1d(1, 2, 3)),
         "layer 2 is Conv1d(1, 2, kernel_size=(3,), stride=(1,))"),
        ("batch norm", T.Sequential(L(2, 3), T.BatchNorm1d(3), T.ReLU(), L(3, 1)),
         "layer 1 is BatchNorm1d(3, eps=1e-05"),
        ("dropout", T.Sequential(L(2, 3), T.ReLU(), T.Dropout(0.5), L(3, 1)),
         "layer 2 is Dropout(p=0.5, inplace=False), which nn has no counterpart for"),
        ("leaky relu", T.Sequential(L(2, 3), T.LeakyReLU(0.1), L(3, 1)),
         "layer 1 is LeakyReLU(negative_slope=0.1)"),
        ("gelu", T.Sequential(L(2, 3), T.GELU(), L(3, 1)), "layer 1 is GELU(approximate='none')"),
        ("nested", T.Sequential(T.Sequential(L(2, 3)), L(3, 1)), "layer 0 is Sequential( (0)"),
        ("no bias", T.Sequential(L(2, 3), T.ReLU(), L(3, 1, bias=False)),
         "layer 2 is Linear(in_features=3, out_features=1, bias=False), a Linear without bias"),
        ("shapes", T.Sequential(L(2, 3), T.ReLU(), L(4, 1)),
         "layer 2 is Linear(in_features=4, out_features=1, bias=True), which reads 4 inputs, "
         "but the Linear before it gives 3"),
        ("final activation", T.Sequential(L(2, 3), T.ReLU(), L(3, 1), T.Sigmoid()),
         "layer 3 (Sigmoid()) is an activation after the last Linear"),
        ("mixed", T.Sequential(L(2, 3), T.ReLU(), L(3, 3), T.Tanh(), L(3, 1)),
         "layer 3 (Tanh()) makes a hidden layer tanh, but the first hidden layer is relu"),
        ("two in a row", T.Sequential(L(2, 3), T.ReLU(), T.Tanh(), L(3, 1)),
         "layer 2 is Tanh(), a second activation in a row"),
        ("activation first", T.Sequential(T.ReLU(), L(2, 1)),
         "layer 0 is ReLU(), an activation before any Linear"),
        ("empty", T.Sequential(), "the module holds no layers"),
        ("named", T.Sequential(__import__("collections").OrderedDict(
            [("hidden", L(2, 3)), ("act", T.Softmax(dim=1)), ("out", L(3, 1))])),
         "layer act (position 1) is Softmax(dim=1)"),
    ]


def test_unsupported_layers_are_refused_by_name(torch):
    """Each unsupported stack raises TorchBridgeError naming the layer and what is wrong."""
    for what, stack, text in refusals(torch):
        with pytest.raises(nn.TorchBridgeError) as caught:
            nn.from_torch(stack.double())
        assert text in str(caught.value), (what, str(caught.value))


def test_refusal_of_an_unknown_layer_lists_what_is_supported(torch):
    """The error for a layer nn cannot run lists the layers it can."""
    with pytest.raises(nn.TorchBridgeError, match="Supported: Linear \\(with bias\\), ReLU, "
                       "Tanh, Sigmoid, Identity"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ELU()))


def test_a_custom_torch_module_is_refused(torch):
    """A module with its own forward() cannot be read, and the error says to use Sequential."""
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

    with pytest.raises(nn.TorchBridgeError, match="pass a torch.nn.Sequential"):
        nn.from_torch(Net())
    with pytest.raises(TypeError, match="item 1 of the list is str"):
        nn.from_torch([torch.nn.Linear(2, 1), "relu"])


def test_from_torch_reads_lists_module_lists_and_identity(torch):
    """A list, a ModuleList and Identity activations give the MLP the Sequential would."""
    torch.manual_seed(0)
    layers = [torch.nn.Linear(3, 4), torch.nn.Identity(), torch.nn.Linear(4, 2)]
    for stack in (layers, tuple(layers), torch.nn.ModuleList(layers)):
        with pytest.warns(nn.PrecisionWarning):
            model = nn.from_torch(stack)
        assert model.describe() == "MLP(3, [4, 2], activation='linear')"
        assert [p.data for p in model.parameters()] == [
            x for lin in (layers[0], layers[2])
            for row, b in zip(lin.weight.tolist(), lin.bias.tolist()) for x in [*row, b]]


def test_float32_weights_are_copied_exactly_with_a_warning(torch):
    """float32 weights come over exactly; a PrecisionWarning states the 1e-7 consequence."""
    torch.manual_seed(1)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    with pytest.warns(nn.PrecisionWarning, match="about 1e-07 relative"):
        model = nn.from_torch(seq)
    assert nn.torch_state_dict(model)["0.weight"].tolist() == seq[0].weight.double().tolist()
    x = [0.37, -1.21]
    ours = model(x).data
    as32 = seq(torch.tensor([x])).item()
    as64 = seq.double()(torch.tensor([x], dtype=torch.float64)).item()
    assert close(ours, as64)  # the same weights computed in float64: the same numbers
    assert abs(ours - as32) <= 1e-5 * max(1.0, abs(ours))  # float32 arithmetic: close only
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a float64 module converts without a warning
        nn.from_torch(seq)


# -- exporting: dtype, state dicts, source code ----------------------------------------------

def test_to_torch_float32_rounds_each_weight_to_nearest(torch):
    """to_torch(dtype=float32) holds each weight rounded to the nearest float32."""
    model = nn.MLP(3, [5, 2], seed=4)
    seq = nn.to_torch(model, dtype=torch.float32)
    assert seq[0].weight.dtype == torch.float32
    expected = torch.tensor([[w.data for w in n.w] for n in model.layers[0].neurons],
                            dtype=torch.float64).float()
    assert torch.equal(seq[0].weight, expected)
    with pytest.raises(TypeError, match="floating-point dtype"):
        nn.to_torch(model, dtype=torch.int64)


def test_to_torch_leaves_torch_random_state_alone(torch):
    """Converting draws no random numbers from torch (the learner's seeded runs stay put)."""
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    nn.to_torch(nn.MLP(2, [16, 16, 1], seed=0))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_to_torch_refuses_a_custom_module(torch):
    """A module of one's own has no known layout: the error says so."""
    class Pair(nn.Module):
        def __init__(self):
            self.a = nn.Neuron(2, seed=0)

    with pytest.raises(TypeError, match="a module of your own"):
        nn.to_torch(Pair())
    with pytest.raises(TypeError, match="expected an nn Neuron, Layer or MLP, got list"):
        nn.to_torch([1.0])


def test_state_dict_uses_pytorch_names_and_loads_into_the_twin(torch):
    """torch_state_dict has to_torch's keys, shapes and values; a Sequential loads it strictly."""
    model = nn.MLP(2, [4, 3, 1], activation="sigmoid", seed=5)
    state = nn.torch_state_dict(model)
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert tuple(state["2.weight"].shape) == (3, 4) and tuple(state["4.bias"].shape) == (1,)
    assert state["2.weight"][1].tolist() == [w.data for w in model.layers[1].neurons[1].w]
    fresh = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 3),
                                torch.nn.Sigmoid(), torch.nn.Linear(3, 1)).double()
    fresh.load_state_dict(state)  # strict: every key must match
    x = torch.tensor([[0.3, -0.4]], dtype=torch.float64)
    assert close(fresh(x).item(), model([0.3, -0.4]).data)
    assert list(nn.torch_state_dict(nn.Neuron(3, seed=0))) == ["0.weight", "0.bias"]


def test_state_dict_import_sets_every_parameter(torch):
    """A twin's state dict, trained or not, imports into the model: same weights, grads zero."""
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    other = nn.MLP(2, [3, 1], activation="tanh", seed=1)
    for p in model.parameters():
        p.grad = 5.0
    nn.load_torch_state_dict(model, nn.to_torch(other).state_dict())
    assert bits(model) == bits(other)
    assert all(p.grad == 0.0 for p in model.parameters())
    lists = {k: v.tolist() for k, v in nn.torch_state_dict(other).items()}
    assert bits(nn.load_torch_state_dict(nn.MLP(2, [3, 1], seed=9), lists)) == bits(other)


def bad_state_dicts(torch, good):
    """(what is wrong, a state dict) with exactly one thing wrong, mostly in the LAST tensor."""
    def edit(key, value):
        out = dict(good)
        out[key] = value
        return out

    last = list(good)[-1]
    nan = good[last].clone()
    nan[0] = float("nan")
    return [
        ("missing", {k: v for k, v in good.items() if k != last}),
        ("unexpected", {**good, "6.weight": torch.zeros(1, 1)}),
        ("renamed", {("layers." + k if k == last else k): v for k, v in good.items()}),
        ("shape", edit(last, torch.zeros(2, dtype=torch.float64))),
        ("transposed", edit("2.weight", good["2.weight"].t().contiguous())),
        ("nan", edit(last, nan)),
        ("inf", edit(last, torch.full_like(good[last], float("inf")))),
        ("ints", edit(last, torch.zeros(1, dtype=torch.int64))),
        ("text", edit(last, "0.5")),
        ("ragged", edit("2.weight", [[1.0, 2.0], [3.0]])),
    ]


def test_a_bad_state_dict_leaves_the_model_unchanged(torch):
    """Every bad state dict raises TorchBridgeError and changes no parameter and no grad."""
    model = nn.MLP(2, [3, 2, 1], seed=0)
    good = {k: v + 1.0 for k, v in nn.torch_state_dict(model).items()}  # differs everywhere
    for p in model.parameters():
        p.grad = 0.25
    before = bits(model)
    for what, state in bad_state_dicts(torch, good):
        with pytest.raises(nn.TorchBridgeError):
            nn.load_torch_state_dict(model, state)
        assert bits(model) == before, f"{what}: a failed import changed the model"
        assert all(p.grad == 0.25 for p in model.parameters()), what
    with pytest.raises(nn.TorchBridgeError, match="expected a mapping"):
        nn.load_torch_state_dict(model, [1.0, 2.0])
    with pytest.raises(nn.TorchBridgeError, match=r"missing 4\.bias .*expects 0\.weight"):
        nn.load_torch_state_dict(model, bad_state_dicts(torch, good)[0][1])


@BRIDGE
@given(model=models(), dtype=st.sampled_from(["float64", "float32"]))
def test_torch_code_rebuilds_the_model(torch, model, dtype):
    """The source from torch_code, exec'd with only torch, builds the same model and outputs."""
    namespace: dict = {}
    exec(nn.torch_code(model, dtype), namespace)  # noqa: S102 - our own generated source
    built = namespace["model"]
    expected = nn.to_torch(model, dtype=getattr(torch, dtype))
    assert repr(built) == repr(expected)
    for (name, a), (name_b, b) in zip(built.state_dict().items(),
                                      expected.state_dict().items()):
        assert name == name_b and a.dtype == b.dtype and torch.equal(a, b), name
    x = torch.linspace(-1, 1, model.nin, dtype=getattr(torch, dtype)).reshape(1, -1)
    assert torch.equal(built(x), expected(x))


def test_torch_code_is_readable(torch):
    """The source names the model, its layers and one weight row per neuron."""
    code = nn.torch_code(nn.MLP(2, [3, 1], seed=0))
    assert code.startswith("import torch\n")
    assert "# MLP(2, [3, 1], activation='relu'): 13 parameters" in code
    assert "    torch.nn.Linear(2, 3),\n    torch.nn.ReLU(),\n    torch.nn.Linear(3, 1),\n" in code
    assert all(len(line) <= 100 for line in nn.torch_code(nn.MLP(30, [30, 1])).splitlines())
    assert "copy_" not in nn.torch_code(nn.MLP(2, [3, 1], seed=0), weights=False)
    with pytest.raises(ValueError, match="dtype must be one of"):
        nn.torch_code(nn.MLP(2, [1]), "int8")


# -- model files and the demo -----------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: nn.MLP(2, [16, 16, 1], seed=0),
                                  lambda: nn.Layer(3, 2, activation="tanh", seed=0),
                                  lambda: nn.Neuron(4, activation="sigmoid", seed=0)],
                         ids=["MLP", "Layer", "Neuron"])
def test_save_load_then_to_torch_is_the_same_model(torch, tmp_path, make):
    """nn.save → nn.load → to_torch gives the twin of the original: same layers, same bits."""
    model = make()
    nn.save(model, tmp_path / "m.json")
    a, b = nn.to_torch(model), nn.to_torch(nn.load(tmp_path / "m.json"))
    assert repr(a) == repr(b)
    assert a.state_dict().keys() == b.state_dict().keys()
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    for (rows, bias), lin in layer_pairs(torch, model, b):  # and those are the model's numbers
        assert lin.weight.tolist() == [[w.data for w in row] for row in rows]
        assert lin.bias.tolist() == [v.data for v in bias]


def test_graduate_demo_runs_and_agrees(torch, tmp_path):
    """`python -m demos.graduate --steps 3` trains both sides, prints both curves, exits 0."""
    done = subprocess.run([sys.executable, "-m", "demos.graduate", "--steps", "3",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scalargrad                 PyTorch  difference" in done.stdout
    assert "they agree" in done.stdout
    loss_line = next(line for line in done.stdout.splitlines() if line.startswith("loss, over"))
    assert float(loss_line.split()[-1]) <= 1e-9
    code = (tmp_path / "graduate_model.py").read_text()
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the demo's own output
    assert sum(p.numel() for p in namespace["model"].parameters()) == 337


def test_graduate_demo_help(capsys):
    """`python -m demos.graduate --help` describes the demo and its options, and exits 0."""
    from demos import graduate

    with pytest.raises(SystemExit) as stop:
        graduate.main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "usage: python -m demos.graduate" in out and "--steps" in out and "--seed" in out


def test_graduate_demo_without_torch_exits_1_and_says_why():
    """Without torch the demo prints what to install and exits with status 1."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from demos import graduate\n"
            "sys.exit(graduate.main(['--steps', '2']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "needs PyTorch" in done.stderr and "pip install torch==2.13.0" in done.stderr


def test_the_docs_example_numbers(torch):
    """docs/pytorch.md's first example prints what the code gives (to 1e-15, summation order)."""
    text = (ROOT / "docs" / "pytorch.md").read_text(encoding="utf-8")
    ours_doc, torch_doc = (float(line.split("#")[1]) for line in text.splitlines()
                           if line.startswith(("model(x).data", "seq(torch.tensor([x]")))
    model = nn.MLP(2, [16, 16, 1], seed=0)
    seq = nn.to_torch(model)
    x = [0.5, -1.0]
    assert close(model(x).data, ours_doc, 1e-15)
    assert close(seq(torch.tensor([x], dtype=torch.float64)).item(), torch_doc, 1e-15)


def test_hostile_layer_text_is_shown_escaped(torch):
    """A layer whose repr holds control characters is named with them escaped, on one line."""
    class Odd(torch.nn.Module):
        def extra_repr(self) -> str:
            return "\x1b[2J\nrm -rf"

    with pytest.raises(nn.TorchBridgeError) as caught:
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), Odd()))
    message = str(caught.value)
    assert "\x1b" not in message and "\n" not in message
    assert "layer 1 is Odd( \\x1b[2J rm -rf )" in message


def test_graduate_demo_exits_1_when_the_sides_disagree(torch, tmp_path, monkeypatch, capsys):
    """With a tolerance nothing can meet, the demo reports the disagreement and returns 1."""
    from demos import graduate

    monkeypatch.setattr(graduate, "TOLERANCE", -1.0)
    assert graduate.main(["--steps", "2", "--out", str(tmp_path)]) == 1
    assert "THEY DISAGREE beyond the tolerance" in capsys.readouterr().out


def test_a_large_models_name_error_names_a_few_and_counts_the_rest(torch) -> None:
    """A state dict with none of 400 layers' names: one short line, not every name."""
    model = nn.MLP(1, [1] * 400)
    state = {f"junk{i}": torch.zeros(1) for i in range(5000)}
    with pytest.raises(nn.TorchBridgeError) as info:
        nn.load_torch_state_dict(model, state)
    message = str(info.value)
    assert "and 796 more" in message and "and 4,996 more" in message
    assert len(message) < 600, len(message)
