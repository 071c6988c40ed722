#!/usr/bin/env bash
# Puts the official DDGAN sources (NVlabs/denoising-diffusion-gan) into ref/ beside this script, patched so that
# their custom CUDA ops are never compiled and every tensor takes the official pure-PyTorch upfirdn2d / fused_act path.
#   tools/official-bench/prepare.sh <checkout or bare git dir of NVlabs/denoising-diffusion-gan>
set -euo pipefail
src=${1:?usage: prepare.sh <official repository (checkout or git dir)>}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$here/ref" && mkdir -p "$here/ref"
files="score_sde EMA.py train_ddgan.py readme.md LICENSE"
if [ -d "$src/.git" ] || [ -f "$src/HEAD" ]; then
  gitdir=$src; [ -d "$src/.git" ] && gitdir=$src/.git
  # Some mirrors lack large .npy blobs; git names them on stderr, the listed sources are unaffected.
  git --git-dir "$gitdir" archive HEAD $files 2>/dev/null | tar x -C "$here/ref" || true
else
  (cd "$src" && cp -r $files "$here/ref/")
fi
op=$here/ref/score_sde/op
rm -f "$op"/*.cu "$op"/*.cpp
for f in upfirdn2d.py fused_act.py; do
  sed -i 's/^from torch.utils.cpp_extension import load$/load = None  # PATCH(bench): the CUDA op is never built/' "$op/$f"
done
sed -i 's/^upfirdn2d_op = load(/upfirdn2d_op = None and load(/; s/^    if input.device.type == "cpu":$/    if input.device.type == "cpu" or upfirdn2d_op is None:  # PATCH(bench)/' "$op/upfirdn2d.py"
sed -i 's/^fused = load(/fused = None and load(/; s/^    if input.device.type == "cpu":$/    if input.device.type == "cpu" or fused is None:  # PATCH(bench)/' "$op/fused_act.py"
test "$(grep -c 'PATCH(bench)' "$op/upfirdn2d.py")" = 3 && test "$(grep -c 'PATCH(bench)' "$op/fused_act.py")" = 2 \
  || { echo "prepare: the official sources changed; patch score_sde/op by hand (see README.md)" >&2; exit 1; }
echo "prepare: official sources in $here/ref, CUDA ops disabled"
