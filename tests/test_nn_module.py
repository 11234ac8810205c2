"""nn modules: micrograd's API, seeding and init, the fused and elementary views, bad inputs."""

from __future__ import annotations

import math
import random

import pytest

import nn
from scalargrad import Value, topological_order


def torch_mlp_grads(model: nn.MLP, x: list[float]) -> tuple[float, list[float]]:
    """Output and d(output)/d(parameter) of the same MLP computed by PyTorch in float64."""
    torch = pytest.importorskip("torch")
    h = torch.tensor(x, dtype=torch.float64)
    leaves = []
    for li, layer in enumerate(model.layers):
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        leaves.append((W, b))
        h = W @ h + b
        if li < len(model.layers) - 1:
            h = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[
                model.activation](h)
    out = h.sum()
    out.backward()
    grads = []
    for W, b in leaves:
        for row_w, gb in zip(W.grad.tolist(), b.grad.tolist()):
            grads += row_w + [gb]
    return out.item(), grads


# -- micrograd's API -------------------------------------------------------------------------

def test_micrograd_signatures_and_return_types():
    """Neuron(nin, nonlin), Layer(nin, nout, **kw), MLP(nin, nouts) return as micrograd."""
    n = nn.Neuron(3, nonlin=False)
    assert isinstance(n([1.0, 2.0, 3.0]), Value)
    layer = nn.Layer(3, 4, nonlin=True)
    out = layer([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 4
    assert isinstance(nn.Layer(3, 1)([1.0, 2.0, 3.0]), Value)
    model = nn.MLP(2, [4, 4, 1])
    assert isinstance(model([0.5, -0.5]), Value)
    multi = nn.MLP(2, [4, 3])([0.5, -0.5])
    assert isinstance(multi, list) and len(multi) == 3


def test_repr_matches_micrograd_format():
    """Objects print as micrograd's do: ReLUNeuron(2), Layer of [...], MLP of [...]."""
    model = nn.MLP(2, [2, 1], seed=0)
    assert repr(model) == ("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], "
                           "Layer of [LinearNeuron(2)]]")
    assert repr(nn.Neuron(3, activation="tanh")) == "TanhNeuron(3)"
    assert repr(nn.Neuron(3, activation="sigmoid")) == "SigmoidNeuron(3)"


def test_hidden_relu_and_linear_last_layer():
    """Hidden layers use the activation; the last layer is linear (can output negatives)."""
    model = nn.MLP(2, [3, 3, 2], seed=1)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert all(n.nonlin for n in model.layers[0].neurons)
    assert not any(n.nonlin for n in model.layers[-1].neurons)
    tanh = nn.MLP(2, [3, 1], activation="tanh")
    assert [layer.activation for layer in tanh.layers] == ["tanh", "linear"]


def test_same_weights_and_outputs_as_micrograd():
    """init='micrograd' with micrograd's seed gives micrograd's weights, outputs and gradients."""
    mg_nn = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    theirs = mg_nn.MLP(2, [16, 16, 1])
    ours = nn.MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    x = [0.7, -1.3]
    out_theirs = theirs(x)
    out_theirs.backward()
    for fused in (True, False):
        ours.set_fused(fused)
        ours.zero_grad()
        out = ours(x)
        out.backward()
        assert out.data == out_theirs.data  # same numbers, same order of additions
        for a, b in zip(ours.parameters(), theirs.parameters()):
            assert a.grad == pytest.approx(b.grad, rel=1e-12, abs=1e-15)


def test_global_random_used_when_no_seed():
    """seed=None draws from Python's global random, as micrograd does."""
    random.seed(5)
    a = nn.MLP(2, [3, 1], init="micrograd")
    random.seed(5)
    expected = [random.uniform(-1, 1) for _ in range(2 * 3)]
    assert [w.data for n in a.layers[0].neurons for w in n.w] == expected


# -- seeding and initialisation ----------------------------------------------------------------

def test_seed_reproducible_and_distinct():
    """The same seed gives the same weights; different seeds give different weights."""
    a = nn.MLP(2, [16, 16, 1], seed=0).state_dict()
    b = nn.MLP(2, [16, 16, 1], seed=0).state_dict()
    c = nn.MLP(2, [16, 16, 1], seed=1).state_dict()
    assert a == b
    assert a != c


def test_explicit_random_instance():
    """A random.Random passed as seed is the stream used (and advanced)."""
    rng = random.Random(42)
    a = nn.MLP(2, [4, 1], seed=rng)
    assert a.state_dict() == nn.MLP(2, [4, 1], seed=random.Random(42)).state_dict()
    assert nn.MLP(2, [4, 1], seed=rng).state_dict() != a.state_dict()


def test_layer_neurons_differ_under_int_seed():
    """A seeded Layer draws one stream for all its neurons, so they are not clones."""
    layer = nn.Layer(4, 3, seed=7)
    rows = [[w.data for w in n.w] for n in layer.neurons]
    assert rows[0] != rows[1] != rows[2]


@pytest.mark.parametrize("init, activation, bound", [
    ("micrograd", "relu", 1.0),
    ("he", "tanh", math.sqrt(6 / 50)),
    ("lecun", "relu", math.sqrt(3 / 50)),
    ("auto", "relu", math.sqrt(6 / 50)),
    ("auto", "tanh", math.sqrt(3 / 50)),
])
def test_init_bounds_scale_with_fan_in(init, activation, bound):
    """Weights lie within the scheme's bound, fill it out, and biases start at 0."""
    layer = nn.Layer(50, 40, activation=activation, init=init, seed=3)
    ws = [w.data for n in layer.neurons for w in n.w]
    assert max(abs(w) for w in ws) <= bound
    assert max(abs(w) for w in ws) > 0.9 * bound
    assert all(n.b.data == 0.0 for n in layer.neurons)


# -- parameters --------------------------------------------------------------------------------

def test_parameter_count_and_names():
    """MLP(2,[16,16,1]) has 3·16 + 17·16 + 17 = 337 parameters with dotted names in order."""
    model = nn.MLP(2, [16, 16, 1])
    assert model.num_parameters() == 337
    named = model.named_parameters()
    assert [p for _, p in named] == model.parameters()
    assert named[0][0] == "layers.0.neurons.0.w.0"
    assert named[2][0] == "layers.0.neurons.0.b"
    assert named[-1][0] == "layers.2.neurons.0.b"
    assert len({name for name, _ in named}) == 337


def test_custom_module_finds_parameters():
    """A user Module's Values and sub-modules are found without overriding parameters()."""

    class Affine(nn.Module):
        def __init__(self):
            self.scale = Value(2.0)
            self.inner = nn.Neuron(1, nonlin=False, seed=0)
            self._cache = Value(9.0)  # private: not a parameter

    m = Affine()
    names = [name for name, _ in m.named_parameters()]
    assert names == ["scale", "inner.w.0", "inner.b"]
    assert m.num_parameters() == 3
    assert [type(x).__name__ for x in m.modules()] == ["Affine", "Neuron"]


def test_zero_grad_clears_every_parameter():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# -- fused vs elementary view -------------------------------------------------------------------

def test_fused_neuron_is_one_node_and_constants_get_no_edge():
    """The default pre-activation is one dot node; plain-number inputs add no nodes."""
    n = nn.Neuron(3, nonlin=False, seed=0)
    out = n([1.0, 2.0, 3.0])
    assert out._op == "dot"
    assert len(out._prev) == 4  # 3 weights + bias, no input nodes
    assert len(topological_order(out)) == 5


def test_elementary_view_draws_every_mul_and_add():
    """fused=False builds micrograd's graph: one * and one + per input."""
    n = nn.Neuron(3, nonlin=True, seed=0, fused=False)
    out = n([1.0, 2.0, 3.0])
    ops = [v._op for v in topological_order(out)]
    assert ops.count("*") == 3 and ops.count("+") == 3 and ops.count("relu") == 1


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_both_views_match_pytorch_gradients(activation):
    """Fused and elementary views each give PyTorch's output and parameter gradients."""
    model = nn.MLP(3, [5, 4, 2], activation=activation, seed=11)
    x = [0.3, -0.8, 1.7]
    expected_out, expected_grads = torch_mlp_grads(model, x)
    for fused in (True, False):
        model.set_fused(fused)
        model.zero_grad()
        outs = model(x)
        total = outs[0] + outs[1]
        total.backward()
        assert total.data == pytest.approx(expected_out, rel=1e-12)
        assert [p.grad for p in model.parameters()] == pytest.approx(expected_grads, rel=1e-12,
                                                                    abs=1e-15)


def test_views_give_identical_gradients_with_value_inputs():
    """With Value inputs both views also agree on the input gradients (to rounding)."""
    model = nn.MLP(2, [4, 1], seed=2)
    grads = []
    for fused in (True, False):
        model.set_fused(fused)
        model.zero_grad()
        xs = [Value(0.4), Value(-1.1)]
        model(xs).backward()
        grads.append([x.grad for x in xs] + [p.grad for p in model.parameters()])
    assert grads[0] == pytest.approx(grads[1], rel=1e-12, abs=1e-15)


def test_hidden_width_one_works():
    """A width-1 hidden layer (which breaks micrograd) trains like any other."""
    model = nn.MLP(2, [1, 3, 1], seed=0)
    expected_out, expected_grads = torch_mlp_grads(model, [0.5, 0.25])
    out = model([0.5, 0.25])
    out.backward()
    assert out.data == pytest.approx(expected_out, rel=1e-12)
    assert [p.grad for p in model.parameters()] == pytest.approx(expected_grads, abs=1e-15)


def test_single_number_input_for_one_input_model():
    model = nn.MLP(1, [3, 1], seed=0)
    assert model(0.5).data == model([0.5]).data


# -- bad inputs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("make, x, numbers", [
    (lambda: nn.MLP(2, [4, 1]), [1.0, 2.0, 3.0], ("2", "3")),
    (lambda: nn.MLP(3, [4, 1]), [1.0], ("3", "1")),
    (lambda: nn.Layer(2, 4), [1.0, 2.0, 3.0], ("2", "3")),
    (lambda: nn.Neuron(4), [1.0, 2.0], ("4", "2")),
])
def test_wrong_input_length_names_both_numbers(make, x, numbers):
    with pytest.raises(ValueError) as err:
        make()(x)
    message = str(err.value)
    assert f"expects {numbers[0]} inputs, got {numbers[1]}" in message


