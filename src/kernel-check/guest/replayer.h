/* cdm-replay kernel-check guest replayer: shared declarations.
 * Built with `gcc -static -O2 *.c` (libc only; NUMA calls go through syscall(2), no libnuma). */
#ifndef CDM_REPLAYER_H
#define CDM_REPLAYER_H
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Op codes follow src/trace/events.ts so both sides read the same way. */
enum { OP_MMAP = 1, OP_MUNMAP, OP_READ, OP_WRITE, OP_FAULT, OP_MBIND, OP_SET_MEMPOLICY, OP_MIGRATE,
       OP_MLOCK, OP_MUNLOCK, OP_MADVISE, OP_PIN, OP_UNPIN, OP_EXIT, OP_COUNT };
enum { K_NONE, K_ANON, K_FILE, K_SHMEM };
enum { P_NONE, P_DEFAULT, P_LOCAL, P_BIND, P_PREFERRED, P_PREFERRED_MANY, P_INTERLEAVE };
enum { F_MOVE = 1, F_MOVE_ALL = 2, F_STRICT = 4, F_HUGE = 8, F_NOHUGE = 16 };

#define PAGE 4096ULL
#define MAX_PROCS 64
#define MAX_ERRNO 134
#define STATUS_BIAS 160 /* move_pages status (-errno or node) + bias indexes a tally */
#define SLOT_BYTES (2u << 20) /* shared per-process report area */
/* test_hmm ioctls the device agents map to (hmm.c), indexing the slot's hmm_* tallies */
enum { HMM_READ, HMM_WRITE, HMM_TO_DEV, HMM_TO_SYS, HMM_OPS };
#define MAX_DEVS 2

struct event {
  uint64_t addr, len, time;
  uint32_t nodes, line;
  int32_t proc, cpu, file;
  uint8_t op, kind, policy, flags, has_len;
  /* --kernel hmm only: acting device (-1: a CPU agent) and the device a migrate targets (-1: RAM) */
  int8_t dev, to_dev;
};

struct proc {
  int pid, memcg; /* trace pid; memcg = string index or -1 */
  pid_t os_pid;
  int cmd_fd, ack_fd, state, signal; /* state: 0 running, 1 exited, 2 killed */
  uint64_t skipped_after_kill, skipped_after_exit;
  struct slot *slot;
};

/* Lives in shared memory so the coordinator can still read it after an OOM kill. */
struct slot {
  uint64_t calls[OP_COUNT], unmapped[OP_COUNT], relocated;
  uint32_t errors[OP_COUNT][MAX_ERRNO];
  uint64_t migrate_status[STATUS_BIAS + 64];
  uint64_t hmm_calls[HMM_OPS], hmm_errors[HMM_OPS], hmm_cpages[HMM_OPS], hmm_faults[HMM_OPS];
  uint64_t hmm_bounce_pages, hmm_arrived, hmm_refused; /* test_hmm's bounce pages; pages that reached a device; refused ones (hmm.c) */
  int32_t hmm_fd[MAX_DEVS]; /* the worker's device files, which the coordinator holds open too */
  uint64_t pace_t0; /* nonzero: pace by the time column; the worker spins until each event is due */
  uint32_t report_len;
  char baseline[1024]; /* status_kB JSON object right before the replay: the replayer's own pages */
  char report[]; /* JSON object members written by the worker (status, mappings, numa_maps) */
};

struct trace {
  struct event *ev;
  size_t n;
  char **strings;
  int nstrings;
  struct proc procs[MAX_PROCS];
  int nprocs;
};

/* A bounded or growing JSON text buffer. */
struct jbuf { char *p; size_t len, cap; int fixed, overflow; };
void jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jb_str(struct jbuf *b, const char *s); /* JSON string literal */

/* trace.c */
int trace_parse(const char *path, struct trace *t, int ignore_columns, int ncpus, int nnodes,
                char *err, size_t errlen, uint32_t *errline);

struct map;
/* hmm.c: test_hmm (lib/test_hmm.c) as the driver of the trace's device agents (-H, -d, -N) */
struct hmm_setup {
  int type;                 /* 0 off (stock kernel), 1 device-private, 2 device-coherent */
  int ndev;                 /* device agents dev0..dev{ndev-1} */
  int dev_node[MAX_DEVS];   /* trace node id of each device node */
  int dev_cpu[MAX_DEVS];    /* guest CPU that runs each device's driver work (nearest CPU node) */
  int node_cpu[32];         /* first guest CPU of each CPU node, -1 for a node without CPUs */
};
extern struct hmm_setup g_hmm;
int hmm_parse_arg(int opt, const char *arg);
int hmm_dev_of_node(int node);
void hmm_open(struct slot *sl);
void hmm_pretouch(void);
void hmm_run(const struct event *e, uint64_t s, uint64_t end, struct slot *sl);
void hmm_mapping_json(struct jbuf *b, const struct map *m);
void hmm_slot_json(struct jbuf *b, const struct slot *sl);

/* maps.c: trace ranges -> where the kernel put them, sorted by trace address, never overlapping. */
struct map { uint64_t ts, te, real; int32_t file; uint8_t kind, implicit, relocated; };
#define MAX_MAPS 16384
extern struct map g_maps[MAX_MAPS];
extern int g_nmaps;
int map_first_after(uint64_t a);
int map_find(uint64_t a);
int map_create(uint64_t s, uint64_t e, int kind, const char *file_path, int implicit);
void map_remove_range(uint64_t s, uint64_t e);

/* report.c: the worker's own observables, written into its slot */
void report_write(struct slot *sl, int list_max);
void report_pretouch(void);
void report_baseline(struct slot *sl);

/* worker.c */
void worker_main(struct trace *t, int self, int cmd_fd, int ack_fd, const char *files_dir, int list_max);

/* observe.c */
int numa_nodes(void);
void vmstat_read(int which);
void vmstat_json(struct jbuf *b);
long long vmstat_delta(const char *name);
void numastat_read(int which);
void numastat_json(struct jbuf *b);
void memcg_json(struct jbuf *b, const char *path);
void zoneinfo_read(void);
void zoneinfo_json(struct jbuf *b);
void read_small(const char *path, char *buf, size_t cap);

/* syscalls without libnuma */
long sys_mbind(void *addr, unsigned long len, int mode, const unsigned long *mask, unsigned long maxnode, unsigned flags);
long sys_set_mempolicy(int mode, const unsigned long *mask, unsigned long maxnode);
long sys_move_pages(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags);

#define CMD_REPORT 0xFFFFFFFFu
#define CMD_PING 0xFFFFFFFEu
#define CMD_BASELINE 0xFFFFFFFDu
#endif
