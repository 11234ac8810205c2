"""Runnable lessons: `python -m demos.NAME` from any folder once installed (each has --help).

In the order of the workshop guide (docs/guide.md):

    sigmoid       the chain rule node by node: upstream × local gradient = downstream; 0.25
    multivariate  a value used twice: gradients add, 2 + 3 = 5
    accumulation  the `=` vs `+=` bug: wrong 1 vs right 4
    neuron        one neuron forward and backward, checked; from a neuron to an MLP
    moons         train micrograd's two-moons classifier (the main demo)
    spiral        3 classes: softmax cross-entropy and Adam
    regression    fit sin x with an MLP and the mean squared error
    graduate      the moons model trained here and as its PyTorch twin (needs torch)
    all           every demo above, one after another
    quickstart    ten lines: build an expression, backward, read the gradients

Each demo module also has `run(...)`, which returns its numbers and figures, for notebooks:
`from demos import moons; result = moons.run(steps=100); result["figures"]["moons_boundary"]`.
"""
