#!/bin/busybox sh
# cdm-replay kernel-check guest /init (busybox sh, PID 1). Mounts what the replayer reads, applies the
# settings passed on the kernel command line, replays /trace.csv and prints the replayer's JSON between
# marker lines on the console, then powers off. It must never exit: PID 1 exiting panics the kernel.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /files && mount -t tmpfs tmpfs /files    # backs the trace's kind=file mappings
echo "@@CDM-REPLAY-INIT uptime=$(cut -d' ' -f1 /proc/uptime)@@"

# KERNEL-CHECK caveat 8: Debian 6.12 runs MGLRU; the simulator models the classic active/inactive LRU.
[ -w /sys/kernel/mm/lru_gen/enabled ] && echo n > /sys/kernel/mm/lru_gen/enabled
# A fixed user address-space layout: whether a trace address shares a page-table page with the
# replayer's own stack or mappings then no longer changes from boot to boot (KERNEL-MODEL §2.4).
echo 0 > /proc/sys/kernel/randomize_va_space
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    cdm_numa_balancing=*) echo "${arg#*=}" > /proc/sys/kernel/numa_balancing ;;
    cdm_thp=*) echo "${arg#*=}" > /sys/kernel/mm/transparent_hugepage/enabled ;;
    # after cdm_thp on the command line: changing THP recomputes min_free_kbytes
    cdm_min_free_kbytes=*) echo "${arg#*=}" > /proc/sys/vm/min_free_kbytes ;;
    cdm_watermark_scale_factor=*) echo "${arg#*=}" > /proc/sys/vm/watermark_scale_factor ;;
    cdm_swappiness=*) echo "${arg#*=}" > /proc/sys/vm/swappiness ;;
    cdm_demotion=*) echo "${arg#*=}" > /sys/kernel/mm/numa/demotion_enabled ;;
    cdm_numa_scan_*=*) k=${arg%%=*}; echo "${arg#*=}" > "/sys/kernel/debug/sched/numa_balancing/${k#cdm_numa_}" ;;
  esac
done

# --kernel hmm: test_hmm.ko (lib/test_hmm.c) provides the emulated devices. Two device-private ones
# (/dev/hmm_dmirror0,1) always; with spm_addr_dev0/1 pointing at memmap= reserved RAM, two
# device-coherent ones as well (/dev/hmm_dmirror2,3). The replayer checks the files exist.
hmm=; hmm_args=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    cdm_hmm=1) hmm=1 ;;
    cdm_hmm_spm=*) a=${arg#*=}; hmm_args="spm_addr_dev0=${a%%,*} spm_addr_dev1=${a#*,}" ;;
  esac
done
[ -n "$hmm" ] && { insmod /lib/test_hmm.ko $hmm_args || echo "@@CDM-REPLAY-HMM insmod failed@@"; }

# /replayer.args holds shell-quoted arguments written by the host (src/kernel-check/initramfs.ts).
eval "set -- $(cat /replayer.args 2>/dev/null)"
/bin/replayer -f /files "$@" /trace.csv > /out.json
rc=$?
echo "@@CDM-REPLAY-DONE uptime=$(cut -d' ' -f1 /proc/uptime)@@"
# Keep kernel messages out of the JSON block (they still show before it, e.g. an OOM kill).
echo 1 > /proc/sys/kernel/printk
echo "@@CDM-REPLAY-JSON-BEGIN@@"
cat /out.json
echo "@@CDM-REPLAY-JSON-END rc=$rc@@"
# Writes return once the bytes sit in the UART's transmit buffer; powering off then can cut the end
# of the JSON. Wait until the port's tx count stops moving (at most about 5 s).
tx=; i=0
while [ $i -lt 50 ]; do
  now=$(grep '^0:' /proc/tty/driver/serial 2>/dev/null)
  [ -n "$now" ] && [ "$now" = "$tx" ] && break
  tx=$now; i=$((i + 1)); sleep 0.1
done
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
