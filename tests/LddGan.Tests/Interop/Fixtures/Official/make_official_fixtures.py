"""Writes the committed parity fixtures of this folder: checkpoint files in the official PyTorch formats of DDGAN,
WDDGAN and LDDGAN, made by the official code, plus expected.json with fixed inputs and the official forward outputs.
The C# importer must read these files and reproduce the outputs (README.md says what each test checks).

Not needed to build or run the C# tests; run it only to regenerate the fixtures. It runs the official sources on CPU
with Debian's python3-torch 1.13 (/usr/bin/python3; no torchvision, PyWavelets, einops or pytorch_lightning).
Extract the three official repositories from the mirrors (the archives list paths explicitly: the mirrors miss
some large .npy blobs; git still prints 'error: invalid object ... .npy' for them, which does not affect the listed
paths) and disable the CUDA op builds, which CPU tensors never use:

    mkdir -p ref wref lref
    git -C <clone of NVlabs/denoising-diffusion-gan> archive HEAD score_sde EMA.py train_ddgan.py | tar x -C ref
    git -C <clone of VinAIResearch/WaveDiff> archive HEAD score_sde DWT_IDWT | tar x -C wref
    git -C <clone of thanhluantrinh/LDDGAN> archive HEAD ldm taming/modules/vqvae | tar x -C lref
    for d in ref wref; do
      sed -i 's/^upfirdn2d_op = load(/upfirdn2d_op = None and load(/' $d/score_sde/op/upfirdn2d.py
      sed -i 's/^fused = load(/fused = None and load(/' $d/score_sde/op/fused_act.py
    done
    /usr/bin/python3 make_official_fixtures.py ref wref lref

Stand-ins for the missing packages, none of which changes a number:
  * shims/einops.py (this folder): a general `rearrange` (reshape, permute, reshape) for the patterns used here;
  * ../../../Networks/Reference/shims/pywt.py: the Haar filter banks WaveDiff's DWT_IDWT reads;
  * torchvision / datasets_prep: empty modules, so that train_ddgan.py imports (only its diffusion helpers, its
    argument parser and, through them, its training step are used here; no data set is read);
  * pytorch_lightning: LightningModule = torch.nn.Module, so that LDM's VQModelInterface (ldm/models/autoencoder.py)
    itself is built; its loss is torch.nn.Identity as in LDDGAN's CelebA first-stage config.

Weights are real random initialisations (the official constructors' own init) from fixed seeds, made less trivial where
the official init is constant: every GroupNorm affine weight/bias is redrawn as 1 + 0.1 N(0, 1) / 0.1 N(0, 1), and every
other tensor the init leaves constant or almost zero (zero biases, NCSN++'s init_scale = 0 convolutions) as
0.05 N(0, 1), so that almost every key changes the outputs (README.md names the exceptions: biases that a following
per-channel normalisation or softmax cancels exactly). The DDGAN generator and discriminator
are then trained for 3 iterations by the official training step (train_ddgan.py: R1 on real, non-saturating losses,
Adam wrapped in the official EMA optimizer) so that content.pth holds real optimiser and EMA state.

All state dicts are taken through torch.nn.parallel.DistributedDataParallel (gloo, one CPU process), exactly as the
official scripts save them: every key starts with 'module.'. Files use torch.save's default zip format.
Inputs are rounded to 3 decimals (stored exactly in a few characters); image-like discriminator and encoder inputs
are smooth (see `smooth`). The files and expected.json are byte-for-byte reproducible (sha256 in expected.json).
"""
import argparse
import collections
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import textwrap
import types
import zipfile

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
COMMITS = {
    'NVlabs/denoising-diffusion-gan': '6818ded6443e10ab69c7864745457ce391d4d883',
    'VinAIResearch/WaveDiff': 'f1ad48bbc7a8bb95fc90f87e7811ac2513a4411e',
    'thanhluantrinh/LDDGAN': 'd27380b2863eb51e65bb8651680bcd9f59ea04f0',
}
OFFICIAL_PACKAGES = ('score_sde', 'EMA', 'DWT_IDWT', 'ldm', 'taming', 'train_ddgan')


