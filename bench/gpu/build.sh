#!/usr/bin/env bash
# Builds .gpu/ (ignored through .git/info/exclude, never .gitignore): everything the device machine
# needs to run bench/gpu/webgpu-node.ts without npm or a network:
#   bench.mjs        the benchmark, bundled with tfjs, the tokenizer and src/core (esbuild)
#   *.wasm           tfjs-backend-wasm's binaries, found beside the bundle
#   webgpu/          the npm package webgpu@0.6.2, linux-x64 only (index.js, package.json, dawn.node.gz)
#   node.gz          this machine's node, stripped (the device image has none)
#   libvulkan1*.deb  the Vulkan loader (dawn.node dlopens libvulkan.so.1)
# Then run on the device: bash bench/gpu/device.sh (see there), carrying .gpu (about 46 MB).
# Delete .gpu afterwards: `prettier --check .` does not read .git/info/exclude and fails on it.
# Locally, a smoke test of the WebGPU path without a GPU (Mesa's llvmpipe through Dawn's GL backend):
#   EGL_PLATFORM=surfaceless DAWN_OPTS=backend=opengles WEBGPU_FEATURE_LEVEL=compatibility \
#     OUT=/tmp/gpu-out bash bench/gpu/device.sh --quick --backends webgpu
set -euo pipefail
cd "$(dirname "$0")/../.."
G=.gpu
grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >>.git/info/exclude
mkdir -p "$G"

node_modules/.bin/esbuild bench/gpu/webgpu-node.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$G/bench.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url); import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$G/"

if [ ! -f "$G/webgpu/dist/linux-x64/dawn.node.gz" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent webgpu@0.6.2 >/dev/null && tar xzf webgpu-0.6.2.tgz)
  mkdir -p "$G/webgpu/dist/linux-x64"
  cp "$tmp/package/index.js" "$tmp/package/package.json" "$G/webgpu/"
  gzip -9c "$tmp/package/dist/linux-x64/dawn.node" >"$G/webgpu/dist/linux-x64/dawn.node.gz"
  rm -rf "$tmp"
fi
if [ ! -f "$G/node.gz" ]; then
  strip -o "$G/node" "$(command -v node)" && gzip -9 "$G/node"
fi
ls "$G"/libvulkan1_*_amd64.deb >/dev/null 2>&1 || (cd "$G" && apt-get download libvulkan1:amd64)
du -sh "$G"
