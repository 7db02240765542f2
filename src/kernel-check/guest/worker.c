/* One forked worker per trace pid: it executes that pid's events on the coordinator's command, so a
 * memcg OOM kill takes only the worker, and `exit` is a real process exit. */
#include "replayer.h"
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#endif
#define BATCH 1024

long sys_mbind(void *addr, unsigned long len, int mode, const unsigned long *mask, unsigned long maxnode, unsigned flags) {
  return syscall(SYS_mbind, addr, len, mode, mask, maxnode, flags);
}
long sys_set_mempolicy(int mode, const unsigned long *mask, unsigned long maxnode) {
  return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}
long sys_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags) {
  return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
}

/* Kernel MPOL_* values (include/uapi/linux/mempolicy.h), indexed by the trace's policy code. */
static const int MPOL[] = { 0, 0, 4, 2, 1, 5, 3 };

static struct slot *g_slot;
static struct trace *g_t;
static const char *g_files;
static void *g_pages[BATCH];
static int g_nodes[BATCH], g_status[BATCH];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void record(int op, long rc) {
  g_slot->calls[op]++;
  if (rc < 0 && errno > 0 && errno < MAX_ERRNO) g_slot->errors[op][errno]++;
}

/* Applies fn to each real piece of the trace range [s, e); counts a range with holes as unmapped. */
typedef long (*piece_fn)(void *real, uint64_t len, const struct event *e);
static void each_piece(int op, uint64_t s, uint64_t e, const struct event *ev, piece_fn fn) {
  uint64_t covered = 0;
  for (int i = map_first_after(s); i < g_nmaps && g_maps[i].ts < e; i++) {
    struct map *m = &g_maps[i];
    uint64_t os = s > m->ts ? s : m->ts, oe = e < m->te ? e : m->te;
    covered += oe - os;
    record(op, fn((void *)(m->real + (os - m->ts)), oe - os, ev));
  }
  if (covered < e - s) g_slot->unmapped[op]++;
}

