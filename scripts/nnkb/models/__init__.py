"""Models stage: a verified ONNX file per KB model (sources/), builtin architectures
(builtin/), and graph statistics (graphstats.py)."""
