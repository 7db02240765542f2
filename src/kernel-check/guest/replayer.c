/* cdm-replay kernel-check guest: replays a trace@1 CSV on the running kernel and prints what the
 * kernel observed as one JSON object on stdout.
 *
 *   replayer [-i] [-p] [-l LIST_MAX] [-f FILES_DIR] [-M /memcg=BYTES]... [-H TYPE -d NODE:CPU... -N NODE:CPU...] TRACE.csv
 *   -i ignore unknown columns; -p pace events by the time column; -l per-page node lists when a
 *   process maps at most LIST_MAX pages (default 4096); -M memory.max of a memcg; -H private|coherent
 *   replays device agents through test_hmm (hmm.c): -d gives each device's trace node id and the
 *   CPU its driver work runs on, -N the first CPU of each CPU node.
 * Exit: 0 ok, 2 trace needs what the guest cannot do, 3 invalid trace data, 4 setup failure.
 *
 * The coordinator (this process) stays in the root cgroup and touches no trace memory; one forked
 * worker per trace pid executes that pid's events in trace order, one at a time. */
#include "replayer.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA "cdm-replay/kernel-observation@1"
static const char *const OPN[OP_COUNT] = { "agent", "mmap", "munmap", "read", "write", "fault", "mbind",
  "set_mempolicy", "migrate", "mlock", "munlock", "madvise", "pin", "unpin", "exit" };
static struct trace g_t;

static void die(int code, const char *kind, uint32_t line, const char *msg) {
  struct jbuf b = { 0 };
  jb_printf(&b, "{\"schema\":\"%s\",\"error\":{\"kind\":\"%s\",\"line\":%u,\"message\":", SCHEMA, kind, line);
  jb_str(&b, msg);
  jb_printf(&b, "}}\n");
  fputs(b.p, stdout);
  exit(code);
}

static int write_file(const char *path, const char *s) {
  int fd = open(path, O_WRONLY), ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);
  if (fd >= 0) close(fd);
  return ok ? 0 : -1;
}

/* mkdir -p under /sys/fs/cgroup, enabling the memory controller on every ancestor. */
static void memcg_dir(const char *path, char *dir, size_t cap) {
  char part[512], msg[700];
  snprintf(part, sizeof part, "%s", path);
  snprintf(dir, cap, "/sys/fs/cgroup");
  for (char *c = strtok(part, "/"); c; c = strtok(NULL, "/")) {
    char ctl[600], on[256];
    snprintf(ctl, sizeof ctl, "%s/cgroup.subtree_control", dir);
    read_small(ctl, on, sizeof on);
    if (!strstr(on, "memory")) write_file(ctl, "+memory"); /* rewriting it is needless cgroup churn */
    size_t len = strlen(dir);
    snprintf(dir + len, cap - len, "/%s", c);
    if (mkdir(dir, 0755) && errno != EEXIST) {
      snprintf(msg, sizeof msg, "cannot create memcg %s: %s", dir, strerror(errno));
      die(4, "setup", 0, msg);
    }
  }
}

