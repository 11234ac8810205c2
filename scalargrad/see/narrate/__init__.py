"""The backward pass in words and numbers: `explain`, `explain_paths`, `check_graph`."""
