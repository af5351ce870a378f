# Shared by the shell tests: TAP-style checks that scripts/test.sh counts.
#   q ARGS...                 psql, quiet, unaligned, stops at the first error
#   check NAME GOT EXPECTED   prints "ok - NAME" or "not ok - NAME" with both values
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
check() {
    if [ "$2" = "$3" ]; then
        echo "ok - $1"
    else
        echo "not ok - $1"
        echo "#   got:      $2" | head -c 2000; echo
        echo "#   expected: $3" | head -c 2000; echo
    fi
}