@pytest.mark.parametrize("call, error", [
    (lambda: nn.MLP(0, [1]), ValueError),
    (lambda: nn.MLP(2.0, [1]), TypeError),
    (lambda: nn.MLP(True, [1]), TypeError),
    (lambda: nn.MLP(2, []), ValueError),
    (lambda: nn.MLP(2, 3), TypeError),
    (lambda: nn.MLP(2, [3, 0]), ValueError),
    (lambda: nn.MLP(2, [1], activation="gelu"), ValueError),
    (lambda: nn.MLP(2, [1], init="xavier"), ValueError),
    (lambda: nn.MLP(2, [1], seed="0"), TypeError),
    (lambda: nn.MLP(2, [1], fused=1), TypeError),
    (lambda: nn.Neuron(2, nonlin="yes"), TypeError),
    (lambda: nn.Layer(2, -1), ValueError),
    (lambda: nn.MLP(2, [1])("ab"), TypeError),
    (lambda: nn.MLP(2, [1])(object()), TypeError),
    (lambda: nn.MLP(2, [1]).set_fused("no"), TypeError),
])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()


def test_summary_lists_layers_and_counts():
    text = nn.MLP(2, [16, 16, 1], seed=0).summary()
    assert text.splitlines()[0] == "MLP(2, [16, 16, 1], activation='relu'): 337 parameters"
    assert "Layer(16 -> 16, relu)" in text and "272" in text
