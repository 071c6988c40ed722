#!/usr/bin/env bash
# Usage: scripts/output-hashes.sh <checkout with a Release build> <scratch folder>. Compare the output before and after a change that must keep outputs identical.
# Prints hashes of what must stay identical: samples of every shipped checkpoint, and a fixed-seed quick run's final weights.
set -euo pipefail
cd "$1"; out=$2; mkdir -p "$out"
CLI=host/LddGan.Cli/bin/Release/net10.0/lddgan
for c in ddgan-fashion-mnist wddgan-fashion-mnist lddgan-fashion-mnist; do
  $CLI sample recipes/pretrained/$c.ckpt --n 64 --seed 7 -o $out/$c.png > /dev/null
  echo "$c sample: $(sha256sum < $out/$c.png | cut -c1-16)"
done
rm -rf $out/quick
$CLI train recipes/ddgan-quick.toml -o $out/quick > $out/quick.log 2>&1
python3 - "$out/quick/checkpoints/latest.ckpt" <<'PY'
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for info in z.infolist():
    data = z.read(info.filename)
    if info.filename == "meta.json":
        meta = json.loads(data); meta.pop("created", None); meta.pop("Created", None)
        data = json.dumps(meta, sort_keys=True).encode()
    print(f"quick {info.filename}: {hashlib.sha256(data).hexdigest()[:16]}")
PY
echo "quick final.png: $(sha256sum < $out/quick/samples/final.png | cut -c1-16)"
