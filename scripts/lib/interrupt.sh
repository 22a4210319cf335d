# shellcheck shell=bash
# Ctrl-C that always takes effect. Bash runs an INT trap for a signal that
# came while it waited on a command only if that command died of SIGINT
# too. A command that catches SIGINT and exits (ssh), or that sits in a
# process group of its own (timeout), makes bash go on as if nothing had
# happened. So:
#   on_interrupt 'undo steps'   the steps run on SIGINT or SIGTERM; then the
#                               script dies of that same signal, so that
#                               whatever started it sees it was interrupted
#   interruptible CMD ARGS...   runs a command that may catch SIGINT; a
#                               Ctrl-C meanwhile ends it and runs the trap
#   no_interrupt                removes the trap
# Sourced by the scripts that build something in steps.

_interrupted_child=

interruptible() {
  # In the background, so that bash's 'wait' returns at once on a trapped
  # signal. Its SIGINT is ignored there: the trap ends it.
  "$@" &
  _interrupted_child=$!
  local status=0
  wait "$_interrupted_child" || status=$?
  _interrupted_child=
  return "$status"
}

_on_signal() {
  local signal=$1 steps=$2
  trap - ERR INT TERM
  if [ -n "$_interrupted_child" ]; then
    kill "$_interrupted_child" 2>/dev/null || true
    wait "$_interrupted_child" 2>/dev/null || true
  fi
  eval "$steps"
  kill -s "$signal" "$$"
  exit 130 # not reached unless the signal was blocked
}

on_interrupt() {
  local steps=$1
  # shellcheck disable=SC2064 # the steps are fixed now, on purpose
  trap "_on_signal INT $(printf '%q' "$steps")" INT
  # shellcheck disable=SC2064
  trap "_on_signal TERM $(printf '%q' "$steps")" TERM
}

no_interrupt() {
  trap - INT TERM
}
