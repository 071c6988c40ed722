#!/usr/bin/env bash
# One self-contained training job for a Linux GPU machine that has PyTorch but no .NET and no network (see the README's
# "Run on a GPU"): trains recipes side by side for a fixed time, then exports, evaluates and samples each there, since
# a full training checkpoint is too large to bring back. Everything it writes goes to $OUT (default artifacts/gpu-out).
#
# Here, once (the bundle and Fashion-MNIST as raw IDX files, xz-compressed; together about 60 MiB):
#   scripts/bundle-linux-gpu.sh && scripts/gpu-quality-run.sh --pack
# There, from the repository root, with artifacts/lddgan-linux-x64-gpu.tar.xz and artifacts/fashion-mnist.tar.xz:
#   scripts/gpu-quality-run.sh MINUTES RECIPE...        e.g. 6 recipes/lddgan-fashion-mnist-gpu.toml
# Per recipe NAME, $OUT gets NAME.tar: the exported best checkpoint (else the latest), eval.json (n = 10,000),
# grid.png (64 samples, seed 0), metrics.jsonl, run.json and the training log; and info.txt (`lddgan info`).
# To try it on a machine without a GPU: DEVICE=cpu LDDGAN=<an lddgan build> EVAL_N=200 (no bundle needed then).
# Or with the bundle itself on a CPU machine: LDDGAN_LIBTORCH=<the native folder of the libtorch-cpu NuGet package>
# LDDGAN_LIBTORCH_UNTESTED=1 (it has no version.py) DEVICE=cpu EVAL_N=100 (tried: 1 min 26 s for one recipe, a 6.9 MB tar).
set -euo pipefail
cd "$(dirname "$0")/.."
data_archive=artifacts/fashion-mnist.tar.xz
bundle=artifacts/lddgan-linux-x64-gpu.tar.xz

if [ "${1:-}" = --pack ]; then
  src=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
  tmp=$(mktemp -d)
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [ -f "$src/$f.gz" ]; then gunzip -c "$src/$f.gz" > "$tmp/$f"; else cp "$src/$f" "$tmp/$f"; fi
  done
  mkdir -p artifacts
  tar -C "$tmp" -cf - . | xz -T0 -9 > "$data_archive"
  rm -rf "$tmp"
  echo "gpu-quality-run: $data_archive ($(du -h "$data_archive" | cut -f1))"
  exit 0
fi

minutes=${1:?usage: gpu-quality-run.sh MINUTES RECIPE... (or --pack)}
shift
[ $# -gt 0 ] || { echo "gpu-quality-run: name at least one recipe" >&2; exit 2; }
[ -n "${LDDGAN:-}" ] && bundle=""
for f in $bundle "$data_archive" "$@"; do
  [ -f "$f" ] || { echo "gpu-quality-run: $f not found (make the archives here with scripts/bundle-linux-gpu.sh and --pack)" >&2; exit 2; }
done
out=${OUT:-artifacts/gpu-out}
work=${WORK:-$(mktemp -d)}
mkdir -p "$out" "$work/data" "$work/runs"

# python3 is there (it brings the libtorch lddgan loads); xz may not be.
unpack() { python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; }
unpack "$data_archive" "$work/data"
[ -n "$bundle" ] && unpack "$bundle" "$work"
lddgan=${LDDGAN:-$work/lddgan/lddgan}
"$lddgan" info > "$out/info.txt" 2>&1 || { cat "$out/info.txt" >&2; exit 1; }

# Each recipe as it is, but on this machine's device and data; then all trainings at once (one GPU, several processes:
# at these sizes a training is bound by kernel launches, not by the GPU's arithmetic).
names=()
for recipe in "$@"; do
  name=$(basename "$recipe" .toml)
  names+=("$name")
  sed -e "s/^device = .*/device = \"${DEVICE:-cuda}\"/" -e '/^threads = /d' \
      -e "/^\[data\]/a path = \"$work/data\"" "$recipe" > "$work/$name.toml"
  mkdir -p "$work/out/$name"
  timeout -s INT "${minutes}m" "$lddgan" train "$work/$name.toml" -o "$work/runs/$name" > "$work/out/$name/train.log" 2>&1 &
done
wait || true   # a run stopped by the time limit saves its checkpoint and exits non-zero

for name in "${names[@]}"; do
  run=$work/runs/$name
  dest=$work/out/$name
  checkpoint=$run/checkpoints/best.ckpt
  [ -f "$checkpoint" ] || checkpoint=$run/checkpoints/latest.ckpt
  if [ -f "$checkpoint" ]; then
    autoencoder=$(sed -n 's/^checkpoint = "\(.*\)".*/\1/p' "$work/$name.toml" | head -1)
    "$lddgan" export "$checkpoint" -o "$dest/$name.ckpt" ${autoencoder:+--autoencoder "$autoencoder"} >> "$dest/train.log" 2>&1 || true
    "$lddgan" eval "$dest/$name.ckpt" --n "${EVAL_N:-10000}" -o "$dest/eval.json" >> "$dest/train.log" 2>&1 || true
    "$lddgan" sample "$dest/$name.ckpt" --n 64 --seed 0 --out "$dest/grid.png" >> "$dest/train.log" 2>&1 || true
  fi
  cp "$run"/metrics.jsonl "$run"/run.json "$dest/" 2>/dev/null || true
  tar -C "$work/out" -cf "$out/$name.tar" "$name"
  echo "gpu-quality-run: $out/$name.tar ($(du -h "$out/$name.tar" | cut -f1))"
  tail -3 "$dest/train.log"
done
