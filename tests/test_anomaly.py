"""detect_anomaly(): the first NaN/inf in forward or backward raises AnomalyError naming the op,
the label, the inputs and the line of user code that made the node; off by default.

Expected numbers are worked out by hand in each test.
"""

from __future__ import annotations

import math

import pytest

import scalargrad as sg
from scalargrad import AnomalyError, Value, detect_anomaly, node


def _line_of(marker: str) -> int:
    """The line number in this file of the first source line containing `marker`."""
    with open(__file__, encoding="utf-8") as source:
        return next(number for number, line in enumerate(source, 1) if marker in line)


THIS_FILE = __file__.rsplit("/", 1)[-1]


def test_off_by_default_inf_propagates_silently() -> None:
    """Outside the mode an overflowing product is inf, as with Python floats, and nothing raises."""
    assert not sg.is_anomaly_enabled()
    c = Value(1e200) * Value(1e200)
    assert c.data == math.inf


def test_forward_overflow_names_op_inputs_labels_and_line() -> None:
    """1e200 · 1e200 overflows: the error names '*', both inputs with labels, and this line."""
    a, b = Value(1e200, label="a"), Value(1e200, label="b")
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        a * b  # MARK-forward-mul
    err = info.value
    assert err.phase == "forward" and err.op == "*"
    assert err.inputs == (1e200, 1e200)
    assert "a=1e+200" in str(err) and "b=1e+200" in str(err) and "inf" in str(err)
    assert err.where is not None and err.where.endswith(
        f"{THIS_FILE}:{_line_of('MARK-forward' + '-mul')} in "
        "test_forward_overflow_names_op_inputs_labels_and_line")
    assert "a * b" in str(err)  # the source line is quoted


def test_forward_nan_from_infinite_input_says_the_input_was_already_bad() -> None:
    """inf − inf is NaN; the message adds that an input was already non-finite."""
    x = Value(math.inf, label="x")
    with pytest.raises(AnomalyError, match="already non-finite") as info, detect_anomaly():
        x - x
    assert info.value.op == "-" and "produced nan" in str(info.value)


def test_fused_op_error_points_past_library_frames() -> None:
    """An anomaly inside scalargrad.dot is located at the caller's line, not inside fused.py."""
    w, x = Value(1e200), Value(1e200)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        sg.dot([w], [x], bias=1.0)  # MARK-dot
    assert info.value.op == "dot"
    assert info.value.where.startswith(__file__) or THIS_FILE in info.value.where
    assert f":{_line_of('MARK-' + 'dot')} " in info.value.where
    assert any("fused.py" in frame for frame in info.value.stack)  # the full stack is kept


def test_backward_infinite_local_gradient_names_node_label_and_creation_line() -> None:
    """√x at x = 0 has slope +inf: backward stops at 'sqrt' with its label and creation line."""
    x = Value(0.0, label="x")
    with detect_anomaly():
        y = x.sqrt()  # MARK-sqrt
        y.label = "y"
        z = y * 2.0
        with pytest.raises(AnomalyError) as info:
            z.backward()
    err = info.value
    assert err.phase == "backward" and err.op == "sqrt" and err.label == "y"
    assert err.inputs == (0.0,)
    assert "local gradient" in str(err) and "inf" in str(err) and "'x'" in str(err)
    assert err.where.endswith(f":{_line_of('MARK-' + 'sqrt')} in "
                              "test_backward_infinite_local_gradient_names_node_label_and_creation_line")


def test_backward_product_overflow_with_finite_forward() -> None:
    """All values finite, but upstream 1e200 × local 1e200 overflows in the backward pass."""
    w = Value(1e-200, label="w")
    with detect_anomaly():
        z = w * 1e200   # z = 1, ∂z/∂w = 1e200
        out = z * 1e200  # out = 1e200, ∂out/∂z = 1e200
        with pytest.raises(AnomalyError, match="overflows") as info:
            out.backward()
    assert info.value.op == "*" and info.value.inputs == (1e-200, 1e200)
    assert z.grad == 1e200  # the pass got that far: ∂out/∂z was fine


def test_backward_accumulation_overflow() -> None:
    """Two finite contributions of 1e308 to the same leaf overflow when they are added."""
    x = Value(1e-10, label="x")
    with detect_anomaly():
        y = x * 1e308 + x * 1e308  # 2e298, fine
        with pytest.raises(AnomalyError, match="adding") as info:
            y.backward()
    assert info.value.phase == "backward"
    assert x.grad == 1e308  # the first contribution was added, the second refused


def test_backward_leaf_already_nan_and_nan_seed() -> None:
    """A leaf holding NaN from before, or a NaN seed, is reported rather than spread."""
    x = Value(3.0)
    with detect_anomaly():
        y = x * 2.0
        x.grad = math.nan
        with pytest.raises(AnomalyError, match="already held"):
            y.backward()
        x.grad = 0.0
        with pytest.raises(AnomalyError, match="seeded"):
            y.backward(math.nan)


def test_node_made_outside_the_mode_has_unknown_origin() -> None:
    """Backward inside the mode over a graph built outside it still stops, without a location."""
    x = Value(0.0)
    y = x.sqrt()
    with pytest.raises(AnomalyError, match="where is unknown") as info, detect_anomaly():
        y.backward()
    assert info.value.where is None


