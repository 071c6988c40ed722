#!/usr/bin/env bash
# Builds one archive that runs lddgan on a Linux x64 machine with an NVIDIA GPU and PyTorch, without .NET:
# a self-contained publish (the .NET runtime inside) of the external-libtorch build (no libtorch inside: at start-up
# lddgan loads the libtorch of the PyTorch that python3 finds, or of LDDGAN_LIBTORCH), plugins included.
#
#   scripts/bundle-linux-gpu.sh [archive]      (default: artifacts/lddgan-linux-x64-gpu.tar.xz)
#
# There:  tar xf lddgan-linux-x64-gpu.tar.xz && ./lddgan/lddgan info
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${1:-artifacts/lddgan-linux-x64-gpu.tar.xz}
stage=artifacts/bundle
rm -rf "$stage" && mkdir -p "$stage"

# Plugins are built (and staged under artifacts/plugins) by the CLI's project references.
dotnet publish host/LddGan.Cli/LddGan.Cli.csproj -c Release -r linux-x64 --self-contained \
  -p:TorchBackend=external -p:InvariantGlobalization=true -p:DebugType=none -p:GenerateDocumentationFile=false \
  -o "$stage/lddgan" --nologo -v quiet

# The published folder gets the plugins the build staged (the CLI copies them only into its build output).
rm -rf "$stage/lddgan/plugins" && mkdir -p "$stage/lddgan/plugins"
cp -r artifacts/plugins/Release/. "$stage/lddgan/plugins/"
find "$stage/lddgan" \( -name '*.pdb' -o -name '*.xml' \) -delete

if find "$stage/lddgan" -name 'libtorch_cpu.so' | grep -q .; then
  echo "bundle: a libtorch native slipped into the bundle; it must hold none" >&2
  exit 1
fi
mkdir -p "$(dirname "$archive")"
tar -C "$stage" -cf - lddgan | xz -T0 -6 > "$archive"
echo "bundle: $archive ($(du -h "$archive" | cut -f1); unpacked $(du -sh "$stage/lddgan" | cut -f1))"
