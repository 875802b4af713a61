#!/bin/sh
# libmgr.so exports its public API and nothing else: every dynamic symbol
# it defines starts with mgr_ (its internals and the protobuf-c code in it
# are hidden, so they can't clash with a program's own symbols), and every
# function mgr.h declares is there. libmgr.a's global symbols are mgr_*
# too (its internals are local: one object made with ld -r and objcopy
# --localize-hidden).
#   check_exports.sh LIBMGR_SO MGR_H [LIBMGR_A]
set -eu
lib=$1
header=$2
archive=${3:-}
if [ -n "$archive" ]; then
	bad=$(nm --defined-only "$archive" | awk '$2 ~ /^[TDBRVWCG]$/ {print $3}' | grep -v '^mgr_' || true)
	if [ -n "$bad" ]; then
		echo "libmgr.a has global symbols outside the API:"
		printf '%s\n' "$bad"
		exit 1
	fi
fi
defined=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
bad=$(printf '%s\n' "$defined" | grep -v '^mgr_' || true)
if [ -n "$bad" ]; then
	echo "libmgr.so exports symbols outside the API:"
	printf '%s\n' "$bad"
	exit 1
fi
declared=$(grep -o '^MGR_API [^(]*\bmgr_[a-z0-9_]*(' "$header" |
	sed 's/.*\(mgr_[a-z0-9_]*\)($/\1/' | sort -u)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$defined" >"$tmp/defined"
printf '%s\n' "$declared" >"$tmp/declared"
missing=$(comm -23 "$tmp/declared" "$tmp/defined")
if [ -n "$missing" ]; then
	echo "declared in mgr.h but not exported:"
	printf '%s\n' "$missing"
	exit 1
fi
n=$(printf '%s\n' "$declared" | wc -l)
echo "libmgr.so: $n functions exported, all of them mgr_*"