static long do_mbind(void *p, uint64_t len, const struct event *e) {
  unsigned long mask = e->nodes;
  unsigned flags = (e->flags & F_STRICT ? 1 : 0) | (e->flags & F_MOVE ? 2 : 0) | (e->flags & F_MOVE_ALL ? 4 : 0);
  return sys_mbind(p, len, MPOL[e->policy], mask ? &mask : NULL, mask ? 65 : 0, flags);
}
static long do_mlock(void *p, uint64_t len, const struct event *e) {
  return e->op == OP_MLOCK ? mlock(p, len) : munlock(p, len);
}
static long do_madvise(void *p, uint64_t len, const struct event *e) {
  return madvise(p, len, e->flags & F_HUGE ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
}

static void flush_migrate(int n) {
  if (!n) return;
  long rc = sys_move_pages(0, (unsigned long)n, g_pages, g_nodes, g_status, 2 /* MPOL_MF_MOVE */);
  record(OP_MIGRATE, rc);
  if (rc < 0) return;
  for (int i = 0; i < n; i++) {
    int s = g_status[i] + STATUS_BIAS;
    if (s >= 0 && s < STATUS_BIAS + 64) g_slot->migrate_status[s]++;
  }
}

/* migrate from a CPU agent = move_pages of every mapped page of the range to the one target node. */
static void do_migrate(uint64_t s, uint64_t e, int node) {
  int n = 0;
  uint64_t missing = 0;
  for (uint64_t a = s; a < e; a += PAGE) {
    int i = map_find(a);
    if (i < 0) { missing++; continue; }
    g_pages[n] = (void *)(g_maps[i].real + (a - g_maps[i].ts));
    g_nodes[n++] = node;
    if (n == BATCH) { flush_migrate(n); n = 0; }
  }
  flush_migrate(n);
  if (missing) g_slot->unmapped[OP_MIGRATE]++;
}

/* An access touches every page it covers; a page no mmap covers gets an implicit anon mapping. */
static void do_access(const struct event *e) {
  uint64_t first = e->addr & ~(PAGE - 1), last = (e->addr + (e->has_len ? e->len : 1) - 1) & ~(PAGE - 1);
  for (uint64_t a = first;; a += PAGE) {
    int i = map_find(a);
    if (i < 0) {
      int rc = map_create(a, a + PAGE, K_ANON, NULL, 1);
      if (rc < 0) { g_slot->unmapped[e->op]++; goto next; }
      g_slot->relocated += (uint64_t)rc;
      i = map_find(a);
    }
    if (e->dev >= 0) goto next; /* a device's access: test_hmm, in batches below */
    volatile char *p = (volatile char *)(g_maps[i].real + (a - g_maps[i].ts));
    if (e->op == OP_READ) (void)*p; else *p = 1;
    g_slot->calls[e->op]++;
  next:
    if (a == last) break;
  }
  if (e->dev >= 0) hmm_run(e, first, last + PAGE, g_slot);
}

static void run_event(const struct event *e) {
  uint64_t s = e->addr & ~(PAGE - 1);
  uint64_t end = (e->addr + (e->has_len ? e->len : PAGE) + PAGE - 1) & ~(PAGE - 1);
  char path[512] = "";
  int rc;
  switch (e->op) {
  case OP_MMAP:
    if (e->kind == K_FILE) {
      if (e->file >= 0) snprintf(path, sizeof path, "%s/%s", g_files, g_t->strings[e->file]);
      else snprintf(path, sizeof path, "%s/.mapping-line-%u", g_files, e->line); /* private name */
      for (char *c = path + strlen(g_files) + 1; *c; c++) if (*c == '/') *c = '_';
    }
    map_remove_range(s, end); /* like MAP_FIXED over an old mapping */
    rc = map_create(s, end, e->kind, path, 0);
    record(OP_MMAP, rc);
    if (rc > 0) g_slot->relocated++;
    break;
  case OP_MUNMAP: map_remove_range(s, end); g_slot->calls[OP_MUNMAP]++; break;
  case OP_READ: case OP_WRITE: case OP_FAULT: do_access(e); break;
  case OP_MBIND: each_piece(OP_MBIND, s, end, e, do_mbind); break;
  case OP_SET_MEMPOLICY: {
    /* tid is ignored: each worker is single-threaded, so the task policy is the process's. */
    unsigned long mask = e->nodes;
    record(OP_SET_MEMPOLICY, sys_set_mempolicy(MPOL[e->policy], mask ? &mask : NULL, mask ? 65 : 0));
    break;
  }
  case OP_MIGRATE:
    if (e->dev >= 0) hmm_run(e, s, end, g_slot); /* a driver's migrate_vma (hmm.c) */
    else do_migrate(s, end, __builtin_ctz(e->nodes));
    break;
  case OP_MLOCK: case OP_MUNLOCK: each_piece(e->op, s, end, e, do_mlock); break;
  case OP_MADVISE: each_piece(OP_MADVISE, s, end, e, do_madvise); break;
  case OP_EXIT: g_slot->calls[OP_EXIT]++; break;
  }
}

/* Writes to the stack and static buffers now, so copy-on-write after fork does not allocate pages
 * inside the measured window. */
static void pretouch(void) {
  volatile char stack[256 << 10];
  for (size_t i = 0; i < sizeof stack; i += PAGE) stack[i] = 0;
  /* Write every page of every private writable mapping (data, bss, heap, stack): copy-on-write
   * then gives the worker its own copy of each, so when it exits or is killed exactly its baseline
   * RssAnon leaves nr_anon_pages, and the host can subtract that (KERNEL-CHECK caveat 8). */
  static char maps[64 << 10];
  read_small("/proc/self/maps", maps, sizeof maps);
  for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
    unsigned long long a, z;
    char perms[8];
    if (sscanf(line, "%llx-%llx %7s", &a, &z, perms) != 3) continue;
    if (!strcmp(perms, "rw-p"))
      for (; a < z; a += PAGE) { volatile char *p = (volatile char *)a; *p = *p; }
    /* shared ones (the parsed trace, the report slots): map their pages now, or the first read of
     * an event inside the window is a minor fault and a page more of RssShmem */
    else if (!strcmp(perms, "rw-s"))
      for (; a < z; a += PAGE) (void)*(volatile char *)a;
  }
  memset(g_maps, 0, sizeof g_maps);
  memset(g_pages, 0, sizeof g_pages);
  memset(g_nodes, 0, sizeof g_nodes);
  memset(g_status, 0, sizeof g_status);
  hmm_pretouch();
  report_pretouch();
  /* the worker's page tables for its whole slot now, not when its report is written */
  for (size_t i = 0; i < SLOT_BYTES; i += PAGE) ((volatile char *)g_slot)[i] = ((volatile char *)g_slot)[i];
}

void worker_main(struct trace *t, int self, int cmd_fd, int ack_fd, const char *files_dir, int list_max) {
  g_t = t;
  g_slot = t->procs[self].slot;
  g_files = files_dir;
  hmm_open(g_slot);
  pretouch();
  int cpu = -1;
  for (;;) {
    uint32_t cmd;
    if (read(cmd_fd, &cmd, sizeof cmd) != sizeof cmd) _exit(1);
    if (cmd == CMD_PING) { if (write(ack_fd, "k", 1) != 1) _exit(1); continue; }
    /* Once every worker has pre-touched: a replayer text page only this worker had faulted in so
     * far would count in its Private, though its death frees no page cache. */
    if (cmd == CMD_BASELINE) { report_baseline(g_slot); if (write(ack_fd, "k", 1) != 1) _exit(1); continue; }
    const struct event *e = cmd == CMD_REPORT ? NULL : &t->ev[cmd];
    if (e && e->cpu != cpu) {
      /* The acting agent cpuN runs the event: faults and allocations happen on that CPU's node. */
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(e->cpu, &set);
      if (sched_setaffinity(0, sizeof set, &set) == 0) cpu = e->cpu; else record(0, -1);
    }
    if (e && g_slot->pace_t0) {
      /* busy until the event is due (see the coordinator): the wait is this task's runtime */
      uint64_t due = g_slot->pace_t0 + (e->time - t->ev[0].time);
      while (now_ns() < due) {}
    }
    if (e) run_event(e);
    if (!e || e->op == OP_EXIT) {
      /* A process that exits is reported as it was just before its exit (DESIGN §4). */
      report_write(g_slot, list_max);
      if (write(ack_fd, "k", 1) != 1) _exit(1);
      _exit(0);
    }
    if (write(ack_fd, "k", 1) != 1) _exit(1);
  }
}