# ----------------------------------------------------------------------------------------------- environment

def stub_module(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    return module


def install_stubs():
    sys.path.insert(0, os.path.join(HERE, 'shims'))
    sys.path.insert(1, os.path.join(HERE, '..', '..', '..', 'Networks', 'Reference', 'shims'))
    unused = type('Unused', (), {})
    stub_module('torchvision', transforms=stub_module('torchvision.transforms'),
                datasets=stub_module('torchvision.datasets', CIFAR10=unused))
    stub_module('datasets_prep')
    stub_module('datasets_prep.lsun', LSUN=unused)
    stub_module('datasets_prep.stackmnist_data', StackedMNIST=unused, _data_transforms_stacked_mnist=unused)
    stub_module('datasets_prep.lmdb_datasets', LMDBDataset=unused)
    stub_module('pytorch_lightning', LightningModule=nn.Module)


@contextlib.contextmanager
def official(root):
    """Imports from one official checkout; the three share package names (score_sde), so each gets a clean slate."""
    def forget():
        for name in list(sys.modules):
            if name.split('.')[0] in OFFICIAL_PACKAGES:
                del sys.modules[name]
    forget()
    sys.path.insert(0, root)
    try:
        yield
    finally:
        sys.path.remove(root)
        forget()


def ddp(module):
    """The wrapper the official scripts train and save through (gloo, one CPU process: all-reduce is the identity)."""
    return nn.parallel.DistributedDataParallel(module)


def ddp_state_dict(wrapped):
    """The state dict as the official scripts save it, through DistributedDataParallel: 'module.' + key."""
    sd = wrapped.state_dict()
    assert list(sd.keys()) == ['module.' + k for k in wrapped.module.state_dict().keys()]
    return sd


# ----------------------------------------------------------------------------------------------- weights and values

def perturb(model, gen):
    """Redraws what the official init leaves constant (see the module docstring)."""
    with torch.no_grad():
        handled = set()
        for module in model.modules():
            if isinstance(module, nn.GroupNorm) and module.affine:
                module.weight.copy_(1 + 0.1 * torch.randn(module.weight.shape, generator=gen))
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=gen))
                handled.update((id(module.weight), id(module.bias)))
        for _, p in model.named_parameters():
            if id(p) in handled:
                continue
            flat = p.reshape(-1)
            if bool((flat == flat[0]).all()) or float(flat.abs().max()) < 1e-4:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))


def rounded(shape, gen, scale=1.0, low=None, high=None):
    """Inputs with 3 decimals, so expected.json stores them exactly in a few characters."""
    if low is None:
        v = scale * torch.randn(shape, generator=gen)
    else:
        v = low + (high - low) * torch.rand(shape, generator=gen)
    return torch.from_numpy(np.round(v.double().numpy(), 3).astype(np.float32))


def smooth(shape, gen, coarse=4, noise=0.1):
    """Image-like inputs: a coarse uniform [-1, 1] grid upsampled bilinearly, plus a little noise, 3 decimals. The
    large discriminator blurs white noise away in its six FIR downsamplings; smooth inputs reach its output."""
    b, c, h, w = shape
    grid = 2 * torch.rand((b, c, coarse, coarse), generator=gen) - 1
    v = F.interpolate(grid, size=(h, w), mode='bilinear', align_corners=False)
    v = v + noise * torch.randn(shape, generator=gen)
    return torch.from_numpy(np.round(v.double().numpy(), 3).astype(np.float32))


def shortest(v):
    s = str(np.float32(v))
    if np.float32(float(s)) != np.float32(v):
        s = '%.9g' % v
    assert np.float32(float(s)) == np.float32(v) and np.isfinite(v), v
    return float(s)