static void pretouch_stack(void) {
  volatile char stack[128 << 10];
  for (size_t i = 0; i < sizeof stack; i += PAGE) stack[i] = 0;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void reap(struct proc *p) {
  int st = 0;
  waitpid(p->os_pid, &st, 0);
  p->state = WIFSIGNALED(st) ? 2 : 1;
  p->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

/* Sends one command and waits for the ack; a worker that died (memcg OOM kill) is reaped. */
static void command(struct proc *p, uint32_t cmd) {
  char ack;
  if (write(p->cmd_fd, &cmd, sizeof cmd) != sizeof cmd || read(p->ack_fd, &ack, 1) != 1) {
    reap(p);
    return;
  }
  if (cmd < g_t.n && g_t.ev[cmd].op == OP_EXIT) reap(p);
  if (cmd == CMD_REPORT) waitpid(p->os_pid, NULL, 0); /* stays "running": alive at the trace's end */
}

static void setting(struct jbuf *b, const char *name, const char *path, int first) {
  char v[256];
  read_small(path, v, sizeof v);
  v[strcspn(v, "\n")] = 0;
  jb_printf(b, "%s\"%s\":", first ? "" : ",", name);
  jb_str(b, v);
}

static void process_json(struct jbuf *b, struct proc *p, uint32_t killed_line) {
  struct slot *s = p->slot;
  jb_printf(b, "{\"pid\":%d,\"state\":\"%s\",\"signal\":%d,\"memcg\":", p->pid,
            p->state == 2 ? "killed" : p->state == 1 ? "exited" : "running", p->signal);
  if (p->memcg >= 0) jb_str(b, g_t.strings[p->memcg]); else jb_printf(b, "null");
  jb_printf(b, ",\"killed_at_line\":%u,\"skipped_after_kill\":%llu,\"skipped_after_exit\":%llu,\"relocated\":%llu,\"ops\":{",
            killed_line, (unsigned long long)p->skipped_after_kill, (unsigned long long)p->skipped_after_exit,
            (unsigned long long)s->relocated);
  int first = 1;
  for (int op = 0; op < OP_COUNT; op++) {
    if (!s->calls[op] && !s->unmapped[op]) continue;
    jb_printf(b, "%s\"%s\":{\"calls\":%llu,\"unmapped\":%llu,\"errors\":{", first ? "" : ",", OPN[op],
              (unsigned long long)s->calls[op], (unsigned long long)s->unmapped[op]);
    first = 0;
    int fe = 1;
    for (int e = 1; e < MAX_ERRNO; e++)
      if (s->errors[op][e]) { jb_printf(b, "%s\"%s\":%u", fe ? "" : ",", strerrorname_np(e), s->errors[op][e]); fe = 0; }
    jb_printf(b, "}}");
  }
  jb_printf(b, "},\"migrate_status\":{");
  first = 1;
  for (int i = 0; i < STATUS_BIAS + 64; i++)
    if (s->migrate_status[i]) {
      jb_printf(b, "%s\"%d\":%llu", first ? "" : ",", i - STATUS_BIAS, (unsigned long long)s->migrate_status[i]);
      first = 0;
    }
  jb_printf(b, "}");
  hmm_slot_json(b, s);
  jb_printf(b, ",\"status_kB_baseline\":%s,\"snapshot\":", s->baseline[0] ? s->baseline : "null");
  if (s->report_len) jb_printf(b, "{%.*s}}", (int)s->report_len, s->report); else jb_printf(b, "null}");
}

int main(int argc, char **argv) {
  int ignore = 0, pace = 0, list_max = 4096, opt;
  const char *files = "/tmp", *limits[64];
  int nlimits = 0;
  while ((opt = getopt(argc, argv, "ipl:f:M:H:d:N:")) != -1) {
    if (opt == 'H' || opt == 'd' || opt == 'N') {
      if (hmm_parse_arg(opt, optarg)) die(4, "setup", 0, "bad -H private|coherent, -d NODE:CPU or -N NODE:CPU");
    } else if (opt == 'i') ignore = 1;
    else if (opt == 'p') pace = 1;
    else if (opt == 'l') list_max = atoi(optarg);
    else if (opt == 'f') files = optarg;
    else if (opt == 'M' && nlimits < 64) limits[nlimits++] = optarg;
    else die(4, "setup", 0, "usage: replayer [-i] [-p] [-l N] [-f DIR] [-M /memcg=BYTES]... TRACE.csv");
  }
  if (optind != argc - 1) die(4, "setup", 0, "usage: replayer [-i] [-p] [-l N] [-f DIR] [-M /memcg=BYTES]... TRACE.csv");
  signal(SIGPIPE, SIG_IGN);
  int ncpus = (int)sysconf(_SC_NPROCESSORS_CONF), nnodes = numa_nodes();
  char err[600];
  uint32_t line;
  int parse_nodes = nnodes ? nnodes : 1; /* device node ids follow the guest's CPU nodes (--kernel hmm) */
  for (int k = 0; k < g_hmm.ndev; k++) if (g_hmm.dev_node[k] >= parse_nodes) parse_nodes = g_hmm.dev_node[k] + 1;
  if (trace_parse(argv[optind], &g_t, ignore, ncpus, parse_nodes, err, sizeof err, &line)) {
    int unsupported = strstr(err, "not supported") || strstr(err, "device agent") || strstr(err, "too many") ||
                      strstr(err, "does not have") || strstr(err, "names a device");
    die(unsupported ? 2 : 3, unsupported ? "unsupported" : "trace", line, err);
  }
  /* after the trace is known good: a bad trace is exit 2/3 wherever it runs */
  for (int k = 0; k < g_hmm.ndev; k++) {
    char dev[64], msg[160];
    snprintf(dev, sizeof dev, "/dev/hmm_dmirror%d", (g_hmm.type == 2 ? 2 : 0) + k);
    snprintf(msg, sizeof msg, "%s is missing: test_hmm.ko did not load (see the console above)", dev);
    if (access(dev, R_OK | W_OK)) die(4, "setup", 0, msg);
  }
  /* The events move to a shared mapping: workers read them without sharing anon pages with the
   * coordinator, so every anon page a worker has is its own (see worker.c pretouch()). */
  if (g_t.n) {
    size_t bytes = g_t.n * sizeof *g_t.ev;
    struct event *ev = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ev == MAP_FAILED) die(4, "setup", 0, "cannot map the parsed trace");
    memcpy(ev, g_t.ev, bytes);
    free(g_t.ev);
    g_t.ev = ev;
  }
  /* memcgs: every group the trace names, plus any given a limit */
  char dir[600];
  for (int i = 0; i < g_t.nstrings; i++)
    for (int p = 0; p < g_t.nprocs; p++)
      if (g_t.procs[p].memcg == i) { memcg_dir(g_t.strings[i], dir, sizeof dir); break; }
  for (int i = 0; i < nlimits; i++) {
    char path[512], *eq;
    snprintf(path, sizeof path, "%s", limits[i]);
    if (!(eq = strrchr(path, '='))) die(4, "setup", 0, "-M needs /memcg=BYTES");
    *eq = 0;
    memcg_dir(path, dir, sizeof dir);
    strcat(dir, "/memory.max");
    if (write_file(dir, eq + 1)) die(4, "setup", 0, "cannot write memory.max");
  }
  /* shared slots, touched now so the workers' reports allocate nothing later */
  size_t slots = (size_t)(g_t.nprocs ? g_t.nprocs : 1) * SLOT_BYTES;
  char *shm = mmap(NULL, slots, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED) die(4, "setup", 0, "cannot map report slots");
  /* An explicit policy (no MPOL_F_MOF) keeps NUMA balancing off the slots: the scanner skips only
   * local pages of private VMAs (change_pte_range()), so it would count this shared one every pass. */
  sys_mbind(shm, slots, 4 /* MPOL_LOCAL */, NULL, 0, 0);
  memset(shm, 0, slots);
  for (int p = 0; p < g_t.nprocs; p++) {
    struct proc *pr = &g_t.procs[p];
    int cmd[2], ack[2];
    pr->slot = (struct slot *)(shm + (size_t)p * SLOT_BYTES);
    if (pipe(cmd) || pipe(ack)) die(4, "setup", 0, "pipe failed");
    fflush(stdout);
    pr->os_pid = fork();
    if (pr->os_pid < 0) die(4, "setup", 0, "fork failed");
    if (pr->os_pid == 0) {
      close(cmd[1]);
      close(ack[0]);
      for (int q = 0; q < p; q++) { close(g_t.procs[q].cmd_fd); close(g_t.procs[q].ack_fd); }
      worker_main(&g_t, p, cmd[0], ack[1], files, list_max);
    }
    close(cmd[0]);
    close(ack[1]);
    pr->cmd_fd = cmd[1];
    pr->ack_fd = ack[0];
  }
  for (int p = 0; p < g_t.nprocs; p++) {
    struct proc *pr = &g_t.procs[p];
    /* the worker answers once its pretouch is done: moving it earlier would charge the page
     * tables of its own memory to the trace's memcg */
    command(pr, CMD_PING);
    if (pr->memcg >= 0) {
      char procs[700], pid[32];
      memcg_dir(g_t.strings[pr->memcg], dir, sizeof dir);
      snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
      snprintf(pid, sizeof pid, "%d", (int)pr->os_pid);
      if (write_file(procs, pid)) die(4, "setup", 0, "cannot move a worker into its memcg");
    }
    command(pr, CMD_PING); /* worker pre-touched and listening; the pipes' buffers are warm */
    /* Hold the worker's test_hmm files open: their last close evicts every page of the device
     * (dmirror_fops_release() -> dmirror_device_evict_chunk()), other processes' pages included,
     * which an `exit` in the window must not do. */
    if (g_hmm.type) {
      int pidfd = (int)syscall(SYS_pidfd_open, pr->os_pid, 0);
      for (int k = 0; k < g_hmm.ndev; k++)
        if (pidfd < 0 || syscall(SYS_pidfd_getfd, pidfd, pr->slot->hmm_fd[k], 0) < 0)
          die(4, "setup", 0, "cannot hold a worker's test_hmm file open (pidfd_getfd)");
      close(pidfd);
    }
  }
  for (int p = 0; p < g_t.nprocs; p++) command(&g_t.procs[p], CMD_BASELINE);
  pretouch_stack();
  zoneinfo_read(), vmstat_read(0), numastat_read(0), vmstat_read(1), numastat_read(1); /* warm every buffer */
  uint32_t killed_line[MAX_PROCS] = { 0 };
  /* Let deferred work of the setup (RCU-freed objects and the slab pages they empty, after fork
   * and the cgroup writes) finish before the window opens: it showed up as pgfree +11. */
  usleep(300 * 1000);
  zoneinfo_read();
  vmstat_read(0);
  numastat_read(0);
  uint64_t t0 = now_ns();
  /* Pacing: the worker that runs the next event spins until it is due, so the wait counts as that
   * task's CPU time, as it did for the recorded program. NUMA balancing scans by task runtime
   * (task_tick_numa() uses sum_exec_runtime), so a sleeping replayer would never be scanned. */
  if (pace) for (int p = 0; p < g_t.nprocs; p++) g_t.procs[p].slot->pace_t0 = t0;
  for (uint32_t i = 0; i < g_t.n; i++) {
    struct event *e = &g_t.ev[i];
    struct proc *p = &g_t.procs[e->proc];
    if (p->state) { /* the process is gone: its later events cannot run */
      if (p->state == 2) p->skipped_after_kill++; else p->skipped_after_exit++;
      continue;
    }
    command(p, i);
    if (p->state == 2) killed_line[e->proc] = e->line;
  }
  uint64_t replay_ns = now_ns() - t0;
  vmstat_read(1);
  numastat_read(1);

  struct jbuf b = { 0 };
  struct utsname u;
  uname(&u);
  jb_printf(&b, "{\"schema\":\"%s\",\"kernel\":", SCHEMA);
  jb_str(&b, u.release);
  jb_printf(&b, ",\"cpus\":%d,\"numa_nodes\":%d,\"events\":%zu,\"replay_ns\":%llu,\n\"settings\":{", ncpus, nnodes,
            g_t.n, (unsigned long long)replay_ns);
  setting(&b, "numa_balancing", "/proc/sys/kernel/numa_balancing", 1);
  setting(&b, "thp", "/sys/kernel/mm/transparent_hugepage/enabled", 0);
  setting(&b, "lru_gen", "/sys/kernel/mm/lru_gen/enabled", 0);
  setting(&b, "min_free_kbytes", "/proc/sys/vm/min_free_kbytes", 0);
  setting(&b, "watermark_scale_factor", "/proc/sys/vm/watermark_scale_factor", 0);
  setting(&b, "swappiness", "/proc/sys/vm/swappiness", 0);
  setting(&b, "demotion_enabled", "/sys/kernel/mm/numa/demotion_enabled", 0);
  setting(&b, "numa_scan_delay_ms", "/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", 0);
  setting(&b, "numa_scan_period_min_ms", "/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms", 0);
  setting(&b, "numa_scan_period_max_ms", "/sys/kernel/debug/sched/numa_balancing/scan_period_max_ms", 0);
  setting(&b, "numa_scan_size_mb", "/sys/kernel/debug/sched/numa_balancing/scan_size_mb", 0);
  jb_printf(&b, "},\n\"page_table_pages_delta\":%lld,\n", vmstat_delta("nr_page_table_pages"));
  zoneinfo_json(&b);
  jb_printf(&b, ",\n");
  vmstat_json(&b);
  jb_printf(&b, ",\n");
  numastat_json(&b);
  /* memcgs are read while the workers still live: their exit would uncharge everything */
  jb_printf(&b, ",\n\"memcgs\":[");
  for (int i = 0, first = 1; i < g_t.nstrings; i++)
    for (int p = 0; p < g_t.nprocs; p++)
      if (g_t.procs[p].memcg == i) { jb_printf(&b, "%s", first ? "" : ",\n"); memcg_json(&b, g_t.strings[i]); first = 0; break; }
  jb_printf(&b, "],\n\"processes\":[");
  for (int p = 0; p < g_t.nprocs; p++) {
    if (!g_t.procs[p].state) command(&g_t.procs[p], CMD_REPORT);
    if (p) jb_printf(&b, ",\n");
    process_json(&b, &g_t.procs[p], killed_line[p]);
  }
  jb_printf(&b, "]}\n");
  fputs(b.p, stdout);
  return 0;
}
