"""`nnkb bench`: real ONNX benchmarks, one subprocess per row, cached by key.

runner.py (the command) -> worker.py (one row, in a subprocess) -> measure.py (the timing
loop) with an adapter from runtimes/; stats.py, machine.py, keys.py, settings.py beside.
"""