def tensor_json(t):
    t = t.detach().cpu()
    if t.dtype == torch.int64:
        return {'shape': list(t.shape), 'dtype': 'int64', 'values': [int(v) for v in t.reshape(-1).tolist()]}
    assert t.dtype == torch.float32, t.dtype
    return {'shape': list(t.shape), 'dtype': 'float32', 'values': [shortest(v) for v in t.reshape(-1).numpy()]}


def strip_module(sd):
    assert all(k.startswith('module.') for k in sd), 'expected DDP keys'
    return collections.OrderedDict((k[len('module.'):], v) for k, v in sd.items())


def file_summary(path, sd):
    """Size, hash, key layout and how many storages the zip holds (EMA tensors are views sharing storages)."""
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    storages = [n for n in names if '/data/' in n and not n.endswith('.pkl')]
    keys = list(sd.keys())
    return {
        'bytes': os.path.getsize(path), 'sha256': digest, 'zip_root': names[0].split('/')[0],
        'storages': len(storages), 'keys': len(keys), 'first_keys': keys[:3], 'last_keys': keys[-3:],
        'parameters': int(sum(v.numel() for v in sd.values())),
    }


def save(obj, name):
    path = os.path.join(HERE, name)
    torch.save(obj, path)  # torch 1.13 default: the zip format
    return path


# ----------------------------------------------------------------------------------------------- DDGAN

def ddgan_args(train_ddgan_source):
    """The official argument namespace (train_ddgan.py's own parser) for the tiny configuration used here."""
    start = train_ddgan_source.index("parser = argparse.ArgumentParser(")
    start = train_ddgan_source.rindex('\n', 0, start) + 1
    end = train_ddgan_source.index("args = parser.parse_args()")
    scope = {'argparse': argparse}
    exec(textwrap.dedent(train_ddgan_source[start:end]), scope)
    args = scope['parser'].parse_args([
        '--seed', str(SEED), '--dataset', 'cifar10', '--exp', 'fixture', '--image_size', '16', '--num_channels', '2',
        '--num_channels_dae', '4', '--ch_mult', '1', '2', '--num_res_blocks', '1', '--n_mlp', '2', '--nz', '8',
        '--z_emb_dim', '16', '--t_emb_dim', '16', '--ngf', '2', '--num_timesteps', '4', '--batch_size', '4',
        '--num_epoch', '10', '--lr_g', '0.01', '--lr_d', '0.01', '--use_ema', '--ema_decay', '0.9', '--save_content',
    ])
    args.attn_resolutions = (8,)  # a tuple like the parser's default; the command line could only give a string
    args.world_size = args.num_proc_node * args.num_process_per_node
    return args


def ddgan_train_iteration(td, args, coeff, pos_coeff, netG, netD, optimizerD, optimizerG):
    """One iteration of train_ddgan.py's loop (lazy_reg None: R1 every step), on random data in [-1, 1]."""
    b = args.batch_size
    real = 2 * torch.rand(b, args.num_channels, args.image_size, args.image_size) - 1
    for p in netD.parameters():
        p.requires_grad = True
    netD.zero_grad()
    t = torch.randint(0, args.num_timesteps, (b,))
    x_t, x_tp1 = td.q_sample_pairs(coeff, real, t)
    x_t.requires_grad = True
    d_real = netD(x_t, t, x_tp1.detach()).view(-1)
    err_real = F.softplus(-d_real).mean()
    err_real.backward(retain_graph=True)
    grad = torch.autograd.grad(outputs=d_real.sum(), inputs=x_t, create_graph=True)[0]
    (args.r1_gamma / 2 * (grad.view(b, -1).norm(2, dim=1) ** 2).mean()).backward()
    x0 = netG(x_tp1.detach(), t, torch.randn(b, args.nz))
    fake = td.sample_posterior(pos_coeff, x0, x_tp1, t)
    F.softplus(netD(fake, t, x_tp1.detach()).view(-1)).mean().backward()
    optimizerD.step()

    for p in netD.parameters():
        p.requires_grad = False
    netG.zero_grad()
    t = torch.randint(0, args.num_timesteps, (b,))
    x_t, x_tp1 = td.q_sample_pairs(coeff, real, t)
    x0 = netG(x_tp1.detach(), t, torch.randn(b, args.nz))
    fake = td.sample_posterior(pos_coeff, x0, x_tp1, t)
    F.softplus(-netD(fake, t, x_tp1.detach()).view(-1)).mean().backward()
    optimizerG.step()


