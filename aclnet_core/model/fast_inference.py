"""A CPU inference form of a trained ACLNet: the same function with fewer, larger and cheaper operations.

`fuse_for_inference(model)` builds it (eval-mode statistics; nothing is trained through it). What changes against
the training form (tests/test_fast_inference.py checks the outputs at 1e-5):
  - every BatchNorm that follows a linear op is folded into it; data BN becomes one multiply-add;
  - 1×1 convolutions are matrix products (torch's batch-1, one-thread conv path, `_slow_conv2d_forward`, is
    avoided), and 1×1 convolutions that read the same tensor are merged into one product: DG-GCN pre + down +
    the block's residual conv; conv1 + conv2 on the time-averaged input; the six DG-TCN branch stems;
  - the residuals ride in the products (`addmm`/`baddbmm`), biases and ReLUs are applied in place;
  - each (3, 1) temporal conv is three products over column-shifted views of the flattened (C, T·(V+1)) stems
    (no padded copy); the max-pool is two in-place `maximum`s over the same shifted views (exact: its input is a
    ReLU output, ≥ 0, so the missing edge frames act as its padding);
  - the virtual global joint is added back with one `addcmul`.
`traced_for_inference(model, shape)` runs this form through a frozen TorchScript trace of one input shape
(`TracedPerShape`): the CPU torch runtime's form.
The graph aggregation stays a batched matmul (one V×V matrix per channel). `conv_ops=True` writes the products as
1×1 `Conv`s and the temporal convs as `Conv`s (an exportable form). The ONNX export does NOT use this module:
ONNX Runtime folds BN and fuses Conv+ReLU itself, and ran the training-form export (with `merge_sibling_convs`)
faster than this form (docs/RESULTS.md, "Encoder speed (issue 16)").
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from aclnet_core.model.encoder import ACLNet, DGBlock
from aclnet_core.model.graph_conv import DGGraphConv
from aclnet_core.model.temporal_conv import MultiScaleTemporalConv


def _bn_affine(bn: nn.BatchNorm1d | nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, shift) with bn(x) = x * scale + shift per channel (running statistics)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight (Cout, Cin[, kt]), bias (Cout)) of conv followed by bn; a 1×1 kernel becomes a matrix."""
    weight = conv.weight.detach().double()
    bias = conv.bias.detach().double() if conv.bias is not None else weight.new_zeros(weight.shape[0])
    if bn is not None:
        scale, shift = (t.detach().double() for t in _bn_affine(bn))
        weight = weight * scale.reshape(-1, *([1] * (weight.dim() - 1)))
        bias = bias * scale + shift
    if weight.shape[2:] == (1, 1):
        weight = weight[:, :, 0, 0]
    return weight.float().contiguous(), bias.float().contiguous()


class _Linear1x1(nn.Module):
    """A 1×1 convolution over (N, C, T, V) as a matrix product; `conv_ops` switches to F.conv2d (for export)."""

    conv_ops: bool = False

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        self.register_buffer("bias_col", bias[:, None].contiguous())
        self.register_buffer("weight4", weight[:, :, None, None].contiguous())

    def forward(self, x: torch.Tensor, add: torch.Tensor | None = None) -> torch.Tensor:
        """weight @ x + bias (+ add, a tensor shaped like the output)."""
        n, c, t, v = x.shape
        if self.conv_ops:
            y = F.conv2d(x, self.weight4, self.bias)
            return y if add is None else y + add
        x3 = x.reshape(n, c, t * v)
        # the bias is added in place afterwards: addmm's broadcast of a (C, 1) bias is slower than the product
        if add is None:
            y = torch.mm(self.weight, x3[0]).unsqueeze(0) if n == 1 else torch.matmul(self.weight, x3)
        else:
            a3 = add.reshape(n, -1, t * v)
            y = (torch.addmm(a3[0], self.weight, x3[0]).unsqueeze(0) if n == 1
                 else torch.baddbmm(a3, self.weight.expand(n, -1, -1), x3))
        return y.add_(self.bias_col).reshape(n, -1, t, v)


