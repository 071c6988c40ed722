"""Produces the reference numbers embedded in OfficialReferenceTests.cs (not needed to build or run the tests).

Runs the official DDGAN code (NVlabs/denoising-diffusion-gan, score_sde/) on CPU with Debian's python3-torch 1.13.
The official op package compiles CUDA extensions at import; on CPU tensors it never uses them, so the two
`load(...)` calls are disabled first:

    git -C <mirror> archive HEAD score_sde | tar x -C ref
    sed -i 's/^upfirdn2d_op = load(/upfirdn2d_op = None and load(/' ref/score_sde/op/upfirdn2d.py
    sed -i 's/^fused = load(/fused = None and load(/' ref/score_sde/op/fused_act.py
    /usr/bin/python3 make_reference_values.py ref

Every parameter is overwritten by a deterministic pattern (the C# test computes the same one), so no weights need to
be shipped: parameters sorted by key; key i with n elements gets amp * sin(0.37 j + 0.91 i + 0.5), j = 0..n-1,
amp = 1/sqrt(n / shape[0]) for tensors of rank >= 2 and 0.1 otherwise.
"""
import sys
import numpy as np
import torch

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else 'ref')
from score_sde.models.ncsnpp_generator_adagn import NCSNpp
from score_sde.models.discriminator import Discriminator_small, Discriminator_large
from score_sde.models import up_or_down_sampling as uds
from score_sde.models.layers import get_timestep_embedding
from reference_common import fill, generator_config, pattern, summary


torch.set_grad_enabled(False)
x = pattern((2, 2, 16, 16), lambda j: 0.8 * np.sin(0.05 * j))
t = torch.tensor([0, 3])
z = pattern((2, 8), lambda j: np.cos(0.3 * j))

for name, cfg in [
    ('generator-residual', generator_config()),
    ('generator-variant', generator_config(progressive_input='input_skip', progressive_combine='cat', fir=False,
                                           skip_rescale=False, centered=False, conditional=False, not_use_tanh=False)),
]:
    g = NCSNpp(cfg)
    keys = fill(g)
    print(f'{name}: {len(keys)} keys, {sum(p.numel() for p in g.parameters())} parameters, {len(g.all_modules)} all_modules')
    summary(name, g(x, t, z))

xd = pattern((8, 2, 16, 16), lambda j: 0.7 * np.sin(0.031 * j + 0.2))
xc = pattern((8, 2, 16, 16), lambda j: 0.6 * np.cos(0.017 * j))
td = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
d = Discriminator_small(nc=4, ngf=8, t_emb_dim=16)
keys = fill(d)
print(f'small: {len(keys)} keys; logits ' + ', '.join(f'{v:.9g}' for v in d(xd, td, xc).reshape(-1).tolist()))

xl = pattern((4, 2, 64, 64), lambda j: 0.7 * np.sin(0.013 * j + 0.2))
xlc = pattern((4, 2, 64, 64), lambda j: 0.6 * np.cos(0.007 * j))
tl = torch.tensor([1, 0, 3, 2])
d = Discriminator_large(nc=4, ngf=4, t_emb_dim=16)
keys = fill(d)
print(f'large: {len(keys)} keys; logits ' + ', '.join(f'{v:.9g}' for v in d(xl, tl, xlc).reshape(-1).tolist()))

xf = pattern((1, 1, 4, 4), lambda j: np.sin(0.9 * j) + 0.1 * j)
for k in ([1, 3, 3, 1], [1, 2, 3, 4]):
    dn = uds.downsample_2d(xf, k, factor=2)
    up = uds.upsample_2d(xf, k, factor=2)
    kk = uds._setup_kernel(k)
    p = kk.shape[0] - 2 + 2
    blur = uds.upfirdn2d(xf, torch.tensor(kk), pad=((p + 1) // 2, p // 2))
    print(f'fir {k}: down ' + ', '.join(f'{v:.9g}' for v in dn.reshape(-1).tolist()))
    summary(f'fir {k} up', up)
    summary(f'fir {k} blur', blur)

print('emb8 ' + ', '.join(f'{v:.9g}' for v in get_timestep_embedding(torch.tensor([0, 1, 3]), 8).reshape(-1).tolist()))
print('emb7 ' + ', '.join(f'{v:.9g}' for v in get_timestep_embedding(torch.tensor([2]), 7).reshape(-1).tolist()))
