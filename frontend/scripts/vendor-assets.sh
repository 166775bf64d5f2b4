#!/bin/sh
# Installs the pinned browser assets from npm (package-lock.json) and copies their dist files into
# ui/static/vendor/, which the binary embeds. Idempotent: running it twice gives the same tree.
set -eu

cd "$(dirname "$0")/.."
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

dest=ui/static/vendor
rm -rf "$dest"
mkdir -p "$dest/fonts"

cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx.min.js"
cp node_modules/htmx-ext-sse/dist/sse.min.js "$dest/sse.min.js"
cp node_modules/bootstrap/dist/css/bootstrap.min.css "$dest/bootstrap.min.css"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$dest/bootstrap.bundle.min.js"
cp node_modules/chart.js/dist/chart.umd.min.js "$dest/chart.umd.min.js"
cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$dest/bootstrap-icons.min.css"
cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2 node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff "$dest/fonts/"

echo "vendored browser assets into frontend/$dest"
