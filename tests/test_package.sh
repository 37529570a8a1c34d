#!/usr/bin/env bash
# test_package.sh - installs the dnsmon Debian package the way a user does and
# checks that Wireshark's own tshark loads it from the system plugin folder,
# as root and as an unprivileged user, that the "DNS Monitor" profile is in
# Wireshark's global profiles folder, and that purging removes every file.
#
# Usage (root): tests/test_package.sh [PACKAGE.deb]
#   default: dist/dnsmon-wireshark_VERSION-1+wsX.Y_ARCH.deb for the installed
#   Wireshark X.Y and the version in CMakeLists.txt (what scripts/package made)
#
# Changes the system: `apt-get install ./PACKAGE.deb`, then `apt-get purge`.
# A dnsmon.so that is already in the system plugin folder without belonging
# to a package (scripts/quickstart run as root puts one there) is moved aside
# for the test and put back afterwards. When the Wireshark GUI and the GUI
# test's tools are installed, the real wireshark (Xvfb, as nobody, no
# WIRESHARK_PLUGIN_DIR) must list the installed file in About -> Plugins and
# show tshark's verdicts (tests/test_gui.py GuiTest.test_installed_plugin).
# Prints "ok N - ..." / "not ok N - ..." per check and "N passed, N failed";
# exits 1 if any check failed, 2 if the test could not run.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=dnsmon-wireshark
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o APT::Install-Recommends=false)

[ "$(id -u)" = 0 ] || { echo "test_package: run as root (apt-get install, purge)" >&2; exit 2; }
for c in tshark pkg-config setpriv dpkg-query apt-get; do
    command -v "$c" >/dev/null || { echo "test_package: $c is missing" >&2; exit 2; }
done

version=$(sed -nE 's/^[[:space:]]*project\([[:space:]]*dnsmon[[:space:]]+VERSION[[:space:]]+([0-9.]+).*/\1/p' \
    "$top/CMakeLists.txt" | head -n1)
ws_version=$(dpkg-query -W -f='${Version}' tshark 2>/dev/null | sed -E 's/^[0-9]+://; s/-[^-]*$//')
plugindir=$(pkg-config --variable=plugindir wireshark 2>/dev/null)
if [ -z "$plugindir" ]; then
    # No libwireshark-dev: the folder tshark itself reports.
    plugindir=$(env -i PATH=/usr/bin:/bin tshark -G folders 2>/dev/null |
        sed -n 's/^Global Plugins:[[:space:]]*//p')
fi
ws_xy=$(basename "$plugindir")
arch=$(dpkg --print-architecture)
deb=${1:-"$top/dist/${pkg}_${version}-1+ws${ws_xy}_${arch}.deb"}
case "$deb" in /*) ;; *) deb="$PWD/$deb" ;; esac
[ -f "$deb" ] || { echo "test_package: no $deb (run scripts/package first)" >&2; exit 2; }
so="$plugindir/epan/dnsmon.so"
seed="$top/captures/seed-incident.pcapng"
[ -f "$seed" ] || { echo "test_package: no $seed" >&2; exit 2; }

n=0 failed=0 failures=()
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); failures+=("$1"); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() {  # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected: $2" "got:      $3"; fi
}

work=$(mktemp -d /tmp/dnsmon-test-package.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/home-root" "$work/home-user" "$work/extcap"
chown nobody "$work/home-user"
cp "$seed" "$work/seed.pcapng" && chmod 644 "$work/seed.pcapng"
saved=""
cleanup() {
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
        apt-get purge "${apt_opts[@]}" "$pkg" >/dev/null 2>&1
    fi
    if [ -n "$saved" ] && [ -f "$saved" ] && [ ! -e "$so" ]; then
        mkdir -p "$(dirname "$so")" && mv "$saved" "$so" && echo "# put back the unpackaged $so"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

echo "# $pkg $version on Wireshark $ws_version ($(basename "$deb"))"

# Leftovers: an installed package from an earlier run, an unpackaged plugin.
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    echo "# $pkg was installed already; purging it first"
    apt-get purge "${apt_opts[@]}" "$pkg" >/dev/null 2>&1
fi
if [ -e "$so" ]; then
    saved="$work/dnsmon.so.unpackaged"
    mv "$so" "$saved" && echo "# moved the unpackaged $so aside"
fi

# tshark as root (the personal plugin folder is ignored) or as nobody.
ts_root() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home-root" TZ=UTC LC_ALL=C.UTF-8 \
    WIRESHARK_EXTCAP_DIR="$work/extcap" tshark "$@"; }
ts_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home-user" TZ=UTC LC_ALL=C.UTF-8 \
    WIRESHARK_EXTCAP_DIR="$work/extcap" tshark "$@"; }
frames() { "$@" -2 -n -r "$work/seed.pcapng" -Y dnsmon.rejected -T fields -e frame.number 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
listed() { "$@" -G plugins 2>/dev/null | awk '$1 == "dnsmon.so" { print $2, $NF }'; }

# ---- install
t0=$(date +%s)
if apt-get install "${apt_opts[@]}" "$deb" >"$work/install.log" 2>&1; then
    ok "apt-get install ./$(basename "$deb") ($(( $(date +%s) - t0 ))s)"
else
    bad "apt-get install ./$(basename "$deb")" "$(tail -n 5 "$work/install.log" | tr '\n' ' ')"
    echo "$((n - failed)) passed, $failed failed"
    exit 1
fi
check "installed version is $version-1+ws$ws_xy" "$version-1+ws$ws_xy" \
    "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)"
check "the package holds $so" "$so" "$(dpkg -L "$pkg" | grep -Fx "$so")"
profile="/usr/share/wireshark/profiles/DNS Monitor"
check "the package holds the DNS Monitor profile in $(dirname "$profile")" \
    "colorfilters dfilter_buttons preferences" \
    "$(dpkg -L "$pkg" | grep -F "$profile/" | sed 's#.*/##' | sort | tr '\n' ' ' | sed 's/ $//')"
