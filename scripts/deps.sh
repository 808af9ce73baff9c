# Sourced by scripts/run and scripts/test: installs missing Debian packages.
# Packages are checked with dpkg first so a machine that has them does not
# touch the network; apt-get update runs only when something is missing.
ensure_packages() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "virtioctl: installing ${missing[*]}" >&2
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q >&2 &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >&2
}

BUILD_PACKAGES=(meson ninja-build pkg-config gcc libc6-dev libpci-dev libcjson-dev
	libreadline-dev pciutils pci.ids)

# Configures build/ once, then builds incrementally.
build_tree() {
	local top=$1 builddir=$2
	shift 2
	if [ ! -f "$builddir/build.ninja" ]; then
		meson setup "$builddir" "$top" "$@" >&2 || return 1
	fi
	ninja -C "$builddir" >&2
}
