"""Writes the interop test fixtures next to this script (run by hand: /usr/bin/python3 make_interop_fixtures.py).

Normal files: a torch.save state dict (several dtypes, a non-contiguous view, two views of one storage, nested
dicts, `module.` keys), a checkpoint shaped like the official DDGAN `content` dict, a legacy (non-zip) torch.save
file, and a safetensors file written by hand from the format description (the `safetensors` package is not
installed here). What Python saw goes to expected.json.

Hostile files: pickles that would run code (os.system, builtins.eval), a 100,000-deep list, a huge declared string
length, a storage with fewer bytes than it declares, and a truncated zip. The code-running payloads touch the file
named by $LDDGAN_INTEROP_MARKER, and this script checks with torch.load that they really do so under PyTorch.
"""
import argparse
import collections
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER_COMMAND = 'touch "${LDDGAN_INTEROP_MARKER:-/dev/null}"'


def path(name):
    return os.path.join(HERE, name)


def describe(t):
    """What the C# tests compare: dtype, shape, strides, storage offset, sum and the first elements (row-major)."""
    flat = t.detach().reshape(-1)
    as_double = flat.to(torch.float64)
    return {
        "dtype": str(t.dtype).replace("torch.", ""),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "storage_offset": t.storage_offset(),
        "contiguous": t.is_contiguous(),
        "sum": float(as_double.sum()),
        "first": [float(v) for v in as_double[:6]],
    }


def state_dict_fixture():
    g = torch.Generator().manual_seed(7)
    base = torch.arange(12, dtype=torch.float32) * 0.5 - 1.0
    matrix = torch.randn(3, 4, generator=g)
    sd = collections.OrderedDict()
    sd["module.conv.weight"] = torch.randn(2, 3, 2, 2, generator=g)
    sd["module.conv.bias"] = torch.randn(2, generator=g)
    sd["float64"] = torch.randn(5, generator=g, dtype=torch.float64)
    sd["float16"] = torch.randn(2, 3, generator=g).half()
    sd["bfloat16"] = torch.randn(4, generator=g).bfloat16()
    sd["int64"] = torch.tensor([-3, 0, 2**40, 7], dtype=torch.int64)
    sd["int32"] = torch.tensor([[1, -2], [3, -2**31]], dtype=torch.int32)
    sd["int16"] = torch.tensor([-300, 300], dtype=torch.int16)
    sd["int8"] = torch.tensor([-128, 5, 127], dtype=torch.int8)
    sd["uint8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["transposed"] = matrix.t()                      # strides (1, 4): not contiguous
    sd["shared_a"] = base[0:6].view(2, 3)              # storage offset 0
    sd["shared_b"] = base[4:10]                        # same storage, offset 4 (overlaps shared_a)
    sd["nested"] = {"inner": collections.OrderedDict(w=torch.ones(2, 2) * 3, deeper={"b": torch.full((3,), -1.5)})}
    torch.save(sd, path("state_dict.pt"))
    loaded = torch.load(path("state_dict.pt"))
    assert loaded["shared_a"].storage().data_ptr() == loaded["shared_b"].storage().data_ptr()
    flat = {}
    for key, value in loaded.items():
        if key == "nested":
            flat["nested.inner.w"] = describe(value["inner"]["w"])
            flat["nested.inner.deeper.b"] = describe(value["inner"]["deeper"]["b"])
        else:
            flat[key] = describe(value)
    return {"keys": list(flat.keys()), "tensors": flat}


class TinyGenerator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3, padding=1)
        self.norm = torch.nn.GroupNorm(2, 4)
        self.dense = torch.nn.Linear(4, 2)


class TinyDiscriminator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.main = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.LeakyReLU(0.2), torch.nn.Linear(5, 1))


def ddgan_fixture():
    torch.manual_seed(11)
    net_g, net_d = TinyGenerator(), TinyDiscriminator()
    opt_g = torch.optim.Adam(net_g.parameters(), lr=1.6e-4, betas=(0.5, 0.9))
    sched_g = torch.optim.lr_scheduler.CosineAnnealingLR(opt_g, 1200, eta_min=1e-5)
    loss = net_g.dense(net_g.norm(net_g.conv(torch.randn(1, 2, 4, 4))).mean((2, 3))).sum()
    loss.backward()
    opt_g.step()
    sched_g.step()
    args = argparse.Namespace(seed=1024, dataset="cifar10", image_size=32, num_channels=3, centered=True,
                              ch_mult=[1, 2, 2, 2], attn_resolutions=(16,), dropout=0.0, lr_g=1.6e-4,
                              beta_min=0.1, beta_max=20.0, nz=100, num_timesteps=4, exp="ddgan_tiny",
                              resume=False, not_use_tanh=False, r1_gamma=0.02, lazy_reg=15, note=None)
    content = {"epoch": 3, "global_step": 12, "args": args,
               "netG_dict": net_g.state_dict(), "optimizerG": opt_g.state_dict(),
               "schedulerG": sched_g.state_dict(), "netD_dict": net_d.state_dict()}
    torch.save(content, path("ddgan_content.pth"))
    loaded = torch.load(path("ddgan_content.pth"))
    assert vars(loaded["args"]) == vars(args)
    opt_state = loaded["optimizerG"]
    return {
        "epoch": loaded["epoch"],
        "global_step": loaded["global_step"],
        "args": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(loaded["args"]).items()},
        "args_tuple_keys": [k for k, v in vars(loaded["args"]).items() if isinstance(v, tuple)],
        "netG_dict": {k: describe(v) for k, v in loaded["netG_dict"].items()},
        "netD_dict": {k: describe(v) for k, v in loaded["netD_dict"].items()},
        "optimizerG": {
            "lr": opt_state["param_groups"][0]["lr"],
            "betas": list(opt_state["param_groups"][0]["betas"]),
            "params": opt_state["param_groups"][0]["params"],
            "state0_step": float(opt_state["state"][0]["step"]),
            "state0_exp_avg": describe(opt_state["state"][0]["exp_avg"]),
        },
        "schedulerG": {"T_max": loaded["schedulerG"]["T_max"], "eta_min": loaded["schedulerG"]["eta_min"],
                       "last_epoch": loaded["schedulerG"]["last_epoch"], "_last_lr": loaded["schedulerG"]["_last_lr"]},
    }