def test_finite_graph_gives_the_usual_values_and_gradients() -> None:
    """c = a·b + tanh a at a = 2, b = −3: c = −6 + tanh 2, ∂c/∂a = b + 1 − tanh²2, ∂c/∂b = a."""
    a, b = Value(2.0), Value(-3.0)
    with detect_anomaly():
        c = a * b + a.tanh()
        c.backward()
        c.backward()  # a second pass: leaves accumulate, interior nodes are recomputed
    t = math.tanh(2.0)
    assert c.data == pytest.approx(-6.0 + t, rel=1e-15)
    assert a.grad == pytest.approx(2 * (-3.0 + 1.0 - t * t), rel=1e-15)
    assert b.grad == pytest.approx(2 * 2.0, rel=1e-15)
    assert c._prev[0].grad == 1.0  # the interior node a·b: fresh, not doubled
    assert c._op == "+" and str(c._op) == "+" and f"{c._op}" == "+"  # the traced op reads as '+'


def test_mode_is_restored_after_an_error_and_when_nested() -> None:
    """Leaving the block (normally, by an error, or from a nested block) restores the engine."""
    with pytest.raises(AnomalyError), detect_anomaly():
        with detect_anomaly():
            assert sg.is_anomaly_enabled()
        assert sg.is_anomaly_enabled()
        Value(1e300) * 1e300
    assert not sg.is_anomaly_enabled() and sg.is_grad_enabled()
    assert node._open_mode_blocks == 0  # ops are back on their fast path
    assert math.isinf((Value(1e300) * 1e300).data)  # and no longer check


def test_composes_with_no_grad_and_enable_grad_in_any_order() -> None:
    """no_grad inside the mode records nothing but still checks; the mode inside no_grad too."""
    x = Value(2.0)
    with detect_anomaly():
        with sg.no_grad():
            assert not sg.is_grad_enabled()
            assert (x * 3.0)._prev == ()
            with pytest.raises(AnomalyError):
                Value(1e300) * 1e300
            with sg.enable_grad():
                assert sg.is_grad_enabled() and len((x * 3.0)._prev) == 2
                with pytest.raises(AnomalyError):
                    Value(1e300) * 1e300
        assert sg.is_grad_enabled()
    with sg.no_grad():
        with detect_anomaly():
            assert not sg.is_grad_enabled()
            assert (x * 3.0)._prev == ()
            with pytest.raises(AnomalyError):
                x * 1e308 * 1e308
        assert not sg.is_grad_enabled() and not sg.is_anomaly_enabled()
        assert (x * 3.0)._prev == ()
    assert sg.is_grad_enabled() and len((x * 3.0)._prev) == 2


def test_edited_prev_without_local_is_refused_in_the_mode() -> None:
    """A node whose _prev was extended by hand would be silently truncated; the mode says so."""
    a, b = Value(1.0), Value(2.0)
    c = a * 3.0
    c._prev = (*c._prev, b)
    with pytest.raises(ValueError, match="3 parents but 2 local gradients"), detect_anomaly():
        c.backward()


def test_lifted_constant_nan_is_blamed_on_the_op_that_uses_it() -> None:
    """x * nan: the constant itself is not an op; the product is, and its inputs show the NaN."""
    x = Value(1.0)
    with pytest.raises(AnomalyError, match="already non-finite") as info, detect_anomaly():
        x * math.nan
    assert info.value.op == "*" and math.isnan(info.value.inputs[1])


def test_data_changed_after_forward_is_refused_before_any_gradient_is_written() -> None:
    """w.data edited between forward and backward: the mode refuses (plain mode would give
    the gradient at the old w); no gradient is touched."""
    w, x = Value(3.0, label="w"), Value(2.0)
    with detect_anomaly():
        y = w * x  # MARK-stale
        w.data = 10.0
        with pytest.raises(AnomalyError, match=r"input 0 'w' .* was 3\.0 .* now 10\.0") as info:
            y.backward()
    assert info.value.where.endswith(f":{_line_of('MARK-' + 'stale')} in "
                                     "test_data_changed_after_forward_is_refused_before_any_"
                                     "gradient_is_written")
    assert (w.grad, x.grad, y.grad) == (0.0, 0.0, 0.0)


def test_custom_op_result_is_checked_too() -> None:
    """A node made by Value.from_op goes through the same checks as the built-in ops."""
    x = Value(2.0, label="x")
    with pytest.raises(AnomalyError, match="op 'cube'") as info, detect_anomaly():
        Value.from_op(math.inf, [x], [12.0], "cube")
    assert info.value.inputs == (2.0,)


def test_enable_grad_directly_inside_the_mode_keeps_checking() -> None:
    """enable_grad() inside the mode keeps checking (the modes are independent flags);
    leaving both restores the plain engine."""
    with detect_anomaly(), sg.enable_grad():
        assert sg.is_grad_enabled() and sg.is_anomaly_enabled()
        with pytest.raises(AnomalyError, match=r"op '\*'"):
            Value(1e300) * 1e300
    with sg.enable_grad(), detect_anomaly(), pytest.raises(AnomalyError):
        Value(1e300) * 1e300
    assert node._open_mode_blocks == 0 and not sg.is_anomaly_enabled()
    assert math.isinf((Value(1e300) * 1e300).data)
