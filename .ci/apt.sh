# Sourced by the .ci scripts: apt-get that waits for other package managers instead of failing.
#
# `apt_get install ...` passes -o DPkg::Lock::Timeout, so apt itself waits (polling) for the
# dpkg locks. `apt_get update` needs more: apt 2.6 (Debian 12) takes the package-lists lock
# (/var/lib/apt/lists/lock) without waiting, whatever DPkg::Lock::Timeout says (checked by
# holding that lock and running `apt-get -o DPkg::Lock::Timeout=30 update`: it exits 100 at
# once with "Could not get lock /var/lib/apt/lists/lock"). So a run that fails on that lock is
# repeated until the same deadline. APT_LOCK_TIMEOUT (seconds, default 600) sets it.

APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"

apt_get() {
    local deadline=$((SECONDS + APT_LOCK_TIMEOUT)) err rc
    err="$(mktemp)"
    while :; do
        rc=0
        DEBIAN_FRONTEND=noninteractive apt-get -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT" "$@" \
            2>"$err" || rc=$?
        cat "$err" >&2
        if [ "$rc" = 0 ] || ! grep -q "Could not get lock /var/lib/apt/lists/lock" "$err" \
            || [ "$SECONDS" -ge "$deadline" ]; then
            rm -f "$err"
            return "$rc"
        fi
        echo "apt-get $1: another process holds the package lists lock; trying again" >&2
        sleep 2
    done
}
