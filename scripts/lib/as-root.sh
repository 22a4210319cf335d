# shellcheck shell=bash
# Run one privileged step of a demo: directly when root, else through sudo,
# shown before it runs. Everything else of the demo (cargo, the files it
# writes) stays the user's. The variables that the course's scripts read
# are passed on, since sudo resets the environment.
# Sourced by scripts/cluster-demo and scripts/slurm/demo; needs $prog.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
    return
  fi
  if ! command -v sudo >/dev/null 2>&1; then
    printf '%s: error: %s needs root, and sudo is not installed: run it as root\n' "${prog:-$0}" "$(basename "$1")" >&2
    exit 2
  fi
  local name pass=(PATH="$PATH")
  for name in MPI MPICC P2P LAUNCH MPI_WATCH_SECS MPI_WATCH_TRACE MPI_WATCH_LIB VIRTUAL_CLUSTER_STATE SLURM_LOCAL_STATE; do
    if [ -n "${!name:-}" ]; then pass+=("$name=${!name}"); fi
  done
  printf '+ sudo %s\n' "$*" >&2
  sudo -- env "${pass[@]}" "$@"
}
