"""Pictures of a computation graph: graphviz, matplotlib, text, and backward animations."""