def legacy_fixture():
    torch.save({"w": torch.ones(2)}, path("legacy_format.pt"), _use_new_zipfile_serialization=False)


# ---------------------------------------------------------------- hostile files

class RunsShell:
    def __reduce__(self):
        return (os.system, (MARKER_COMMAND,))


class RunsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system(%r)" % MARKER_COMMAND,))


def check_payload_really_runs(file_name):
    """Loads the file with the real torch.load in a child process and checks that the marker appears."""
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "marker")
        code = "import torch, sys; torch.load(sys.argv[1])"
        subprocess.run([sys.executable, "-c", code, path(file_name)], check=True,
                       env=dict(os.environ, LDDGAN_INTEROP_MARKER=marker), stdout=subprocess.DEVNULL)
        assert os.path.exists(marker), f"{file_name}: payload did not run under torch.load"


def write_torch_like_zip(file_name, pickle_bytes, storages=None):
    """A zip laid out as torch.save does (<root>/data.pkl, <root>/data/<key>, <root>/version)."""
    root = os.path.splitext(file_name)[0]
    with zipfile.ZipFile(path(file_name), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{root}/data.pkl", pickle_bytes)
        for key, data in (storages or {}).items():
            z.writestr(f"{root}/data/{key}", data)
        z.writestr(f"{root}/version", "3\n")


def deep_list_pickle(levels):
    # PROTO 2, `levels` EMPTY_LISTs, then APPENDs that nest each into the one below it, STOP.
    return b"\x80\x02" + b"]" * levels + b"a" * (levels - 1) + b"."


def huge_string_pickle():
    # PROTO 2, BINUNICODE declaring 0xFFFFFFF0 bytes but followed by 5, STOP.
    return b"\x80\x02X" + struct.pack("<I", 0xFFFFFFF0) + b"hello."


def short_storage_fixture():
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(4, dtype=torch.float32)}, buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path("hostile_short_storage.pt"), "w", zipfile.ZIP_STORED) as z:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("/data/0"):
                data = data[:8]                          # 2 of the 4 declared float32 elements
            z.writestr(info.filename.replace("archive/", "hostile_short_storage/"), data)


def hostile_fixtures():
    torch.save({"payload": RunsShell()}, path("hostile_os_system.pt"))
    check_payload_really_runs("hostile_os_system.pt")
    torch.save({"payload": RunsEval()}, path("hostile_eval.pt"))
    check_payload_really_runs("hostile_eval.pt")
    write_torch_like_zip("hostile_deep_list.pt", deep_list_pickle(100_000))
    write_torch_like_zip("hostile_huge_string.pt", huge_string_pickle())
    short_storage_fixture()
    with open(path("state_dict.pt"), "rb") as f:
        whole = f.read()
    with open(path("hostile_truncated.pt"), "wb") as f:
        f.write(whole[: len(whole) // 2])


# ---------------------------------------------------------------- safetensors, by hand from the format description

SAFETENSORS_DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                      torch.uint8: "U8", torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def safetensors_fixture():
    g = torch.Generator().manual_seed(3)
    tensors = {
        "encoder.weight": torch.randn(3, 2, generator=g),
        "encoder.bias": torch.randn(3, generator=g, dtype=torch.float64),
        "half": torch.randn(2, 2, generator=g).half(),
        "brain": torch.randn(3, generator=g).bfloat16(),
        "steps": torch.tensor([1, -2, 3], dtype=torch.int64),
        "mask": torch.tensor([[True, False], [False, True]]),
        "bytes": torch.tensor([1, 2, 250], dtype=torch.uint8),
        "empty": torch.zeros(0, 4),
        "scalar": torch.tensor(-7, dtype=torch.int32),
    }
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = raw_bytes(tensors[name])
        header[name] = {"dtype": SAFETENSORS_DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "source": "make_interop_fixtures.py"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)                       # the reference pads the header to 8 bytes
    with open(path("python_written.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    return {"metadata": header["__metadata__"], "tensors": {k: describe(v) for k, v in tensors.items()}}


def main():
    expected = {
        "torch_version": torch.__version__,
        "state_dict": state_dict_fixture(),
        "ddgan_content": ddgan_fixture(),
        "safetensors": safetensors_fixture(),
    }
    legacy_fixture()
    hostile_fixtures()
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=False)
        f.write("\n")
    total = sum(os.path.getsize(path(n)) for n in os.listdir(HERE) if not n.endswith(".py"))
    print(f"fixtures written to {HERE}: {total} bytes")


if __name__ == "__main__":
    main()
