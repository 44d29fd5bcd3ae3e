#!/bin/sh
# audit.sh BINARY MAPFILE - every archive the linker took objects from for
# BINARY (read from its link map), with the Debian package and version
# that ships it and how many of its objects went in; then the binary's
# size, unstripped and stripped, and whether it is static.
set -eu
bin=$1
map=$2
[ -f "$map" ] || { echo "audit: $map is missing: run 'make clean all' first" >&2; exit 1; }

# Lines of the map's "Archive member included" section name ARCHIVE(MEMBER).
archives=$(sed -n 's/^\(\/[^ (]*\.a\)(.*/\1/p' "$map" | sort | uniq -c | awk '{ print $2 ":" $1 }')

printf '%-44s %7s  %-22s %s\n' ARCHIVE OBJECTS PACKAGE VERSION
for entry in $archives; do
	a=${entry%:*}
	n=${entry##*:}
	real=$(readlink -f "$a")
	pkg=$(dpkg-query -S "$real" 2>/dev/null | head -n 1 | cut -d: -f1)
	[ -n "$pkg" ] || pkg=$(dpkg-query -S "$a" 2>/dev/null | head -n 1 | cut -d: -f1)
	if [ -n "$pkg" ]; then
		ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null | head -n 1)
	else
		pkg="(not from a package)"
		ver="-"
	fi
	printf '%-44s %7s  %-22s %s\n' "$(basename "$a")" "$n" "$pkg" "$ver"
done

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
strip -o "$tmp" "$bin"
echo
printf 'binary:    %s\n' "$bin"
printf 'size:      %s bytes unstripped, %s bytes stripped\n' "$(stat -c %s "$bin")" "$(stat -c %s "$tmp")"
printf 'linkage:   %s\n' "$(file -b "$bin" | tr ',' '\n' | grep -E 'statically|dynamically' | sed 's/^ //')"
printf 'interp:    %s\n' "$(readelf -l "$bin" | grep -q INTERP && echo "has a dynamic loader (NOT static)" || echo "none: no dynamic loader, no shared library")"
