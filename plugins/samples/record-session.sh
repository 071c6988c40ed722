#!/usr/bin/env bash
# Records the third-party plugin experience end to end (docs/plugin-session.log): pack the SDK, `dotnet new` the
# template, build the U-ViT sample outside the solution from the packages, drop both into a plugin folder, train and
# sample with U-ViT, then rebuild it with a change while `lddgan watch` runs and see the new version used, no restart.
# Run from the repository root after `dotnet build -c Release host/LddGan.Cli`:
#   plugins/samples/record-session.sh > docs/plugin-session.log
# The plugin projects are built in a scratch folder outside the repository (so that the repository's Directory.Build.*
# files do not apply to them): $SESSION_DIR, or a new temporary folder. The record names paths relative to the
# repository root (./...) and the scratch folder as $SESSION_DIR, so it does not depend on where either lies.
set -euo pipefail
R=$PWD
S=${SESSION_DIR:-$(mktemp -d -t lddgan-session.XXXXXX)}
L=$R/host/LddGan.Cli/bin/Release/net10.0/lddgan
rm -rf "$S"; mkdir -p "$S/plugins"
run() { echo; echo "\$ $*"; "$@"; }

main() {

run dotnet pack LddGan.Framework.sln -c Release -v q -nologo
run ls artifacts/packages
run dotnet new install plugins/templates/lddgan-backbone --force
run dotnet new lddgan-backbone -n MyNet --sdk-source "$R/artifacts/packages" -o "$S/MyNet"
run dotnet build "$S/MyNet" -c Release -v q -nologo -p:LddGanPluginFolder="$S/plugins"

# The U-ViT sample, copied out of the repository and built only from the packages.
cp -r plugins/samples/UVit "$S/UVit"; rm -rf "$S/UVit/bin" "$S/UVit/obj"
sed -i "s|../../../artifacts/packages|$R/artifacts/packages|" "$S/UVit/NuGet.config"
run dotnet build "$S/UVit" -c Release -v q -nologo -p:LddGanPluginFolder="$S/plugins"
run find "$S/plugins" -type f
run "$L" plugins --plugins "$S/plugins"

# A recipe that leaves U-ViT's depth at its default, so a change of the default shows in the parameter count.
grep -v '^depth' "$S/UVit/uvit-fashion-mnist-quick.toml" > "$S/uvit.toml"
run "$L" train "$S/uvit.toml" --plugins "$S/plugins" -o "$S/run-train" --max-steps 10
run "$L" sample "$S/run-train" --n 16 --out "$S/grid.png" --plugins "$S/plugins"

echo; echo "\$ $L watch $S/uvit.toml --plugins $S/plugins --max-steps 5 --max-runs 2 -o $S/watch &"
"$L" watch "$S/uvit.toml" --plugins "$S/plugins" --max-steps 5 --max-runs 2 -o "$S/watch" > "$S/watch.log" 2>&1 &
WATCH=$!
until grep -q "run 1 done\|run 1 failed\|not started" "$S/watch.log"; do sleep 1; done
echo "(the watch host has finished run 1; now change U-ViT: depth default 6 → 4, version 1.0.0 → 1.1.0, and rebuild)"
run sed -i 's/public int Depth { get; init; } = 6;/public int Depth { get; init; } = 4;/' "$S/UVit/UVitOptions.cs"
run sed -i 's|<Version>1.0.0</Version>|<Version>1.1.0</Version>|' "$S/UVit/LddGan.Samples.UVit.csproj"
run sed -i 's/Version = "1.0.0"/Version = "1.1.0"/' "$S/UVit/UVitFactory.cs"
run dotnet build "$S/UVit" -c Release -v q -nologo -p:LddGanPluginFolder="$S/plugins"
wait $WATCH
echo; echo "--- output of the watch host (one process, never restarted) ---"
cat "$S/watch.log"
run grep -A3 '"Name": "LddGan.Samples.UVit"' "$S/watch/run-001/run.json" "$S/watch/run-002/run.json"
}

# Everything printed (the commands and their output) names the scratch folder as $SESSION_DIR and the repository root as .
main 2>&1 | sed -e "s|$S|\$SESSION_DIR|g" -e "s|$R/|./|g" -e "s|$R|.|g"
