"""Produces the WDDGAN reference numbers embedded in OfficialWaveletReferenceTests.cs (not needed to build or run the tests).

Runs the official WaveDiff code (VinAIResearch/WaveDiff: score_sde/ and DWT_IDWT/) on CPU with Debian's python3-torch 1.13.
As for make_reference_values.py, the op package's CUDA `load(...)` calls are disabled first. PyWavelets and einops are
not installed here; the two tiny stand-ins in shims/ give exactly what the code reads from them for this run (the Haar
filters, and `rearrange` with patch_size 1, an identity):

    git -C <mirror> archive HEAD score_sde DWT_IDWT | tar x -C wref
    sed -i 's/^upfirdn2d_op = load(/upfirdn2d_op = None and load(/' wref/score_sde/op/upfirdn2d.py
    sed -i 's/^fused = load(/fused = None and load(/' wref/score_sde/op/fused_act.py
    /usr/bin/python3 make_wddgan_reference_values.py wref

Weights, inputs and summaries as in make_reference_values.py (reference_common.py).
"""
import os
import sys
import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, 'shims'))
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else 'wref')
from score_sde.models.ncsnpp_generator_adagn import WaveletNCSNpp
from DWT_IDWT.DWT_IDWT_layer import DWT_2D, IDWT_2D
from reference_common import fill, generator_config, pattern, summary

torch.set_grad_enabled(False)
x = pattern((2, 2, 16, 16), lambda j: 0.8 * np.sin(0.05 * j))
t = torch.tensor([0, 3])
z = pattern((2, 8), lambda j: np.cos(0.3 * j))

for name, cfg in [
    ('wavelet', generator_config()),
    ('wavelet-ablated', generator_config(no_use_fbn=True, no_use_freq=True, no_use_residual=True)),
    ('wavelet-variant', generator_config(skip_rescale=False, centered=False, conditional=False, not_use_tanh=False)),
]:
    g = WaveletNCSNpp(cfg)
    keys = fill(g)
    print(f'{name}: {len(keys)} keys, {sum(p.numel() for p in g.parameters())} parameters, {len(g.all_modules)} all_modules')
    summary(name, g(x, t, z))

# The generator's internal transform (WaveCNet's DWT_2D): band order LL, LH, HL, HH and its inverse.
xw = pattern((1, 1, 4, 4), lambda j: np.sin(0.9 * j) + 0.1 * j)
bands = DWT_2D('haar')(xw)
for band_name, band in zip(['LL', 'LH', 'HL', 'HH'], bands):
    print(f'dwt {band_name} ' + ', '.join(f'{v:.9g}' for v in band.reshape(-1).tolist()))
print('idwt max error %.3g' % (IDWT_2D('haar')(*bands) - xw).abs().max().item())
