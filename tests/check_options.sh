#!/bin/sh
# Every option managerd and managerctl accept is in their --help and in
# their man page, and every managerctl command too: the three can't drift.
# The lists come from the programs themselves (--list-options,
# --list-commands), made from the same tables as their parsers.
#   check_options.sh SRC_DIR MANAGERD MANAGERCTL
set -eu
src=$1 managerd=$2 managerctl=$3
fail=0
check() { # what, list of words, help text file, man page
	for w in $2; do
		grep -q -- "$w" "$3" || { echo "$1: $w is not in --help"; fail=1; }
		# man pages escape the hyphens: \-\-listen
		esc=$(printf '%s' "$w" | sed 's/-/\\\\-/g')
		grep -q -- "$esc" "$4" || { echo "$1: $w is not in $4"; fail=1; }
	done
}
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
"$managerd" --help >"$tmp"
opts=$("$managerd" --list-options)
check managerd "$opts MGR_SPIN_US MGR_AUTHKEY" "$tmp" "$src/docs/managerd.8"
"$managerctl" --help >"$tmp"
opts=$("$managerctl" --list-options)
cmds=$("$managerctl" --list-commands)
check managerctl "$opts $cmds" "$tmp" "$src/docs/managerctl.1"
exit $fail
