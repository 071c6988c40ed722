"""Reference numbers for InceptionParityTests (run by hand: /usr/bin/python3 make_inception_fixture.py).

An independent plain-torch re-implementation of pytorch-fid's FID Inception (torchvision's Inception3 with
pytorch-fid's FIDInceptionA/C/E_1/E_2 patches, features up to the 2048-d pool), with pytorch-fid's module names.
Its weights come from a counter-based formula (splitmix64 of (key index, element index), see `fill`) that the C# test
repeats exactly, so no weights are committed. Writes next to this script:
  inception_fixture.bin   raw little-endian float32 tensors, back to back
  inception_fixture.json  index into the .bin (name -> shape, offset in floats) plus checksums and the parameter count

The input pipeline is pytorch-fid's (resize_input=True, normalize_input=True), fed from the framework's convention:
images in [-1, 1] with 1 channel -> repeated to 3 channels -> mapped to [0, 1] -> bilinear resize to 299x299
(align_corners=False) -> 2x - 1.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def tf_avg_pool(x):
    # TensorFlow's average pool leaves the zero padding out of the mean.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):  # FIDInceptionA
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch5x5_2(self.branch5x5_1(x))
        c = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        d = self.branch_pool(tf_avg_pool(x))
        return torch.cat([a, b, c, d], 1)


class BlockB(nn.Module):  # InceptionB (grid reduction 35 -> 17)
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        a = self.branch3x3(x)
        b = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        c = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([a, b, c], 1)


class BlockC(nn.Module):  # FIDInceptionC
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        c = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            c = m(c)
        d = self.branch_pool(tf_avg_pool(x))
        return torch.cat([a, b, c, d], 1)


class BlockD(nn.Module):  # InceptionD (grid reduction 17 -> 8)
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        a = self.branch3x3_2(self.branch3x3_1(x))
        b = self.branch7x7x3_1(x)
        for m in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b = m(b)
        c = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([a, b, c], 1)


class BlockE(nn.Module):  # FIDInceptionE_1 (max_pool=False) and FIDInceptionE_2 (max_pool=True)
    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch3x3_1(x)
        b = torch.cat([self.branch3x3_2a(b), self.branch3x3_2b(b)], 1)
        c = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        c = torch.cat([self.branch3x3dbl_3a(c), self.branch3x3dbl_3b(c)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else tf_avg_pool(x)
        d = self.branch_pool(pooled)
        return torch.cat([a, b, c, d], 1)


class FidInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, max_pool=False)
        self.Mixed_7c = BlockE(2048, max_pool=True)

    def forward(self, x, taps):
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        taps['Conv2d_4a_3x3'] = x
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))
        taps['Mixed_5d'] = x
        x = self.Mixed_6a(x)
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))
        taps['Mixed_6e'] = x
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        taps['Mixed_7c'] = x
        return F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def preprocess(images):
    """Framework images in [-1, 1], (B, 1 or 3, H, W) -> what pytorch-fid's InceptionV3 feeds its first block."""
    if images.shape[1] == 1:
        images = images.repeat(1, 3, 1, 1)
    x = (images + 1) / 2  # pytorch-fid expects [0, 1]
    x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
    return 2 * x - 1


MASK64 = (1 << 64) - 1


def uniform(key_index, n):
    """n values in [-1, 1): the top 24 bits of splitmix64(key_index * 2^32 + j), j = 0..n-1, as k / 2^23 - 1."""
    with np.errstate(over='ignore'):
        z = np.uint64(key_index) * np.uint64(1 << 32) + np.arange(n, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 23) - 1.0


