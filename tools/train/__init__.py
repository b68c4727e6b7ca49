"""The trainer: data, degradations, scenes, the training loop (README.md)."""
