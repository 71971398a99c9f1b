#!/usr/bin/env bash
# Re-fetches the playground's pinned GraphiQL, React and ReactDOM builds
# from the npm registry (with `npm pack`, so the registry's integrity
# check applies) into internal/playground/assets, which go:embed serves.
# The versions live in internal/playground/assets/VERSIONS; change them
# there, run this, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=internal/playground/assets
versions="$dest/VERSIONS"
ver() { awk -v p="$1" '$1 == p { print $2 }' "$versions"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pkg in graphiql react react-dom; do
	v=$(ver "$pkg")
	[ -n "$v" ] || { echo "no version of $pkg in $versions" >&2; exit 1; }
	(cd "$tmp" && npm pack --silent "$pkg@$v" >/dev/null)
	mkdir -p "$tmp/$pkg"
	tar xzf "$tmp/$pkg-$v.tgz" -C "$tmp/$pkg"
done
cp "$tmp/graphiql/package/graphiql.min.js" "$tmp/graphiql/package/graphiql.min.css" "$dest/"
cp "$tmp/react/package/umd/react.production.min.js" "$dest/"
cp "$tmp/react-dom/package/umd/react-dom.production.min.js" "$dest/"
for pkg in graphiql react react-dom; do
	cp "$tmp/$pkg/package/LICENSE" "$dest/LICENSE.$pkg" 2>/dev/null || cp "$tmp/$pkg/package/LICENSE.md" "$dest/LICENSE.$pkg"
done
echo "fetched into $dest:"
ls -l "$dest"
