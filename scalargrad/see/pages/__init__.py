"""Self-contained browser pages: the backward stepper and the training replay."""
