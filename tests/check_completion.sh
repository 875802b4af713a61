#!/bin/bash
# managerctl's bash completion against the built managerctl: commands,
# options, and the types of `new` complete.
#   check_completion.sh SRC_DIR MANAGERCTL
set -eu
src=$1 exe=$2
source "$src/tools/completion/managerctl"
complete_words() { # the words of a command line, the last being completed
	COMP_WORDS=("$exe" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_managerctl
	echo "${COMPREPLY[*]}"
}
fail=0
want() { # what, got, want
	[ "$2" = "$3" ] || { echo "completion of $1: '$2', want '$3'"; fail=1; }
}
want "pu" "$(complete_words pu)" "put purge"
want "--js" "$(complete_words --js)" "--json"
want "--json ne" "$(complete_words --json ne)" "new"
want "new bou" "$(complete_words new bou)" "bounded_semaphore"
want "new dict x" "$(complete_words new dict x)" ""
exit $fail
