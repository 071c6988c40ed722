#!/usr/bin/env python3
"""Timing benchmark of the OFFICIAL PyTorch DDGAN code (NVlabs/denoising-diffusion-gan).

The timed code is the official code in ./ref (networks, EMA wrapper, diffusion helpers
imported from ref/train_ddgan.py).  The training iteration below is a verbatim copy of
the loop body of train() in ref/train_ddgan.py (DDP wrapper and data loader removed).
The hyper-parameters come from the official argparse parser in ref/train_ddgan.py,
parsed with the CIFAR-10 training command of ref/readme.md.  See README.md.

Needs: torch, numpy.  No torchvision, no compiled ops, no network.
"""
import argparse
import json
import os
import platform
import re
import shlex
import statistics
import sys
import textwrap
import time

sys.dont_write_bytecode = True  # keep ref/ and shims/ free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "ref")
SHIMS = os.path.join(HERE, "shims")
# shims first: empty torchvision / datasets_prep so train_ddgan.py imports without them
sys.path.insert(0, REF)
sys.path.insert(0, SHIMS)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch.optim as optim  # noqa: E402

import train_ddgan as official  # noqa: E402  (the official module; torchvision is a stub)
from score_sde.models.discriminator import Discriminator_small  # noqa: E402
from score_sde.models.ncsnpp_generator_adagn import NCSNpp  # noqa: E402
from score_sde.op import upfirdn2d as _upfirdn2d_mod  # noqa: E402,F401
from EMA import EMA  # noqa: E402

# The CIFAR-10 training command from the official readme.md (copied; checked against
# ref/readme.md at run time when that file is present).
README_CIFAR10_CMD = (
    "python3 train_ddgan.py --dataset cifar10 --exp ddgan_cifar10_exp1 --num_channels 3 "
    "--num_channels_dae 128 --num_timesteps 4 --num_res_blocks 2 --batch_size 64 "
    "--num_epoch 1800 --ngf 64 --nz 100 --z_emb_dim 256 --n_mlp 4 --embedding_type positional "
    "--use_ema --ema_decay 0.9999 --r1_gamma 0.02 --lr_d 1.25e-4 --lr_g 1.6e-4 --lazy_reg 15 "
    "--num_process_per_node 4 --ch_mult 1 2 2 2 --save_content"
)


def official_parser():
    """Build the argparse parser exactly as written in ref/train_ddgan.py's __main__ block."""
    src = open(os.path.join(REF, "train_ddgan.py")).read()
    start = src.index("    parser = argparse.ArgumentParser(")
    end = src.index("    args = parser.parse_args()", start)
    ns = {"argparse": argparse}
    exec(textwrap.dedent(src[start:end]), ns)
    return ns["parser"]


def readme_cifar10_argv():
    argv = shlex.split(README_CIFAR10_CMD)[2:]
    path = os.path.join(REF, "readme.md")
    if os.path.exists(path):
        text = open(path).read().replace("\\\n", " ")
        m = re.search(r"python3 train_ddgan\.py --dataset cifar10 [^\n]*", text)
        assert m is not None, "CIFAR-10 command not found in ref/readme.md"
        from_readme = shlex.split(m.group(0))[2:]
        assert from_readme == argv, (from_readme, argv)
    return argv


def official_config(channels, image_size, batch):
    parser = official_parser()
    defaults = parser.parse_args([])
    cfg = parser.parse_args(readme_cifar10_argv())
    # benchmark overrides (image channels / size / per-GPU batch)
    cfg.num_channels = channels
    cfg.image_size = image_size
    cfg.batch_size = batch
    cfg.world_size = 1
    return cfg, defaults


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def summarize(times):
    return {"median": statistics.median(times), "min": min(times), "runs": times}


def tf32_flags():
    # legacy flags only (never the newer fp32_precision API: mixing the two can raise)
    out = {}
    for name, getter in (("cuda.matmul.allow_tf32", lambda: torch.backends.cuda.matmul.allow_tf32),
                         ("cudnn.allow_tf32", lambda: torch.backends.cudnn.allow_tf32)):
        try:
            out[name] = bool(getter())
        except Exception as e:  # noqa: BLE001
            out[name] = f"error: {type(e).__name__}: {e}"
    return out


def set_matmul_tf32(value):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2.9+ deprecates the legacy flag (still works)
        torch.backends.cuda.matmul.allow_tf32 = value


