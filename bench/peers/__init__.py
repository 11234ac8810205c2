"""One module per engine, each building the workloads of `bench.workloads` its own way.

Every engine module offers the same three things, so the worker can time them alike:
  Demo(points, labels, weights, ...)  .step(k) -> loss, .forward() -> graph, .count_nodes()
  Elementary(shape, params)           .run() -> (output, d output/dx), .forward(), .count_nodes()
and `describe()`: the engine's name and version for the table.
"""
