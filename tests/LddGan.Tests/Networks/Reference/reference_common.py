"""Helpers shared by the reference-value scripts: the deterministic weight fill, input patterns and output summaries
(the C# side computes the same in NetworkTestHelpers)."""
import numpy as np
import torch


def fill(model):
    sd = model.state_dict()
    keys = sorted(sd.keys())
    new = {}
    for i, k in enumerate(keys):
        t = sd[k]
        n = t.numel()
        j = np.arange(n, dtype=np.float64)
        amp = 1.0 / np.sqrt(n / t.shape[0]) if t.dim() >= 2 else 0.1
        new[k] = torch.from_numpy((amp * np.sin(0.37 * j + 0.91 * i + 0.5)).astype(np.float32)).view(t.shape)
    model.load_state_dict(new)
    return keys


def pattern(shape, f):
    n = int(np.prod(shape))
    return torch.from_numpy(f(np.arange(n, dtype=np.float64)).astype(np.float32)).view(*shape)


def summary(name, out):
    flat = out.detach().reshape(-1).double()
    j = torch.arange(flat.numel(), dtype=torch.float64)
    proj = (flat * torch.sin(0.01 * j + 0.3)).sum().item()
    picks = [0, 17, 100, 511, 777, 1023]
    picks = [p for p in picks if p < flat.numel()]
    print(f'{name}: numel {flat.numel()} sum {flat.sum().item():.9g} sumsq {(flat * flat).sum().item():.9g} proj {proj:.9g}')
    print(f'{name}: picks ' + ', '.join(f'[{p}] {flat[p].item():.9g}' for p in picks))


class Cfg:
    pass


def generator_config(**kw):
    c = Cfg()
    c.not_use_tanh = True
    c.z_emb_dim = 16
    c.num_channels_dae = 16
    c.ch_mult = [1, 2, 2]
    c.num_res_blocks = 1
    c.attn_resolutions = (8,)
    c.dropout = 0.0
    c.resamp_with_conv = True
    c.image_size = 16
    c.conditional = True
    c.fir = True
    c.fir_kernel = [1, 3, 3, 1]
    c.skip_rescale = True
    c.resblock_type = 'biggan'
    c.progressive = 'none'
    c.progressive_input = 'residual'
    c.progressive_combine = 'sum'
    c.embedding_type = 'positional'
    c.fourier_scale = 16.0
    c.num_channels = 2
    c.centered = True
    c.nz = 8
    c.n_mlp = 2
    c.patch_size = 1  # WDDGAN/LDDGAN only; DDGAN ignores it
    for k, v in kw.items():
        setattr(c, k, v)
    return c
