# Builds the eBPF programs and the libbpf loader (bpf/.output/warden-loader) for the kernel tests and the agent
# benchmark. Sourced by scripts/setup.sh (bash, set -euo pipefail, root). The apt packages come from setup.sh.
if [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "setup.d/bpf: /sys/kernel/btf/vmlinux is missing: the kernel has no BTF, the eBPF tests will fail" >&2
else
  make -s -C bpf
fi