def generator_config_json(cfg):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(vars(cfg).items())
            if k in GENERATOR_FIELDS}


GENERATOR_FIELDS = {
    'image_size', 'num_channels', 'centered', 'num_channels_dae', 'n_mlp', 'ch_mult', 'num_res_blocks',
    'attn_resolutions', 'dropout', 'resamp_with_conv', 'conditional', 'fir', 'fir_kernel', 'skip_rescale',
    'resblock_type', 'progressive', 'progressive_input', 'progressive_combine', 'embedding_type', 'fourier_scale',
    'not_use_tanh', 'nz', 'z_emb_dim', 'patch_size', 'no_use_fbn', 'no_use_freq', 'no_use_residual',
}


def make_ddgan(root, cases, files):
    with official(root):
        with open(os.path.join(root, 'train_ddgan.py')) as f:
            source = f.read()
        import train_ddgan as td
        from EMA import EMA
        from score_sde.models.ncsnpp_generator_adagn import NCSNpp
        from score_sde.models.discriminator import Discriminator_small, Discriminator_large

        args = ddgan_args(source)
        gen = torch.Generator().manual_seed(SEED)
        torch.manual_seed(SEED)
        netG = NCSNpp(args)
        netD = Discriminator_small(nc=2 * args.num_channels, ngf=args.ngf, t_emb_dim=args.t_emb_dim,
                                   act=nn.LeakyReLU(0.2))
        perturb(netG, gen)
        perturb(netD, gen)
        assert len(list(netG.buffers())) == 0 and len(list(netD.buffers())) == 0
        optimizerD = torch.optim.Adam(netD.parameters(), lr=args.lr_d, betas=(args.beta1, args.beta2))
        optimizerG = EMA(torch.optim.Adam(netG.parameters(), lr=args.lr_g, betas=(args.beta1, args.beta2)),
                         ema_decay=args.ema_decay)
        schedulerG = torch.optim.lr_scheduler.CosineAnnealingLR(optimizerG, args.num_epoch, eta_min=1e-5)
        schedulerD = torch.optim.lr_scheduler.CosineAnnealingLR(optimizerD, args.num_epoch, eta_min=1e-5)
        netG, netD = ddp(netG), ddp(netD)
        coeff = td.Diffusion_Coefficients(args, 'cpu')
        pos_coeff = td.Posterior_Coefficients(args, 'cpu')
        iterations = 3
        for _ in range(iterations):
            ddgan_train_iteration(td, args, coeff, pos_coeff, netG, netD, optimizerD, optimizerG)
        schedulerG.step()
        schedulerD.step()
        epoch, global_step = 0, iterations

        content = {'epoch': epoch + 1, 'global_step': global_step, 'args': args,
                   'netG_dict': ddp_state_dict(netG), 'optimizerG': optimizerG.state_dict(),
                   'schedulerG': schedulerG.state_dict(), 'netD_dict': ddp_state_dict(netD),
                   'optimizerD': optimizerD.state_dict(), 'schedulerD': schedulerD.state_dict()}
        content_path = save(content, 'ddgan_content.pth')
        # netG_{epoch}.pth as train_ddgan.py writes it: EMA weights swapped in (views into EMA's stacked storages).
        optimizerG.swap_parameters_with_ema(store_params_in_ema=True)
        netG_path = save(ddp_state_dict(netG), 'ddgan_netG.pth')
        optimizerG.swap_parameters_with_ema(store_params_in_ema=True)

        # Independent discriminators (fresh inits) in the two official variants.
        torch.manual_seed(SEED + 1)
        small = Discriminator_small(nc=4, ngf=2, t_emb_dim=16, act=nn.LeakyReLU(0.2))
        perturb(small, gen)
        small_path = save(ddp_state_dict(ddp(small)), 'ddgan_netD_small.pth')
        torch.manual_seed(SEED + 2)
        large = Discriminator_large(nc=2, ngf=2, t_emb_dim=16, act=nn.LeakyReLU(0.2))
        perturb(large, gen)
        large_path = save(ddp_state_dict(ddp(large)), 'ddgan_netD_large.pth')

        # Expected outputs: every file is read back and loaded into a fresh official model.
        torch.set_grad_enabled(False)
        loaded = torch.load(content_path, map_location='cpu')
        assert set(loaded) == {'epoch', 'global_step', 'args', 'netG_dict', 'optimizerG', 'schedulerG', 'netD_dict',
                               'optimizerD', 'schedulerD'}
        raw = strip_module(loaded['netG_dict'])
        names = list(raw.keys())
        opt_state = loaded['optimizerG']['state']
        assert loaded['optimizerG']['param_groups'][0]['params'] == list(range(len(names)))
        assert all('ema' in opt_state[i] for i in range(len(names)))
        ema = collections.OrderedDict((k, opt_state[i]['ema']) for i, k in enumerate(names))
        assert max(float((ema[k] - raw[k]).abs().max()) for k in names) > 1e-3, 'EMA must differ from the raw weights'
        netG_file = strip_module(torch.load(netG_path, map_location='cpu'))
        assert all(torch.equal(netG_file[k], ema[k]) for k in names)

        x = rounded((2, 2, 16, 16), gen, low=-1, high=1)
        t = torch.tensor([0, 3])
        z = rounded((2, 8), gen)
        cfg = generator_config_json(args)
        model = NCSNpp(args).eval()
        outputs = {}
        for label, sd in (('raw', raw), ('ema', ema), ('file', netG_file)):
            model.load_state_dict(sd)
            outputs[label] = model(x, t, z)
        assert torch.equal(outputs['file'], outputs['ema'])
        assert float((outputs['raw'] - outputs['ema']).abs().max()) > 1e-3
        g_inputs = {'x': tensor_json(x), 't': tensor_json(t), 'z': tensor_json(z)}
        g_common = {'model': 'score_sde.models.ncsnpp_generator_adagn.NCSNpp (DDGAN)', 'config': cfg,
                    'call': 'netG(x, t, z)', 'inputs': g_inputs}
        cases['ddgan_netG'] = dict(g_common, file='ddgan_netG.pth',
                                   weights="the whole file, 'module.' stripped (train_ddgan.py's netG_{epoch}.pth: EMA weights)",
                                   output=tensor_json(outputs['file']))
        cases['ddgan_content_netG_raw'] = dict(g_common, file='ddgan_content.pth',
                                               weights="content['netG_dict'], 'module.' stripped (raw training weights)",
                                               output=tensor_json(outputs['raw']))
        cases['ddgan_content_netG_ema'] = dict(
            g_common, file='ddgan_content.pth',
            weights="netG_dict's key order with each tensor replaced by content['optimizerG']['state'][i]['ema'], i = the "
                    "key's position (param_groups[0]['params'] == [0, 1, ...], netG has no buffers); equals ddgan_netG.pth",
            output=tensor_json(outputs['ema']))

        xd = smooth((2, 2, 16, 16), gen)
        xtd = smooth((2, 2, 16, 16), gen)
        td_ = torch.tensor([1, 3])
        d_inputs = {'x': tensor_json(xd), 't': tensor_json(td_), 'x_t': tensor_json(xtd)}
        small_cfg = {'nc': 4, 'ngf': 2, 't_emb_dim': 16, 'act': 'LeakyReLU(0.2)'}
        probe = Discriminator_small(nc=4, ngf=2, t_emb_dim=16, act=nn.LeakyReLU(0.2))
        probe.load_state_dict(strip_module(torch.load(small_path, map_location='cpu')))
        cases['ddgan_netD_small'] = {'model': 'score_sde.models.discriminator.Discriminator_small', 'config': small_cfg,
                                     'file': 'ddgan_netD_small.pth', 'weights': "the whole file, 'module.' stripped",
                                     'call': 'netD(x, t, x_t)', 'inputs': d_inputs, 'output': tensor_json(probe(xd, td_, xtd))}
        probe.load_state_dict(strip_module(loaded['netD_dict']))
        cases['ddgan_content_netD'] = {'model': 'score_sde.models.discriminator.Discriminator_small', 'config': small_cfg,
                                       'file': 'ddgan_content.pth', 'weights': "content['netD_dict'], 'module.' stripped",
                                       'call': 'netD(x, t, x_t)', 'inputs': d_inputs, 'output': tensor_json(probe(xd, td_, xtd))}

        xl = smooth((2, 1, 64, 64), gen)
        xtl = smooth((2, 1, 64, 64), gen)
        tl = torch.tensor([2, 0])
        large_cfg = {'nc': 2, 'ngf': 2, 't_emb_dim': 16, 'act': 'LeakyReLU(0.2)'}
        probe = Discriminator_large(nc=2, ngf=2, t_emb_dim=16, act=nn.LeakyReLU(0.2))
        probe.load_state_dict(strip_module(torch.load(large_path, map_location='cpu')))
        cases['ddgan_netD_large'] = {'model': 'score_sde.models.discriminator.Discriminator_large', 'config': large_cfg,
                                     'file': 'ddgan_netD_large.pth', 'weights': "the whole file, 'module.' stripped",
                                     'call': 'netD(x, t, x_t)',
                                     'inputs': {'x': tensor_json(xl), 't': tensor_json(tl), 'x_t': tensor_json(xtl)},
                                     'output': tensor_json(probe(xl, tl, xtl))}
        torch.set_grad_enabled(True)

        files['ddgan_netG.pth'] = file_summary(netG_path, torch.load(netG_path, map_location='cpu'))
        files['ddgan_content.pth'] = dict(
            file_summary(content_path, loaded['netG_dict']),
            top_level_keys=list(loaded.keys()), netG_dict_keys=len(loaded['netG_dict']),
            netD_dict_keys=len(loaded['netD_dict']), epoch=loaded['epoch'], global_step=loaded['global_step'],
            args={k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(vars(loaded['args']).items())},
            optimizerG_state_keys=sorted(opt_state[0].keys()),
            optimizerG_param_group=dict((k, v) for k, v in loaded['optimizerG']['param_groups'][0].items() if k != 'params'),
            schedulerG=dict(loaded['schedulerG']), netG_parameter_order=names)
        files['ddgan_content.pth']['note'] = ('keys, first/last keys and parameters describe netG_dict only; storages '
                                              'counts every storage in the file (EMA tensors share stacked storages)')
        files['ddgan_netD_small.pth'] = file_summary(small_path, torch.load(small_path, map_location='cpu'))
        files['ddgan_netD_large.pth'] = file_summary(large_path, torch.load(large_path, map_location='cpu'))


