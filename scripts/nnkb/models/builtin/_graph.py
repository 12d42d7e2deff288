"""A small layer-by-layer ONNX graph builder shared by the builtin architectures.

Weights come from one numpy Generator per model, drawn in build order, so a builder's
output is a pure function of its seed. Tensor names follow the torchvision state_dict
names (``layer1.0.conv1.weight``) so that a sub-network can be counted by name prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# IR version 8 is the one that goes with opset 17; a newer IR would make the file
# unreadable for runtimes built against an older onnx even though no newer op is used.
IR_VERSION = 8
PRODUCER_NAME = "nnkb"
# Bump when a builder's output changes for the same seed, so cached files are rebuilt.
PRODUCER_VERSION = "builtin-1"


def _ints(value: int | Sequence[int], n: int) -> list[int]:
    return [value] * n if isinstance(value, int) else list(value)


class GraphBuilder:
    """Collects nodes and initializers; each method adds one layer and returns its output name."""

    def __init__(self, name: str, seed: int, input_shape: Sequence[int]) -> None:
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.input_shape = list(input_shape)
        self._used: set[str] = {"input"}

    # -- tensors ---------------------------------------------------------------------------
    def _fresh(self, name: str) -> str:
        if name in self._used:
            raise ValueError(f"{self.name}: tensor name {name!r} used twice")
        self._used.add(name)
        return name

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(array, self._fresh(name)))
        return name

    def _normal(self, shape: Sequence[int], std: float) -> np.ndarray:
        return self.rng.standard_normal(tuple(shape), dtype=np.float32) * np.float32(std)

    def _uniform(self, shape: Sequence[int], low: float, high: float) -> np.ndarray:
        return self.rng.uniform(low, high, tuple(shape)).astype(np.float32)

    def node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [self._fresh(output)], name=output, **attrs))
        return output

    # -- layers ----------------------------------------------------------------------------
    def conv(
        self,
        x: str,
        name: str,
        cin: int,
        cout: int,
        kernel: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        pad: int | Sequence[int] = 0,
        groups: int = 1,
        bias: bool = False,
        dims: int = 2,
    ) -> str:
        """Conv with He-normal weights (fan-in, so activations keep their scale)."""
        k = _ints(kernel, dims)
        p = _ints(pad, dims)
        fan_in = cin // groups * int(np.prod(k))
        w = self.constant(
            f"{name}.weight", self._normal([cout, cin // groups, *k], np.sqrt(2.0 / fan_in))
        )
        inputs = [x, w]
        if bias:
            inputs.append(self.constant(f"{name}.bias", self._normal([cout], 0.01)))
        return self.node(
            "Conv",
            inputs,
            name,
            kernel_shape=k,
            strides=_ints(stride, dims),
            pads=p + p,
            group=groups,
        )

    def batchnorm(self, x: str, name: str, channels: int, eps: float = 1e-5) -> str:
        """BatchNormalization kept as a node: gamma/beta are parameters, running stats are not.

        `eps` is torch's default unless the architecture sets its own (MobileNetV3: 1e-3).
        Statistics are drawn near (0, 1) rather than exactly so, so that a runtime which folds
        BN into the convolution is exercised with non-trivial numbers.
        """
        gamma = self.constant(f"{name}.weight", self._uniform([channels], 0.8, 1.2))
        beta = self.constant(f"{name}.bias", self._normal([channels], 0.05))
        mean = self.constant(f"{name}.running_mean", self._normal([channels], 0.05))
        var = self.constant(f"{name}.running_var", self._uniform([channels], 0.8, 1.2))
        return self.node("BatchNormalization", [x, gamma, beta, mean, var], name, epsilon=eps)

    def relu(self, x: str, name: str) -> str:
        return self.node("Relu", [x], name)

    def relu6(self, x: str, name: str) -> str:
        lo = self.constant(f"{name}.min", np.array(0.0, dtype=np.float32))
        hi = self.constant(f"{name}.max", np.array(6.0, dtype=np.float32))
        return self.node("Clip", [x, lo, hi], name)

    def hardsigmoid(self, x: str, name: str) -> str:
        """torch's Hardsigmoid, relu6(x + 3) / 6, spelt Add, Clip, Div.

        Not the HardSigmoid op: OpenCV DNN 5.0 rewrites HardSigmoid followed by Mul into a
        HardSwish without checking that Mul's other operand is the same tensor, so a
        squeeze-excite gate (sigmoid of a pooled vector times the feature map) comes out with
        the pooled 1x1 shape there.
        """
        shifted = self.node(
            "Add", [x, self.constant(f"{name}.three", np.array(3.0, np.float32))], f"{name}.add"
        )
        clipped = self.relu6(shifted, f"{name}.clip")
        six = self.constant(f"{name}.six", np.array(6.0, np.float32))
        return self.node("Div", [clipped, six], name)

    def hardswish(self, x: str, name: str) -> str:
        # x * relu6(x + 3) / 6 as one HardSwish node (opset 14, inside our opset 17), which
        # ONNX Runtime, OpenVINO 2026.4 and OpenCV DNN 5.0 all run.
        return self.node("HardSwish", [x], name)

    def prelu(self, x: str, name: str, channels: int) -> str:
        # One slope per channel, broadcast over H and W as torch.nn.PReLU(channels) does.
        slope = self.constant(f"{name}.weight", np.full([channels, 1, 1], 0.25, np.float32))
        return self.node("PRelu", [x, slope], name)

    def add(self, a: str, b: str, name: str) -> str:
        return self.node("Add", [a, b], name)

    def concat(self, xs: list[str], name: str) -> str:
        return self.node("Concat", xs, name, axis=1)

    def maxpool(
        self, x: str, name: str, kernel: int, stride: int, pad: int = 0, ceil: bool = False
    ) -> str:
        return self.node(
            "MaxPool",
            [x],
            name,
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            pads=[pad] * 4,
            ceil_mode=int(ceil),
        )

    def global_pool_flatten(self, x: str, name: str) -> str:
        pooled = self.node("GlobalAveragePool", [x], f"{name}.pool")
        return self.node("Flatten", [pooled], name, axis=1)

    def linear(self, x: str, name: str, cin: int, cout: int, output: str | None = None) -> str:
        """torch.nn.Linear as Gemm with the weight stored (out, in) and transB=1."""
        bound = 1.0 / np.sqrt(cin)
        w = self.constant(f"{name}.weight", self._uniform([cout, cin], -bound, bound))
        b = self.constant(f"{name}.bias", self._uniform([cout], -bound, bound))
        return self.node("Gemm", [x, w, b], output or name, transB=1)

    # -- model -----------------------------------------------------------------------------
    def model(self, outputs: dict[str, list[int]], input_name: str = "input") -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, self.input_shape)],
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs.items()],
            initializer=self.initializers,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name=PRODUCER_NAME,
            producer_version=PRODUCER_VERSION,
            ir_version=IR_VERSION,
        )
        model.doc_string = f"{self.name}: architecture built by nnkb with random weights"
        onnx.checker.check_model(model)
        return model