class FastGCN(nn.Module):
    """DG-GCN with folded BN, merged pre/down(/block residual) product and conv1/conv2 after the time mean."""

    def __init__(self, g: DGGraphConv, block_residual: tuple[torch.Tensor, torch.Tensor] | None) -> None:
        super().__init__()
        self.k, self.mid = g.num_subsets, g.mid
        self.cout = g.num_subsets * g.mid
        weights, biases = [_fold(g.pre[0], g.pre[1])], []
        biases.append(weights[0][1])
        self.has_down = isinstance(g.down, nn.Sequential)
        if self.has_down:
            wd, bd = _fold(g.down[0], g.down[1])
            weights.append((wd, bd))
        if block_residual is not None:
            weights.append(block_residual)
        self.first = _Linear1x1(torch.cat([w for w, _ in weights]), torch.cat([b for _, b in weights]))
        w1, b1 = _fold(g.conv1)
        w2, b2 = _fold(g.conv2)
        self.register_buffer("w12t", torch.cat([w1, w2]).t().contiguous())   # (Cin, 2C): V rows × 2C is faster
        self.register_buffer("b12", torch.cat([b1, b2]))
        self.register_buffer("A", g.A.detach().clone())
        self.alpha = float(g.alpha.detach().reshape(-1)[0])
        self.beta = float(g.beta.detach().reshape(-1)[0])
        self.post = _Linear1x1(*_fold(g.post, g.bn))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(block GCN output (N, C, T, V), the block residual conv's output or None)."""
        n, _, t, v = x.shape
        k, mid, c = self.k, self.mid, self.cout
        pooled = x.mean(dim=2).transpose(1, 2)                                   # (N, V, Cin)
        pp = torch.matmul(pooled, self.w12t).add_(self.b12)                      # (N, V, 2C)
        phi = pp[..., :c].reshape(n, v, k, mid).permute(0, 2, 3, 1)              # (N, K, C/K, V)
        psi = pp[..., c:].reshape(n, v, k, mid).permute(0, 2, 3, 1)
        shared = torch.softmax(torch.matmul(phi.transpose(-1, -2), psi), dim=-2) * self.beta + self.A
        adjacency = torch.add(shared.unsqueeze(2), torch.tanh(phi.unsqueeze(-1) - psi.unsqueeze(-2)),
                              alpha=self.alpha)                                  # (N, K, C/K, V, V)
        h = self.first(x)                                                        # (N, C[+C][+Cres], T, V)
        pre = torch.relu_(h[:, :c]).reshape(n, k, mid, t, v)
        agg = torch.matmul(pre, adjacency).reshape(n, c, t, v)
        res = h[:, c:2 * c] if self.has_down else x
        block_res = h[:, 2 * c:] if self.has_down else h[:, c:]
        out = torch.relu_(self.post(agg, res))
        return out, (block_res if block_res.shape[1] else None)


class FastTCN(nn.Module):
    """DG-TCN: one product for the six branch stems, dilated (3, 1) convs, max-pool as shifted maxima."""

    conv_ops: bool = False

    def __init__(self, m: MultiScaleTemporalConv, stride: int) -> None:
        super().__init__()
        self.stride = stride
        weights, self.dilations, self.widths = [], [], []
        convs = []
        for branch in m.branches:
            if isinstance(branch, nn.Conv2d):                     # the strided 1×1 branch (last)
                weights.append(_fold(branch))
                self.widths.append(branch.out_channels)
                continue
            weights.append(_fold(branch[0], branch[1]))
            self.widths.append(branch[0].out_channels)
            if isinstance(branch[3], nn.MaxPool2d):
                self.dilations.append(0)
                convs.append(None)
            else:
                self.dilations.append(int(branch[3].dilation[0]))
                convs.append(_fold(branch[3]))
        self.stems = _Linear1x1(torch.cat([w for w, _ in weights]), torch.cat([b for _, b in weights]))
        for i, conv in enumerate(convs):
            if conv is not None:
                self.register_buffer(f"tw{i}", conv[0][..., 0].contiguous())     # (C, C, 3)
                self.register_buffer(f"tb{i}", conv[1])
                self.register_buffer(f"tc{i}", conv[1][:, None].contiguous())
                for j in range(3):
                    self.register_buffer(f"tw{i}_{j}", conv[0][:, :, j, 0].contiguous())
        self.n_stem = sum(self.widths[:-1])
        self.register_buffer("coeff", m.add_coeff.detach().clone())
        scale, shift = _bn_affine(m.transform[0])
        self.register_buffer("scale", scale.detach()[:, None, None].contiguous())
        self.register_buffer("shift", shift.detach()[:, None, None].contiguous())
        self.out = _Linear1x1(*_fold(m.transform[2], m.bn))

    def forward(self, x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
        """relu(TCN(x) + residual); residual is (N, C, T', V) or None (no block residual)."""
        v, s = x.shape[-1], self.stride
        xa = torch.cat([x, x.mean(dim=-1, keepdim=True)], dim=-1)              # (N, C, T, V+1)
        h = self.stems(xa)
        torch.relu_(h[:, :self.n_stem])
        if self.conv_ops:
            out = self._branches_conv(h)
        else:
            out = (self._branches_mm(h[0]).unsqueeze(0) if len(h) == 1
                   else torch.stack([self._branches_mm(sample) for sample in h]))[:, :, ::s]
        mixed = torch.addcmul(out[..., :v], out[..., v:], self.coeff[:v])
        z = torch.relu_(torch.addcmul(self.shift, mixed, self.scale))
        if residual is None:
            return self.out(z)
        return torch.relu_(self.out(z, residual[:, :, ::s] if s > 1 else residual))

    def _branches_mm(self, h: torch.Tensor) -> torch.Tensor:
        """The six branch outputs of one sample (C, T, V+1) at stride 1, written into one buffer. A (3, 1) conv
        with dilation d is three matrix products over the flattened (C, T·(V+1)) stems: the centre tap over all
        columns, the outer taps over column ranges shifted by d·(V+1) (zero padding = the columns left out)."""
        _, t, v1 = h.shape
        stems = h[:self.n_stem].reshape(self.n_stem, t * v1)
        out = torch.empty(h.shape, dtype=h.dtype)
        flat = out.reshape(out.shape[0], t * v1)
        start = 0
        for i, (width, d) in enumerate(zip(self.widths[:-1], self.dilations)):
            rows, dest = stems[start:start + width], flat[start:start + width]
            start += width
            shift = max(d, 1) * v1
            if d:
                w_before, w_centre, w_after = getattr(self, f"tw{i}_0"), getattr(self, f"tw{i}_1"), getattr(self, f"tw{i}_2")
                torch.mm(w_centre, rows, out=dest)
                dest.add_(getattr(self, f"tc{i}"))
                if d < t:
                    dest[:, shift:].addmm_(w_before, rows[:, :-shift])
                    dest[:, :-shift].addmm_(w_after, rows[:, shift:])
            else:                                                               # max over t-1, t, t+1 (≥ 0)
                dest.copy_(rows)
                if t > 1:
                    torch.maximum(dest[:, shift:], rows[:, :-shift], out=dest[:, shift:])
                    torch.maximum(dest[:, :-shift], rows[:, shift:], out=dest[:, :-shift])
        flat[start:] = h[self.n_stem:].reshape(-1, t * v1)
        return out

    def _branches_conv(self, h: torch.Tensor) -> torch.Tensor:
        """The six branch outputs (N, C, T', V+1) as convolutions (the form ONNX Runtime runs best)."""
        s = self.stride
        stems = h[:, :self.n_stem]
        outs, start = [], 0
        for i, (width, d) in enumerate(zip(self.widths[:-1], self.dilations)):
            y = stems[:, start:start + width]
            start += width
            if d:
                outs.append(F.conv2d(y, getattr(self, f"tw{i}")[..., None], getattr(self, f"tb{i}"), stride=(s, 1),
                                     padding=(d, 0), dilation=(d, 1)))
            else:                                                                 # max over t-1, t, t+1 (≥ 0)
                t = y.shape[2]
                p = F.pad(y, (0, 0, 1, 1))
                outs.append(torch.maximum(torch.maximum(p[:, :, 0:t:s], p[:, :, 1:t + 1:s]), p[:, :, 2:t + 2:s]))
        outs.append(h[:, self.n_stem:, ::s])
        return torch.cat(outs, dim=1)


class FastBlock(nn.Module):
    def __init__(self, block: DGBlock, stride: int) -> None:
        super().__init__()
        res = block.residual
        self.identity = isinstance(res, nn.Identity)
        conv = _fold(res[0], res[1]) if isinstance(res, nn.Sequential) else None
        self.gcn = FastGCN(block.gcn, conv)
        self.tcn = FastTCN(block.tcn, stride)
        self.has_residual = res is not None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, block_res = self.gcn(x)
        if not self.has_residual:
            return torch.relu_(self.tcn(y, None))
        return self.tcn(y, x if self.identity else block_res)


class FastACLNet(nn.Module):
    """Inference-only twin of an ACLNet: forward(x (N, M, T, V, C)) → (logits, L2-normalised embedding)."""

    def __init__(self, model: ACLNet) -> None:
        super().__init__()
        model = model.eval()
        self.num_classes, self.num_joints, self.in_channels = model.num_classes, model.num_joints, model.in_channels
        scale, shift = _bn_affine(model.data_bn)
        v, c = model.num_joints, model.in_channels
        self.register_buffer("in_scale", scale.detach().reshape(v, c).contiguous())
        self.register_buffer("in_shift", shift.detach().reshape(v, c).contiguous())
        self.blocks = nn.ModuleList(FastBlock(b, s) for b, s in zip(model.blocks, model.preset.strides))
        self.register_buffer("fc_weight", model.fc.weight.detach().clone())
        self.register_buffer("fc_bias", model.fc.bias.detach().clone())

    def set_conv_ops(self, enabled: bool) -> FastACLNet:
        """Write the 1×1 products as Conv ops (ONNX export) or as matmuls (torch eager on CPU, the default)."""
        for module in self.modules():
            if isinstance(module, (_Linear1x1, FastTCN)):
                module.conv_ops = enabled
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, m, t, v, c = x.shape
        x = torch.addcmul(self.in_shift, x, self.in_scale)                    # data BN, (N, M, T, V, C)
        x = x.reshape(n * m, t, v, c).permute(0, 3, 1, 2).contiguous()         # (N·M, C, T, V)
        for block in self.blocks:
            x = block(x)
        pooled = x.mean(dim=(2, 3)).reshape(n, m, -1).mean(dim=1)
        return F.linear(pooled, self.fc_weight, self.fc_bias), F.normalize(pooled, dim=-1)

    def inference_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward(x)


@torch.no_grad()
def fuse_for_inference(model: ACLNet, conv_ops: bool = False) -> FastACLNet:
    """The FastACLNet of a trained `model` (eval statistics), in eval mode; the model itself is left unchanged."""
    return FastACLNet(model).set_conv_ops(conv_ops).eval()


def _quiet_tracer() -> None:
    """Silence, narrowly and process-wide (warnings.catch_warnings is not thread-safe), the notes tracing emits:
    torch.jit's deprecation notices and the shape-specialisation TracerWarnings (intended: one trace per shape)."""
    import warnings
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning, module=r"aclnet_core\.model\.fast_inference")
    warnings.filterwarnings("ignore", message=r"`torch\.jit\.(trace|trace_method|freeze)` is deprecated",
                            category=DeprecationWarning)


class TracedPerShape(nn.Module):
    """Runs a FastACLNet through a frozen TorchScript trace per input shape (eager Python's per-op cost is 15-27 %
    of a batch-1 call on one CPU thread: docs/RESULTS.md, "Encoder speed"). A trace is specialised to its shape
    (the batch-1 paths, the per-sample loop), and tracing plus TorchScript's two optimising runs take about 0.5 s
    for the lite preset, so only the shapes given to `prepare` (at most `max_shapes`) are traced, up front; a batch
    of a traced batch-1 shape runs it per sample; every other shape runs the same function eagerly. (Tracing lazily on first use
    stalled the live pipeline for half a second when a person appeared; tracing on a helper thread made a Qt
    process abort at exit.)"""

    def __init__(self, fast: FastACLNet, max_shapes: int = 8) -> None:
        super().__init__()
        self.fast = fast.eval()
        self.max_shapes = max_shapes
        self._traced: dict[tuple[int, ...], Callable | None] = {}    # None: tracing failed

    def prepare(self, *shapes: tuple[int, ...]) -> TracedPerShape:
        """Trace (now) the given input shapes, up to `max_shapes` in all."""
        for shape in shapes:
            key = tuple(int(d) for d in shape)
            if key not in self._traced and len(self._traced) < self.max_shapes:
                self._traced[key] = self._trace(torch.zeros(key))
        return self

    def _trace(self, x: torch.Tensor) -> Callable | None:
        _quiet_tracer()
        try:
            with torch.inference_mode():
                traced = torch.jit.freeze(torch.jit.trace(self.fast, x, check_trace=False).eval())
                for _ in range(2):                       # TorchScript profiles and optimises on its first two runs
                    traced(x)
            return traced
        except Exception:  # noqa: BLE001 - an untraceable shape still runs, eagerly
            return None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The traced call for a prepared shape; a batch of a prepared batch-1 shape runs it sample by sample
        (batching saves nothing per sample on one CPU thread, the trace saves the per-op cost); else eager."""
        traced = self._traced.get(tuple(x.shape))
        if traced is not None:
            return tuple(traced(x))
        one = self._traced.get((1, *x.shape[1:])) if x.dim() > 1 else None
        if one is not None and x.shape[0] > 1:
            logits, embedding = zip(*(one(x[i:i + 1]) for i in range(x.shape[0])))
            return torch.cat(logits), torch.cat(embedding)
        return self.fast(x)

    def inference_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward(x)


def traced_for_inference(model: ACLNet, *shapes: tuple[int, ...], max_shapes: int = 8) -> TracedPerShape:
    """`fuse_for_inference(model)` run through a frozen trace for each of `shapes` (the CPU torch runtime's form:
    it traces the model's batch-1 window)."""
    return TracedPerShape(fuse_for_inference(model), max_shapes).prepare(*shapes)