def _j(v):
    return list(v) if isinstance(v, tuple) else v


def nparams(m):
    return sum(p.numel() for p in m.parameters())


def device_name(dev):
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


# --------------------------------------------------------------------------------------
# The official training iteration: verbatim copy of the body of
#   for iteration, (x, y) in enumerate(data_loader):
# in train() of ref/train_ddgan.py.  Differences: `real_data` is passed in (already on
# the device; stands for x.to(device, non_blocking=True)), netG/netD are not wrapped in
# DistributedDataParallel (single process), and the logging line
# (`if iteration % 100 == 0: print(... errG.item(), errD.item())`, i.e. one host sync
# per 100 iterations) is left out of the timed loop.
# --------------------------------------------------------------------------------------
def official_train_step(args, netG, netD, optimizerG, optimizerD, coeff, pos_coeff,
                        real_data, global_step, device):
    batch_size = args.batch_size
    nz = args.nz

    for p in netD.parameters():
        p.requires_grad = True

    netD.zero_grad()

    # sample t
    t = torch.randint(0, args.num_timesteps, (real_data.size(0),), device=device)

    x_t, x_tp1 = official.q_sample_pairs(coeff, real_data, t)
    x_t.requires_grad = True

    # train with real
    D_real = netD(x_t, t, x_tp1.detach()).view(-1)

    errD_real = F.softplus(-D_real)
    errD_real = errD_real.mean()

    errD_real.backward(retain_graph=True)

    if args.lazy_reg is None:
        grad_real = torch.autograd.grad(
            outputs=D_real.sum(), inputs=x_t, create_graph=True
        )[0]
        grad_penalty = (
            grad_real.view(grad_real.size(0), -1).norm(2, dim=1) ** 2
        ).mean()

        grad_penalty = args.r1_gamma / 2 * grad_penalty
        grad_penalty.backward()
    else:
        if global_step % args.lazy_reg == 0:
            grad_real = torch.autograd.grad(
                outputs=D_real.sum(), inputs=x_t, create_graph=True
            )[0]
            grad_penalty = (
                grad_real.view(grad_real.size(0), -1).norm(2, dim=1) ** 2
            ).mean()

            grad_penalty = args.r1_gamma / 2 * grad_penalty
            grad_penalty.backward()

    # train with fake
    latent_z = torch.randn(batch_size, nz, device=device)

    x_0_predict = netG(x_tp1.detach(), t, latent_z)
    x_pos_sample = official.sample_posterior(pos_coeff, x_0_predict, x_tp1, t)

    output = netD(x_pos_sample, t, x_tp1.detach()).view(-1)

    errD_fake = F.softplus(output)
    errD_fake = errD_fake.mean()
    errD_fake.backward()

    errD = errD_real + errD_fake
    # Update D
    optimizerD.step()

    # update G
    for p in netD.parameters():
        p.requires_grad = False
    netG.zero_grad()

    t = torch.randint(0, args.num_timesteps, (real_data.size(0),), device=device)

    x_t, x_tp1 = official.q_sample_pairs(coeff, real_data, t)

    latent_z = torch.randn(batch_size, nz, device=device)

    x_0_predict = netG(x_tp1.detach(), t, latent_z)
    x_pos_sample = official.sample_posterior(pos_coeff, x_0_predict, x_tp1, t)

    output = netD(x_pos_sample, t, x_tp1.detach()).view(-1)

    errG = F.softplus(-output)
    errG = errG.mean()

    errG.backward()
    optimizerG.step()

    global_step += 1
    return global_step, errG, errD


def make_diffusion_coefficients(args, device):
    """official.Diffusion_Coefficients (set-up only, never timed).  It applies numpy
    functions (np.cumprod, np.sqrt) to torch tensors, which relies on numpy<->torch
    __array_wrap__ interplay; if that fails with the installed numpy/torch pair, build
    the same tensors with torch ops instead (recorded in the JSON)."""
    try:
        c = official.Diffusion_Coefficients(args, device)
        for name in ("a_s_cum", "sigmas_cum", "a_s_prev"):
            v = getattr(c, name)
            assert isinstance(v, torch.Tensor) and v.device.type == device.type, name
        return c, "official"
    except Exception as e:  # noqa: BLE001
        print(f"WARNING: official Diffusion_Coefficients failed ({type(e).__name__}: {e}); "
              "using the torch-op equivalent (set-up only, not timed)")
        c = argparse.Namespace()
        c.sigmas, c.a_s, _ = official.get_sigma_schedule(args, device=device)
        a_s_cum = torch.cumprod(c.a_s.cpu(), 0)
        c.a_s_cum = a_s_cum.to(device)
        c.sigmas_cum = torch.sqrt(1 - a_s_cum ** 2).to(device)
        c.a_s_prev = c.a_s.clone()
        c.a_s_prev[-1] = 1
        c.a_s_prev = c.a_s_prev.to(device)
        return c, f"torch fallback ({type(e).__name__}: {e})"


