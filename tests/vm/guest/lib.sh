# Guest side of the harness protocol (busybox sh).  Sourced by /init and by
# scenario scripts.  Everything the host must read goes over /dev/ttyS1 as
# lines starting with "@@VM "; command output is base64-encoded so that raw
# bytes survive the serial line.  Do not write to fd 3 from background jobs.
#
#   vm_run NAME CMD [ARGS...]   run CMD (stdin /dev/null, killed after
#                               $VM_CMD_TIMEOUT s) and send NAME's exit status,
#                               stdout and stderr to the host; returns CMD's status
#   vm_sh NAME 'SHELL CODE'     the same for a shell snippet
#   vm_checkpoint NAME          stop until the host has done its work at NAME
#                               (QMP queries...); the host's reply lines, if
#                               any, are left in /tmp/vm/reply.NAME
#   vm_log TEXT                 a line for the host's log
#   vm_modprobe MODULE...       load modules and their dependencies
#   vm_devices                  "id address" of every scenario device
#   vm_addr ID                  guest PCI address of scenario device ID
#   vm_dump_all [--prefix P] [OPTIONS]
#                               virtioctl --json OPTIONS list, then dump of
#                               every scenario device (results Plist, Pdump-ID)
#   vm_wait_bound TIMEOUT ID... wait until each device has a driver

VM_CMD_TIMEOUT=${VM_CMD_TIMEOUT:-60}

vm_channel_open() {
	[ -c /dev/ttyS1 ] || return 1
	stty -F /dev/ttyS1 raw -echo -ixon -ixoff -crtscts 2>/dev/null
	exec 3<>/dev/ttyS1
}

vm_send() {
	echo "@@VM $*" >&3
}

vm_log() {
	vm_send LOG "$*"
}

vm_checkpoint() {
	_name=$1
	: > "/tmp/vm/reply.$_name"
	vm_send CHECKPOINT "$_name"
	while IFS= read -r _line <&3; do
		case "$_line" in
		"@@VM CONTINUE $_name") return 0 ;;
		"@@VM ABORT"*)
			echo "vm: host aborted at checkpoint $_name: $_line" >&2
			poweroff -f ;;
		*) printf '%s\n' "$_line" >> "/tmp/vm/reply.$_name" ;;
		esac
	done
	echo "vm: handshake channel closed at checkpoint $_name" >&2
	return 1
}

_vm_send_result() {
	# $1 name, $2 status; output in /tmp/vm/out and /tmp/vm/err
	{
		echo "@@VM BEGIN $1"
		echo "@@VM RC $2"
		echo "@@VM STDOUT $(wc -c < /tmp/vm/out)"
		base64 /tmp/vm/out
		echo "@@VM STDERR $(wc -c < /tmp/vm/err)"
		base64 /tmp/vm/err
		echo "@@VM END $1"
	} >&3
}

vm_run() {
	_n=$1
	shift
	timeout -s KILL "$VM_CMD_TIMEOUT" "$@" < /dev/null > /tmp/vm/out 2> /tmp/vm/err
	_rc=$?
	_vm_send_result "$_n" "$_rc"
	return $_rc
}

vm_sh() {
	vm_run "$1" sh -c ". /etc/vm/scenario.env; . /etc/vm/lib.sh; $2"
}

vm_modprobe() {
	for _m in "$@"; do
		_order=$(sed -n "s/^$(echo "$_m" | tr - _): //p" /etc/vm/modorder)
		if [ -z "$_order" ]; then
			echo "vm: module $_m is not in this initramfs" >&2
			return 1
		fi
		for _d in $_order; do
			[ -d "/sys/module/$_d" ] && continue
			insmod "/lib/modules/$VM_KVER/$_d.ko" || return 1
		done
	done
}

vm_wait_bound() {
	_t=$1
	shift
	_n=0
	while [ "$_n" -lt $((_t * 10)) ]; do
		_all=1
		for _id in "$@"; do
			[ -e "/sys/bus/pci/devices/$(vm_addr "$_id")/driver" ] || _all=0
		done
		[ $_all = 1 ] && return 0
		usleep 100000
		_n=$((_n + 1))
	done
	return 1
}

vm_devices() {
	cat /etc/vm/devices
}

vm_addr() {
	sed -n "s/^$1 //p" /etc/vm/devices
}

vm_dump_all() {
	_p=
	if [ "$1" = --prefix ]; then
		_p=$2
		shift 2
	fi
	vm_run "${_p}list" virtioctl --json "$@" list
	while read -r _id _addr; do
		vm_run "${_p}dump-$_id" virtioctl --json "$@" dump "$_addr"
	done < /etc/vm/devices
	return 0
}
