"""ACLNet core: skeleton layouts, model, losses, data, training, evaluation, export and runtimes (no Qt, no camera)."""

__version__ = "0.1.0"