# ----------------------------------------------------------------------------------------------- WDDGAN

def make_wddgan(root, cases, files):
    with official(root):
        from score_sde.models.ncsnpp_generator_adagn import WaveletNCSNpp
        cfg = types.SimpleNamespace(
            image_size=16, num_channels=4, centered=True, num_channels_dae=4, n_mlp=2, ch_mult=[1, 2, 2],
            num_res_blocks=1, attn_resolutions=(8,), dropout=0.0, resamp_with_conv=True, conditional=True, fir=True,
            fir_kernel=[1, 3, 3, 1], skip_rescale=True, resblock_type='biggan', progressive='none',
            progressive_input='residual', progressive_combine='sum', embedding_type='positional', fourier_scale=16.0,
            not_use_tanh=False, nz=8, z_emb_dim=16, patch_size=1, no_use_fbn=False, no_use_freq=False,
            no_use_residual=False)
        gen = torch.Generator().manual_seed(SEED + 10)
        torch.manual_seed(SEED + 10)
        netG = WaveletNCSNpp(cfg)
        perturb(netG, gen)
        path = save(ddp_state_dict(ddp(netG)), 'wddgan_netG.pth')
        sd = torch.load(path, map_location='cpu')
        model = WaveletNCSNpp(cfg).eval()
        model.load_state_dict(strip_module(sd))
        x = rounded((2, 4, 16, 16), gen, low=-1, high=1)
        t = torch.tensor([1, 2])
        z = rounded((2, 8), gen)
        with torch.no_grad():
            y = model(x, t, z)
        cases['wddgan_netG'] = {
            'model': 'score_sde.models.ncsnpp_generator_adagn.WaveletNCSNpp (WaveDiff)', 'config': generator_config_json(cfg),
            'file': 'wddgan_netG.pth', 'weights': "the whole file, 'module.' stripped", 'call': 'netG(x, t, z)',
            'inputs': {'x': tensor_json(x), 't': tensor_json(t), 'z': tensor_json(z)}, 'output': tensor_json(y)}
        files['wddgan_netG.pth'] = file_summary(path, sd)