def build_models(args, device):
    """As in official train(): NCSNpp + Discriminator_small (cifar10), Adam, EMA on G."""
    netG = NCSNpp(args).to(device)
    netD = Discriminator_small(nc=2 * args.num_channels, ngf=args.ngf,
                               t_emb_dim=args.t_emb_dim,
                               act=nn.LeakyReLU(0.2)).to(device)
    optimizerD = optim.Adam(netD.parameters(), lr=args.lr_d, betas=(args.beta1, args.beta2))
    optimizerG = optim.Adam(netG.parameters(), lr=args.lr_g, betas=(args.beta1, args.beta2))
    if args.use_ema:
        optimizerG = EMA(optimizerG, ema_decay=args.ema_decay)
    return netG, netD, optimizerG, optimizerD


def bench_sample(cfg, netG, pos_coeff, T, device, batch, repeats, warmup):
    netG.eval()
    times = []
    for i in range(warmup + repeats):
        sync(device)
        t0 = time.perf_counter()
        x_t_1 = torch.randn(batch, cfg.num_channels, cfg.image_size, cfg.image_size,
                            device=device)
        with torch.no_grad():
            fake = official.sample_from_model(pos_coeff, netG, cfg.num_timesteps, x_t_1, T, cfg)
        sync(device)
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
    del fake
    per100 = [t * 100.0 / batch for t in times]
    return {"seconds_per_batch": summarize(times),
            "seconds_per_100_images": summarize(per100),
            "images_per_second": batch / statistics.median(times)}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--what", default="all", choices=["sample", "train", "all"])
    ap.add_argument("--sample-batch", type=int, default=100)
    ap.add_argument("--train-batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--r1-steps", type=int, default=3)
    ap.add_argument("--cycles", type=int, default=1,
                    help="number of full lazy_reg-step cycles to time (default 1)")
    ap.add_argument("--interleave", action="store_true",
                    help="alternate timed plain and R1 steps (robust to drifting load on a "
                         "shared CPU); default: all plain steps, then all R1 steps")
    ap.add_argument("--train-matmul-tf32", action="store_true",
                    help="also set torch.backends.cuda.matmul.allow_tf32=True for training "
                         "(default: PyTorch defaults)")
    ap.add_argument("--seed", type=int, default=1024)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    if a.threads is not None:
        torch.set_num_threads(a.threads)
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("CUDA requested but torch.cuda.is_available() is False")
    device = torch.device("cuda:0" if a.device == "cuda" else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)

    cfg, defaults = official_config(a.channels, a.image_size, a.train_batch)
    # same seeding as official train() with rank 0
    torch.manual_seed(a.seed)
    if device.type == "cuda":
        torch.cuda.manual_seed_all(a.seed)

    default_flags = tf32_flags()
    res = {
        "code": "official NVlabs/denoising-diffusion-gan (ref/), pure-PyTorch upfirdn2d/fused_act",
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda,
        "cudnn_version": (torch.backends.cudnn.version() if device.type == "cuda" else None),
        "python": platform.python_version(),
        "device": a.device,
        "device_name": device_name(device),
        "threads": torch.get_num_threads(),
        "tf32_defaults": default_flags,
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "channels": a.channels,
        "image_size": a.image_size,
        "sample_batch": a.sample_batch,
        "train_batch": a.train_batch,
        "repeats": a.repeats,
        "warmup": a.warmup,
        "r1_steps": a.r1_steps,
        "config": {k: _j(v) for k, v in vars(cfg).items()},
        "config_changed_from_argparse_defaults": {
            k: {"default": _j(getattr(defaults, k, None)), "used": _j(v)}
            for k, v in vars(cfg).items()
            if not hasattr(defaults, k) or getattr(defaults, k) != v},
    }
    try:
        res["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    except Exception:  # pragma: no cover
        pass

    netG, netD, optimizerG, optimizerD = build_models(cfg, device)
    res["params_G"] = nparams(netG)
    res["params_D"] = nparams(netD)
    if a.channels != 3:
        ref_args = argparse.Namespace(**vars(cfg))
        ref_args.num_channels = 3
        res["params_G_3ch"] = nparams(NCSNpp(ref_args))

    coeff, res["diffusion_coefficients"] = make_diffusion_coefficients(cfg, device)
    pos_coeff = official.Posterior_Coefficients(cfg, device)
    T = official.get_time_schedule(cfg, device)

    print(f"torch {torch.__version__} | {res['device_name']} | threads {res['threads']} | "
          f"TF32 defaults {default_flags}")
    print(f"config (official parser + readme CIFAR-10 command, channels={a.channels}): "
          f"nf={cfg.num_channels_dae} ch_mult={cfg.ch_mult} res_blocks={cfg.num_res_blocks} "
          f"attn={cfg.attn_resolutions} nz={cfg.nz} z_emb={cfg.z_emb_dim} n_mlp={cfg.n_mlp} "
          f"t_emb={cfg.t_emb_dim} T={cfg.num_timesteps} ngf={cfg.ngf} lr_g={cfg.lr_g} "
          f"lr_d={cfg.lr_d} betas=({cfg.beta1},{cfg.beta2}) ema={cfg.use_ema}/{cfg.ema_decay} "
          f"r1_gamma={cfg.r1_gamma} lazy_reg={cfg.lazy_reg}")
    print(f"params: G {res['params_G']/1e6:.3f} M, D {res['params_D']/1e6:.3f} M"
          + (f", G@3ch {res['params_G_3ch']/1e6:.3f} M" if "params_G_3ch" in res else ""))
    sys.stdout.flush()

    # ---------------------------------------------------------------- sampling
    if a.what in ("sample", "all"):
        res["sample"] = {}
        for label, mm_tf32 in (("defaults", None), ("matmul_tf32", True)):
            if mm_tf32 is not None:
                set_matmul_tf32(mm_tf32)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            r = bench_sample(cfg, netG, pos_coeff, T, device, a.sample_batch, a.repeats, a.warmup)
            r["tf32_flags"] = tf32_flags()
            if device.type == "cuda":
                r["max_memory_allocated_GiB"] = torch.cuda.max_memory_allocated(device) / 2**30
            res["sample"][label] = r
            s = r["seconds_per_100_images"]
            print(f"sample [{label}] {r['tf32_flags']}: {s['median']:.4f} s / 100 images "
                  f"(median; min {s['min']:.4f}; runs {[round(x, 4) for x in s['runs']]})")
            sys.stdout.flush()
        set_matmul_tf32(default_flags["cuda.matmul.allow_tf32"] is True)

    # ---------------------------------------------------------------- training
    if a.what in ("train", "all"):
        if a.train_matmul_tf32:
            set_matmul_tf32(True)
        netG.train()
        netD.train()
        real_data = (torch.rand(a.train_batch, a.channels, a.image_size, a.image_size,
                                device=device) * 2 - 1)
        lazy = cfg.lazy_reg
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)

        gs = 1  # global_step; gs % lazy_reg != 0 -> plain step, == 0 -> R1 step

        def step(global_step):
            return official_train_step(cfg, netG, netD, optimizerG, optimizerD, coeff,
                                       pos_coeff, real_data, global_step, device)

        def next_plain(g):
            return g + 1 if (g + 1) % lazy == 0 else g

        def timed(global_step, cpu_list):
            sync(device)
            c0 = time.process_time()
            t0 = time.perf_counter()
            out = step(global_step)
            sync(device)
            dt = time.perf_counter() - t0
            cpu_list.append(time.process_time() - c0)
            return dt, out

        # warm-up: plain steps, then one R1 step (double backward has its own kernels)
        errG = errD = None
        for _ in range(a.warmup):
            gs = next_plain(gs)
            gs, errG, errD = step(gs)
        if a.warmup > 0 and a.r1_steps > 0:
            step(0)
        if errG is not None:
            print(f"warm-up done; last losses G {errG.item():.4f} D {errD.item():.4f}")

        # timed plain steps and R1 steps; with --interleave they alternate (plain, R1, ...)
        # so that drifting machine load hits both alike (useful on a shared CPU)
        plain, r1, plain_cpu, r1_cpu = [], [], [], []
        order = (["p"] * a.repeats + ["r"] * a.r1_steps)
        if a.interleave:
            order = []
            for i in range(max(a.repeats, a.r1_steps)):
                order += (["p"] if i < a.repeats else []) + (["r"] if i < a.r1_steps else [])
        for kind in order:
            if kind == "p":
                gs = next_plain(gs)
                dt, (gs, errG, errD) = timed(gs, plain_cpu)
                plain.append(dt)
            else:
                dt, _ = timed(0, r1_cpu)
                r1.append(dt)
        cycles = []
        for _ in range(a.cycles):
            sync(device)
            t0 = time.perf_counter()
            for g in range(lazy):  # g == 0 -> R1 step, then lazy_reg-1 plain steps
                step(g)
            sync(device)
            cycles.append(time.perf_counter() - t0)

        tr = {"plain_step_s": summarize(plain),
              "r1_step_s": summarize(r1) if r1 else None,
              "cycle_steps": lazy,
              "cycle_s": summarize(cycles) if cycles else None,
              "interleaved": bool(a.interleave),
              "plain_step_process_cpu_s": summarize(plain_cpu),
              "r1_step_process_cpu_s": summarize(r1_cpu) if r1_cpu else None,
              "train_matmul_tf32": bool(a.train_matmul_tf32),
              "tf32_flags": tf32_flags()}
        if cycles:
            tr["images_per_second_cycle"] = a.train_batch * lazy / statistics.median(cycles)
        tr["images_per_second_plain"] = a.train_batch / statistics.median(plain)
        if r1:
            tr["r1_overhead_s"] = statistics.median(r1) - statistics.median(plain)
            tr["predicted_cycle_s"] = statistics.median(r1) + (lazy - 1) * statistics.median(plain)
            tr["r1_over_plain_ratio"] = statistics.median(r1) / statistics.median(plain)
            tr["r1_over_plain_ratio_process_cpu"] = (statistics.median(r1_cpu)
                                                     / statistics.median(plain_cpu))
        if device.type == "cuda":
            tr["max_memory_allocated_GiB"] = torch.cuda.max_memory_allocated(device) / 2**30
        if errG is not None:
            tr["final_losses"] = {"G": float(errG.item()), "D": float(errD.item())}
        res["train"] = tr
        set_matmul_tf32(default_flags["cuda.matmul.allow_tf32"] is True)

        p = tr["plain_step_s"]
        print(f"train batch {a.train_batch} {tr['tf32_flags']}:")
        print(f"  plain step : {p['median']:.4f} s median (min {p['min']:.4f}; "
              f"runs {[round(x, 4) for x in p['runs']]})")
        if r1:
            q = tr["r1_step_s"]
            print(f"  R1 step    : {q['median']:.4f} s median (min {q['min']:.4f}; "
                  f"runs {[round(x, 4) for x in q['runs']]}); R1 overhead "
                  f"{tr['r1_overhead_s']:.4f} s, ratio {tr['r1_over_plain_ratio']:.3f}")
        if device.type == "cpu":
            print(f"  process CPU time (all threads): plain "
                  f"{tr['plain_step_process_cpu_s']['median']:.3f} s"
                  + (f", R1 {tr['r1_step_process_cpu_s']['median']:.3f} s, ratio R1/plain "
                     f"{tr['r1_over_plain_ratio_process_cpu']:.3f}" if r1 else ""))
        if cycles:
            c = tr["cycle_s"]
            print(f"  {lazy}-step cycle (1 R1 + {lazy-1} plain): {c['median']:.4f} s "
                  f"(runs {[round(x, 4) for x in c['runs']]}) -> "
                  f"{tr['images_per_second_cycle']:.1f} images/s"
                  + (f"; predicted from medians {tr['predicted_cycle_s']:.4f} s" if r1 else ""))
        if device.type == "cuda":
            print(f"  max_memory_allocated: {tr['max_memory_allocated_GiB']:.3f} GiB")

    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2, default=str)
        print(f"wrote {a.json}")


if __name__ == "__main__":
    main()
