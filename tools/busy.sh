# Sourced by restbench.sh and mcpbench.sh (which define PIDS and kill it on exit).
# BUSY=1: one SCHED_IDLE spinner per core for the whole run, so the cores never sit in an
# idle state (as on a server with other work to do): at c = 1 this VM's wake-up from idle
# otherwise dominates every latency (BENCHMARKS.md "Server instructions per request"). The
# spinners yield to every other process at once and their CPU is nobody's "server CPU".
if [ "${BUSY:-0}" = 1 ]; then
  for _ in $(seq "$(nproc)"); do chrt -i 0 sh -c 'while :; do :; done' & PIDS+=($!); done
fi
