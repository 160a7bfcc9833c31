#!/usr/bin/env bash
# Runs bench/gpu/webgpu-node.ts on the GPU machine from what bench/gpu/build.sh put in .gpu/ (carried
# there; the machine has no node and no network). Prints diagnostics first, so that one run says why
# Dawn found no adapter if it finds none. Extra arguments go to the benchmark (e.g. --quick).
# Results: $OUT/gpu-webgpu-node.json and $OUT/log.txt (here: /tmp/gpu-out).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
G=$PWD/.gpu
T0=$(date +%s)
section() { echo; echo "=== $* (t=$(($(date +%s) - T0)) s)"; }

section setup
[ -x /tmp/rmlab-node ] || gunzip -c "$G/node.gz" >/tmp/rmlab-node && chmod +x /tmp/rmlab-node
[ -f "$G/webgpu/dist/linux-x64/dawn.node" ] || gunzip -k "$G/webgpu/dist/linux-x64/dawn.node.gz"
NODE=/tmp/rmlab-node
$NODE --version || { echo "node does not run here"; exit 2; }
# The device README's recipe: the Vulkan loader and glvnd (libGLdispatch, libEGL, ...) unpacked into /.
for f in "$G"/*.deb; do dpkg -x "$f" /; done
ldconfig
ICD0=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
EGL0=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$ICD0" ] && export VK_DRIVER_FILES=$ICD0 VK_ICD_FILENAMES=$ICD0
[ -f "$EGL0" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$EGL0
env | grep -E '^(VK_|__EGL|LD_LIB)' || true

section diagnostics
nvidia-smi -L
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
grep PRETTY /etc/os-release
uname -r
nproc
ls -la /usr/local/nvidia /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1 | head -40
ICDS=$(find /usr/local/nvidia /usr/share /etc /usr/lib /opt -name 'nvidia_icd*.json' 2>/dev/null | head -5)
echo "nvidia ICD files: ${ICDS:-none}"
for f in $ICDS; do cat "$f"; done
ldconfig -p | grep -E 'libvulkan|GLX_nvidia|nvidia-glcore|nvidia-glvkspirv|libEGL_nvidia' | head
find / -xdev \( -name 'libGLX_nvidia.so*' -o -name 'libnvidia-glvkspirv*' \) 2>/dev/null | head -5
find /usr/local/nvidia -maxdepth 3 -name 'libGLX_nvidia.so*' 2>/dev/null | head -3
ldconfig -p | grep -E 'libGLdispatch|libEGL.so|libGLX.so|libvulkan' | head
echo '--- ldd libGLX_nvidia.so.0'
ldd /usr/local/nvidia/lib64/libGLX_nvidia.so.0
ls -la /dev/nvidia* /dev/dri 2>&1 | head -20
ls /usr/local/nvidia/share/glvnd/egl_vendor.d/ /usr/share/glvnd/egl_vendor.d/ 2>&1

section probe
export WEBGPU_MODULE=$G/webgpu/index.js
probe() { timeout 60 $NODE "$G/bench.mjs" --probe --out /tmp/probe.json; }
if probe; then
  echo "ADAPTER: found with the default environment (Vulkan)"
else
  echo "--- no adapter; the loader's log"
  VK_LOADER_DEBUG=error,warn,driver probe 2>&1 | grep -v LAYER | head -40
  echo "--- what the dynamic linker loads (nvidia, GL, errors)"
  LD_DEBUG=libs probe 2>&1 | grep -iE 'nvidia|GLdispatch|libEGL|libGLX|error|fatal|cannot' | grep -v 'search path' | head -60
  if DAWN_OPTS=backend=vulkan probe >/dev/null 2>&1; then
    export DAWN_OPTS=backend=vulkan
    echo "ADAPTER: found with backend=vulkan"
  else
    echo "--- Vulkan failed; Dawn's OpenGL ES backend on EGL (compatibility feature level)"
    export EGL_PLATFORM=surfaceless
    if DAWN_OPTS=backend=opengles WEBGPU_FEATURE_LEVEL=compatibility EGL_LOG_LEVEL=warning probe; then
      export DAWN_OPTS=backend=opengles WEBGPU_FEATURE_LEVEL=compatibility
      echo "ADAPTER: found with backend=opengles, compatibility"
    elif EGL_PLATFORM=device DAWN_OPTS=backend=opengles WEBGPU_FEATURE_LEVEL=compatibility probe; then
      export EGL_PLATFORM=device DAWN_OPTS=backend=opengles WEBGPU_FEATURE_LEVEL=compatibility
      echo "ADAPTER: found with backend=opengles, EGL_PLATFORM=device, compatibility"
    else
      echo "NO WEBGPU ADAPTER: the benchmark runs on wasm alone"
    fi
  fi
fi

section benchmark
timeout "${BENCH_TIMEOUT:-270}" $NODE "$G/bench.mjs" --out "$OUT/gpu-webgpu-node.json" "$@"
echo "benchmark exit code $?"
nvidia-smi --query-gpu=name,utilization.gpu,memory.used --format=csv,noheader
section done