# ----------------------------------------------------------------------------------------------- LDDGAN

LOSS_KEYS = [  # stand-ins for taming's VQLPIPSWithDiscriminator entries; the importer must ignore 'loss.*'
    ('loss.perceptual_loss.lin0.model.1.weight', (1, 8, 1, 1)),
    ('loss.discriminator.main.0.weight', (8, 1, 4, 4)),
    ('loss.discriminator.main.0.bias', (8,)),
]


def make_lddgan(root, cases, files):
    with official(root):
        from ldm.models.autoencoder import VQModelInterface
        ddconfig = {'double_z': False, 'z_channels': 2, 'resolution': 32, 'in_channels': 1, 'out_ch': 1, 'ch': 32,
                    'ch_mult': [1, 1], 'num_res_blocks': 1, 'attn_resolutions': [16], 'dropout': 0.0, 'tanh_out': False}
        params = {'embed_dim': 2, 'n_embed': 32, 'ddconfig': ddconfig, 'lossconfig': {'target': 'torch.nn.Identity'}}
        gen = torch.Generator().manual_seed(SEED + 20)
        torch.manual_seed(SEED + 20)
        model = VQModelInterface(**params)
        perturb(model, gen)
        with torch.no_grad():  # a trained codebook lives at the latents' scale, not U(-1/n, 1/n)
            model.quantize.embedding.weight.copy_(torch.randn(model.quantize.embedding.weight.shape, generator=gen))
        sd = model.state_dict()
        keys = list(sd.keys())
        assert keys[0].startswith('encoder.') and any(k.startswith('quantize.') for k in keys)
        at = next(i for i, k in enumerate(keys) if not k.startswith(('encoder.', 'decoder.')))
        checkpoint_sd = collections.OrderedDict()
        for i, k in enumerate(keys):
            if i == at:  # Lightning registers VQModel.loss after the decoder: its keys sit there
                for name, shape in LOSS_KEYS:
                    checkpoint_sd[name] = 0.1 * torch.randn(shape, generator=gen)
            checkpoint_sd[k] = sd[k]
        checkpoint_sd._metadata = sd._metadata  # as Lightning's model.state_dict() carries it
        checkpoint = {'epoch': 7, 'global_step': 560, 'pytorch-lightning_version': '1.4.2',
                      'state_dict': checkpoint_sd, 'callbacks': {}, 'optimizer_states': [], 'lr_schedulers': []}
        path = save(checkpoint, 'lddgan_autoencoder.ckpt')

        loaded = torch.load(path, map_location='cpu')['state_dict']
        probe = VQModelInterface(**params).eval()
        missing, unexpected = probe.load_state_dict(loaded, strict=False)
        assert not missing and sorted(unexpected) == sorted(n for n, _ in LOSS_KEYS), (missing, unexpected)
        image = smooth((2, 1, 32, 32), gen)
        with torch.no_grad():
            encoded = probe.encode(image)
            latent, codes, margin = quantisable_latent(probe, gen)
            decoded = probe.decode(latent)
            decoded_unquantised = probe.decode(latent, force_not_quantize=True)
        common = {'model': 'ldm.models.autoencoder.VQModelInterface (LDDGAN repo)',
                  'config': {k: v for k, v in params.items()},
                  'file': 'lddgan_autoencoder.ckpt', 'weights': "checkpoint['state_dict'] without its 'loss.*' keys"}
        cases['lddgan_encode'] = dict(common, call='encode(x) = quant_conv(encoder(x)) (no quantisation)',
                                      inputs={'x': tensor_json(image)}, output=tensor_json(encoded))
        cases['lddgan_decode'] = dict(
            common, call='decode(z) with force_not_quantize=False (as LDDGAN samples): '
                         'decoder(post_quant_conv(quantize(z))); codes = nearest codebook rows, (B, H, W)',
            inputs={'z': tensor_json(latent)}, codes=tensor_json(codes), min_distance_gap=margin,
            output=tensor_json(decoded))
        cases['lddgan_decode_unquantised'] = dict(
            common, call='decode(z, force_not_quantize=True): decoder(post_quant_conv(z))',
            inputs={'z': tensor_json(latent)}, output=tensor_json(decoded_unquantised))
        files['lddgan_autoencoder.ckpt'] = dict(file_summary(path, loaded), top_level_keys=list(checkpoint.keys()),
                                                loss_keys=[n for n, _ in LOSS_KEYS])


