"""nnkb: an executable knowledge base of neural networks, runtimes and hardware."""

__version__ = "0.1.0"
