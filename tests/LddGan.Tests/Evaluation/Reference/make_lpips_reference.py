"""Reference numbers for LpipsTests: the taming-transformers LPIPS (VGG16) written out in plain PyTorch (torchvision is not
installed here), weights and inputs filled by a formula that the C# test repeats, so nothing large is committed.

Run by hand:  /usr/bin/python3 tests/LddGan.Tests/Evaluation/Reference/make_lpips_reference.py
and paste the printed numbers into LpipsTests.cs.
"""
import math
import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)

CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
CUTS = [0, 4, 9, 16, 23, 30]


class Vgg16Slices(nn.Module):
    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for v in CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        for k in range(5):
            s = nn.Sequential()
            for i in range(CUTS[k], CUTS[k + 1]):
                s.add_module(str(i), layers[i])
            setattr(self, f"slice{k + 1}", s)

    def forward(self, x):
        outs = []
        for k in range(5):
            x = getattr(self, f"slice{k + 1}")(x)
            outs.append(x)
        return outs


class NetLinLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(c, 1, 1, bias=False))


class ScalingLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.Tensor([-.030, -.088, -.188])[None, :, None, None])
        self.register_buffer("scale", torch.Tensor([.458, .448, .450])[None, :, None, None])

    def forward(self, x):
        return (x - self.shift) / self.scale


class Lpips(nn.Module):
    def __init__(self):
        super().__init__()
        self.scaling_layer = ScalingLayer()
        self.net = Vgg16Slices()
        for k, c in enumerate([64, 128, 256, 512, 512]):
            setattr(self, f"lin{k}", NetLinLayer(c))

    def forward(self, a, b):
        fa, fb = self.net(self.scaling_layer(a)), self.net(self.scaling_layer(b))
        total = 0
        for k in range(5):
            na = fa[k] / (torch.sqrt(torch.sum(fa[k] ** 2, dim=1, keepdim=True)) + 1e-10)
            nb = fb[k] / (torch.sqrt(torch.sum(fb[k] ** 2, dim=1, keepdim=True)) + 1e-10)
            total = total + getattr(self, f"lin{k}").model((na - nb) ** 2).mean([2, 3], keepdim=True)
        return total


def formula(shape, k, scale):
    n = int(np.prod(shape))
    return torch.from_numpy((np.sin(0.618 * np.arange(n, dtype=np.float64) + 1.3 * k) * scale).astype(np.float32)).reshape(shape)


def fill(model):
    """Parameter k (state_dict order): conv weights sin(.)·sqrt(2/fan_in), biases 0.1·sin(.), lin weights 0.1·|sin(.)|."""
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            if name.startswith("lin"):
                p.copy_(formula(p.shape, k, 0.1).abs())
            elif name.endswith("bias"):
                p.copy_(formula(p.shape, k, 0.1))
            else:
                p.copy_(formula(p.shape, k, math.sqrt(2.0 / (p.shape[1] * p.shape[2] * p.shape[3]))))


def images(shape, phase):
    return formula(shape, phase, 0.9)


model = Lpips().eval()
fill(model)
print("parameters", sum(p.numel() for p in model.parameters()))
print("names", [n for n, _ in model.named_parameters()][:3], "...", [n for n, _ in model.named_parameters()][-2:])
with torch.no_grad():
    grey = model(images((2, 1, 32, 32), 7).repeat(1, 3, 1, 1), images((2, 1, 32, 32), 11).repeat(1, 3, 1, 1)).flatten()
    rgb = model(images((1, 3, 32, 32), 5), images((1, 3, 32, 32), 6)).flatten()
    same = model(images((1, 3, 32, 32), 5), images((1, 3, 32, 32), 5)).flatten()
print("grey", [f"{v:.9g}" for v in grey.tolist()])
print("rgb", [f"{v:.9g}" for v in rgb.tolist()])
print("same", [f"{v:.9g}" for v in same.tolist()])
