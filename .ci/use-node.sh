# Sourced by .ci/run: puts the project's Node.js major (.nvmrc) first on PATH. When the machine's
# node is another major, the binaries come from the npm registry's `node-<os>-<arch>` package (the
# package the `node` package itself installs), kept under ~/.cache between runs; no other download.
want="$(tr -d '[:space:]' < .nvmrc)"
have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)"
if [ "$have" != "$want" ]; then
  platform="$(node -p 'process.platform + "-" + process.arch')"
  prefix="${XDG_CACHE_HOME:-$HOME/.cache}/workshop-backend/node-$want-$platform"
  if [ ! -x "$prefix/node_modules/node-$platform/bin/node" ]; then
    echo "Node.js $have found, the project needs $want: installing node-$platform@$want from the npm registry into $prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock "node-$platform@$want" >/dev/null
  fi
  export PATH="$prefix/node_modules/node-$platform/bin:$PATH"
  # Native addons (the cdktf CLI's node-pty has no prebuilt binary for this major) compile against
  # this Node.js's own headers, which the package carries, not the machine's.
  export npm_config_nodedir="$prefix/node_modules/node-$platform"
fi
