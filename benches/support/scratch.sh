# Sourced by the bench scripts: a scratch directory to work in, removed on
# exit together with every process whose pid the script appends to PIDS,
# and an environment in which nothing of the user's is read or written —
# an empty config, a scratch data dir, no .env (the working directory is
# the scratch dir), no RUST_LOG.
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export YAT_CONFIG=$WORK/provider_config.json YAT_DATA_DIR=$WORK/data
unset RUST_LOG