def quantisable_latent(model, gen):
    """A (2, embed_dim, 16, 16) latent whose nearest codes are unambiguous (no near-ties between two codes)."""
    codebook = model.quantize.embedding.weight
    for _ in range(100):
        z = rounded((2, model.embed_dim, 16, 16), gen)
        flat = z.permute(0, 2, 3, 1).reshape(-1, model.embed_dim)
        d = torch.cdist(flat.double(), codebook.double()) ** 2
        best = d.topk(2, dim=1, largest=False).values
        margin = float((best[:, 1] - best[:, 0]).min())
        if margin > 1e-3:
            return z, d.argmin(1).reshape(2, 16, 16), margin
    raise RuntimeError('no latent without near-ties found')


# ----------------------------------------------------------------------------------------------- main

def main():
    roots = (sys.argv[1:] + ['ref', 'wref', 'lref'][len(sys.argv) - 1:])[:3]
    torch.set_num_threads(1)
    install_stubs()
    with tempfile.TemporaryDirectory() as tmp:
        dist.init_process_group('gloo', init_method='file://' + os.path.join(tmp, 'rendezvous'), rank=0, world_size=1)
        cases, files = collections.OrderedDict(), collections.OrderedDict()
        make_ddgan(roots[0], cases, files)
        make_wddgan(roots[1], cases, files)
        make_lddgan(roots[2], cases, files)
        dist.destroy_process_group()
    expected = {
        'about': 'Official forward outputs for the checkpoint files of this folder (make_official_fixtures.py). '
                 'Tensors: shape, dtype and row-major values; float32 values are written as the shortest decimal '
                 'that parses back to the same float32.',
        'torch_version': torch.__version__, 'seed': SEED, 'official_commits': COMMITS, 'files': files, 'cases': cases,
    }
    with open(os.path.join(HERE, 'expected.json'), 'w') as f:
        json.dump(expected, f, separators=(',', ':'))
        f.write('\n')
    for name, info in files.items():
        print(f"{name}: {info['bytes']} bytes, {info['keys']} keys, {info['storages']} storages")
    for name, case in cases.items():
        print(f"{name}: output {case['output']['shape']}")


if __name__ == '__main__':
    main()