def fill(model):
    """Every floating state-dict entry (keys sorted, num_batches_tracked skipped), key index i, gets from u = uniform(i):
    conv weights sqrt(6 / fan_in)·u (He-uniform), BN weight 1 + 0.2u, bias 0.1u, running_mean 0.1u, running_var 1 + 0.5u."""
    sd = model.state_dict()
    keys = sorted(k for k in sd if not k.endswith('num_batches_tracked'))
    new = dict(sd)
    for i, k in enumerate(keys):
        t = sd[k]
        u = uniform(i, t.numel())
        if k.endswith('conv.weight'):
            v = np.sqrt(6.0 / (t.numel() / t.shape[0])) * u
        elif k.endswith('bn.weight'):
            v = 1.0 + 0.2 * u
        elif k.endswith('bn.bias') or k.endswith('bn.running_mean'):
            v = 0.1 * u
        elif k.endswith('bn.running_var'):
            v = 1.0 + 0.5 * u
        else:
            raise KeyError(k)
        new[k] = torch.from_numpy(v.astype(np.float32)).view(t.shape)
    model.load_state_dict(new)
    return keys


def checksum(t):
    flat = t.detach().reshape(-1).double()
    return {'shape': list(t.shape), 'sum': flat.sum().item(), 'sum_sq': (flat * flat).sum().item(),
            'nonzero_fraction': (flat != 0).double().mean().item()}


def to_json(value, indent=''):
    """JSON with one line per innermost object or list, so the 564 state-dict shapes stay short and diffable."""
    if isinstance(value, dict) and (len(value) > 20 or any(isinstance(v, dict) for v in value.values())):
        inner = indent + ' '
        items = [f'{inner}{json.dumps(k)}: {to_json(v, inner)}' for k, v in value.items()]
        return '{\n' + ',\n'.join(items) + '\n' + indent + '}'
    return json.dumps(value)


def main():
    torch.set_num_threads(1)
    model = FidInception().eval()
    keys = fill(model)
    params = sum(p.numel() for p in model.parameters())
    print('parameters', params, 'filled keys', len(keys), 'state-dict keys', len(model.state_dict()))

    # Two 32x32 grey images in [-1, 1] with different content (smooth shapes plus fine texture, some saturated pixels).
    g = torch.Generator().manual_seed(20151205)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing='ij')
    blob = 1.4 * torch.exp(-((xx - 0.2) ** 2 + (yy + 0.1) ** 2) * 3) - 0.6
    stripes = 0.8 * torch.sin(6 * xx + 3 * yy)
    images = torch.stack([blob, stripes])[:, None] + 0.15 * torch.randn(2, 1, 32, 32, generator=g)
    images = images.clamp(-1, 1).float()

    taps = {}
    with torch.no_grad():
        x = preprocess(images)
        taps['preprocessed'] = x
        features = model(x, taps)
    print('features', tuple(features.shape), 'mean', features.mean().item(), 'std', features.std().item(),
          'nonzero', (features != 0).float().mean().item())
    for k, v in taps.items():
        print(k, checksum(v))

    here = os.path.dirname(os.path.abspath(__file__))
    tensors, index, offset = [], {}, 0
    for name, t in (('input', images), ('features', features)):
        a = t.detach().contiguous().numpy().astype('<f4')
        index[name] = {'shape': list(t.shape), 'offset': offset}
        offset += a.size
        tensors.append(a.reshape(-1))
    with open(os.path.join(here, 'inception_fixture.bin'), 'wb') as f:
        f.write(np.concatenate(tensors).tobytes())
    sd = model.state_dict()
    doc = {
        'about': 'make_inception_fixture.py: FID Inception with formula-filled weights; torch ' + torch.__version__,
        'float32_tensors': index,
        'parameter_count': params,
        'filled_keys': len(keys),
        'fill_checks': {k: sd[k].double().sum().item() for k in
                        ('Conv2d_1a_3x3.conv.weight', 'Mixed_6b.branch7x7_2.bn.running_var', 'Mixed_7c.branch_pool.conv.weight')},
        'intermediates': {k: checksum(v) for k, v in taps.items()},
        'state_dict_shapes': {k: list(v.shape) for k, v in sorted(sd.items())},
    }
    with open(os.path.join(here, 'inception_fixture.json'), 'w') as f:
        f.write(to_json(doc) + '\n')


if __name__ == '__main__':
    main()