dpkg -L "$pkg" | sort >"$work/files"

# ---- tshark loads it from the system folder, as root and as a user
check "tshark -G plugins as root lists dnsmon.so $version from $so" "$version $so" "$(listed ts_root)"
check "tshark -G plugins as nobody lists dnsmon.so $version from $so" "$version $so" "$(listed ts_user)"
check "root: tshark -2 -Y dnsmon.rejected on the seed replica gives frames 1-6" "1 2 3 4 5 6" "$(frames ts_root)"
check "nobody: tshark -2 -Y dnsmon.rejected on the seed replica gives frames 1-6" "1 2 3 4 5 6" "$(frames ts_user)"
check "nobody: -z dnsmon,report counts 3 failed transactions" "3 failed" \
    "$(ts_user -n -q -r "$work/seed.pcapng" -z dnsmon,report 2>/dev/null | grep -o -m1 '3 failed')"
# A user without the profile: -C copies the global one into their folder.
check "nobody: tshark -C 'DNS Monitor' colours the seed replica's frames 'dnsmon rejected'" \
    "dnsmon rejected" "$(ts_user -C "DNS Monitor" -2 -n -r "$work/seed.pcapng" --color -T fields \
        -e frame.coloring_rule.name 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//')"

# ---- the Wireshark window loads it too (About -> Plugins), where it can run
gui_log="$work/gui.log"
DNSMON_PLUGIN="$so" DNSMON_GUI_INSTALLED="$so" DNSMON_WS_XY="$ws_xy" PYTHONDONTWRITEBYTECODE=1 \
    python3 "$top/tests/test_gui.py" GuiTest.test_installed_plugin >"$gui_log" 2>&1 </dev/null
rc=$?
case $rc in
    0) ok "wireshark (as nobody) lists $so in About -> Plugins, shows tshark's verdicts in the global DNS Monitor profile" ;;
    77) echo "# GUI check skipped: $(grep -m1 'skipped' "$gui_log")" ;;
    *) bad "wireshark (as nobody) lists $so in About -> Plugins and shows tshark's verdicts" \
           "$(tail -n 15 "$gui_log" | tr '\n' ' ')" ;;
esac

# ---- purge removes every file it installed
t0=$(date +%s)
if apt-get purge "${apt_opts[@]}" "$pkg" >"$work/purge.log" 2>&1; then
    ok "apt-get purge $pkg ($(( $(date +%s) - t0 ))s)"
else
    bad "apt-get purge $pkg" "$(tail -n 5 "$work/purge.log" | tr '\n' ' ')"
fi
check "dpkg knows no $pkg after the purge" "" \
    "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -v 'not-installed')"
left=()
while IFS= read -r f; do
    [ -n "$f" ] && [ "$f" != "/." ] || continue
    if [ -d "$f" ] && [ ! -L "$f" ]; then
        # A folder stays when another package has files in it.
        dpkg-query -S "$f" >/dev/null 2>&1 && continue
        [ -z "$(ls -A "$f")" ] || { left+=("$f (folder, not empty, no package owns it)"); continue; }
        left+=("$f (empty folder)")
    elif [ -e "$f" ] || [ -L "$f" ]; then
        left+=("$f")
    fi
done <"$work/files"
if [ ${#left[@]} = 0 ]; then
    ok "purge left none of the $(wc -l <"$work/files") paths of dpkg -L $pkg"
else
    bad "purge left ${#left[@]} of the paths of dpkg -L $pkg" "${left[@]}"
fi
check "tshark -G plugins no longer lists dnsmon.so" "" "$(listed ts_root)"

echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
