# shellcheck shell=bash
# Who a privileged script works for. Run through sudo by an ordinary user,
# a script still needs root for namespaces and daemons, but the files it
# leaves for that user (keys, configurations, hostfiles) are the user's, and
# the commands it runs for them (mpirun, sbatch) run as them.
# Sourced by scripts/virtual-cluster and scripts/slurm/local-cluster.
# shellcheck disable=SC2034 # the variables are for the scripts that source this

if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_UID:-}" ] && [ "${SUDO_UID}" != 0 ]; then
  owner_uid=$SUDO_UID
  owner_gid=${SUDO_GID:-$SUDO_UID}
  owner=${SUDO_USER:-$(id -un "$SUDO_UID")}
else
  owner_uid=$(id -u)
  owner_gid=$(id -g)
  owner=$(id -un)
fi

# What to put before a command to run it as the owner: nothing when the
# owner is who runs the script, else setpriv with the owner's identity,
# groups and home. Used as: "${as_owner[@]}" COMMAND ARGS...
as_owner=()
if [ "$owner_uid" != "$(id -u)" ]; then
  as_owner=(setpriv --reuid="$owner_uid" --regid="$owner_gid" --init-groups --
    env HOME="$(getent passwd "$owner" | cut -d: -f6)" USER="$owner" LOGNAME="$owner")
fi

# Make FILES the owner's (no-op when the owner is who runs the script).
give_to_owner() {
  if [ "$owner_uid" != "$(id -u)" ]; then
    chown -R "$owner_uid:$owner_gid" "$@"
  fi
}

# Make FOLDER (and its missing parents) for the owner.
make_owned_folder() {
  local folder=$1 mode=$2 parent
  parent=$(dirname "$folder")
  if [ ! -d "$parent" ]; then
    make_owned_folder "$parent" 755
  fi
  if [ ! -d "$folder" ]; then
    install -d -m "$mode" "$folder"
    give_to_owner "$folder"
  fi
}
