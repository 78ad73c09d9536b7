#!/usr/bin/env bash
# What happens when a provider crate is built against a different yat-core
# than the program that links it — shown, not just described.
#
# It builds, in a temporary directory:
#   other-core/     a copy of this repository's yat-core, renumbered to the
#                   next minor version (stands for "a newer, incompatible
#                   yat-core")
#   legacy/         yat-provider-legacy: registers provider `legacy` against
#                   that copy
#   host/           a program on this repository's yat-core with the
#                   bundled `mock` and yat-provider-legacy
# and checks the three facts docs/PLUGINS.md states:
#   1. `use yat_provider_legacy as _;` builds, runs, and `legacy` is silently
#      missing: each yat-core copy has its own registry, and the program
#      reads only its own.
#   2. `cargo tree -d` shows the two yat-core versions side by side.
#   3. calling the provider's `link(builder)` instead turns the mismatch into
#      a compile error that says several versions of yat_core are in use.
#
# Usage: examples/version-mismatch/check.sh   (about a minute; needs crates.io
# or a warm cargo cache). Exit status 0 when all three hold.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$work/target}"
export CARGO_TERM_COLOR=never

# This repository's version (the workspace's), and the next minor after it.
ours="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml")"
IFS=. read -r major minor _ <<<"$ours"
other="$major.$((minor + 1)).0"

# -- other-core: yat-core as another version ---------------------------------
# yat-core inherits its package fields and dependency versions from the
# workspace, so the copy gets the workspace sections of the root manifest
# (everything before the facade's [package]) with only yat-core as a member.
mkdir -p "$work/other-core"
cp -r "$repo/yat-core" "$work/other-core/yat-core"
rm -rf "$work/other-core/yat-core/tests"
# yat-core's testkit feature names the fake server by path.
cp -r "$repo/yat-fakeserver" "$work/other-core/yat-fakeserver"
awk '/^\[package\]/ { exit } { print }' "$repo/Cargo.toml" \
  | sed -e 's/^members = .*/members = ["yat-core"]/' \
        -e "/^\[workspace.package\]/,/^\[/ s/^version = \".*\"/version = \"$other\"/" \
  > "$work/other-core/Cargo.toml"

# -- legacy: a provider crate built against the other yat-core ---------------
mkdir -p "$work/legacy/src"
cat > "$work/legacy/Cargo.toml" <<EOF
[package]
name = "yat-provider-legacy"
version = "1.0.0"
edition = "2021"

[dependencies]
yat-core = { path = "$work/other-core/yat-core" }
EOF
cat > "$work/legacy/src/lib.rs" <<'EOF'
use yat_core::*;

pub struct Legacy;

#[async_trait]
impl LlmProvider for Legacy {
    async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> {
        Ok(())
    }
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        Ok(vec![ModelInfo::new("legacy", "legacy-1")])
    }
    async fn stream_chat(&self, _: &ChatRequest) -> Result<ChatStream, YatError> {
        Ok(stream::from_text("legacy", vec!["hi".into()]))
    }
}

register_provider! {
    id: "legacy",
    name: "Legacy",
    constructor: || Ok(Box::new(Legacy)),
}

pub fn link(builder: manager::ManagerBuilder) -> manager::ManagerBuilder {
    builder
}
EOF

# -- host: a program on this repository's yat-core ---------------------------
mkdir -p "$work/host/src"
cat > "$work/host/Cargo.toml" <<EOF
[package]
name = "host"
version = "0.1.0"
edition = "2021"

[workspace]

[dependencies]
yat-core = { path = "$repo/yat-core" }
yat-providers = { path = "$repo/yat-providers", default-features = false, features = ["mock"] }
yat-provider-legacy = { path = "$work/legacy" }
tokio = { version = "1", features = ["rt", "macros"] }
EOF
write_main() { # $1: how the program references the legacy crate
  cat > "$work/host/src/main.rs" <<EOF
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let builder = yat_providers::link(yat_core::ProviderManager::builder());
    $1
    let manager = builder.env(Default::default()).build().await.unwrap();
    println!("{}", manager.ids().join(","));
}
EOF
}
cd "$work/host"

echo "== 1. use yat_provider_legacy as _;  -> builds, and legacy is missing"
write_main 'use yat_provider_legacy as _;'
ids="$(cargo run -q 2>/dev/null)"
echo "providers: $ids"
[ "$ids" = "mock" ] || { echo "FAIL: expected only mock, got '$ids'"; exit 1; }

echo "== 2. cargo tree shows both yat-core versions, and who pulls in each"
tree="$(cargo tree -d -e normal --depth 0)"
echo "$tree" | grep yat-core
grep -q "yat-core v$ours" <<<"$tree" && grep -q "yat-core v$other" <<<"$tree" \
  || { echo "FAIL: cargo tree -d does not show both yat-core versions"; exit 1; }
# `cargo tree -i yat-core` alone refuses: the name is ambiguous, and the
# error lists every version. Name the version to see who depends on it.
cargo tree -i yat-core 2>&1 | grep -i -A3 ambiguous || true
cargo tree -e normal -i "yat-core@$other"

echo "== 3. yat_provider_legacy::link(builder) -> compile error"
write_main 'let builder = yat_provider_legacy::link(builder);'
if out="$(cargo build -q 2>&1)"; then
  echo "FAIL: a host on another yat-core compiled with link()"; exit 1
fi
# rustc's wording varies by version: "multiple different versions of crate
# `yat_core` in the dependency graph" (1.8x+), "perhaps two different
# versions of crate `yat_core` are being used?" (older).
versions='(multiple|two) different versions of crate `yat_core`'
grep -E "error\[E0308\]|expected .*ManagerBuilder|$versions" <<<"$out" | head -5
grep -qE "$versions" <<<"$out" \
  || { echo "FAIL: the compile error does not mention two yat_core versions"; echo "$out"; exit 1; }

echo "ok: a mismatched provider is invisible at run time, visible in cargo tree -d, and a compile error through link()"
