/* trace@1 CSV reader (DESIGN §3). The whole trace is parsed and validated before the replay starts,
 * so a bad line never leaves a half-replayed kernel, and parsing allocates nothing mid-replay. */
#include "replayer.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_OP, C_ADDR, C_LEN, C_TIME, C_PID, C_TID, C_AGENT, C_KIND, C_FILE, C_POLICY, C_NODES,
       C_FLAGS, C_MEMCG, C_COUNT };
static const char *const COLS[C_COUNT] = { "op", "addr", "len", "time", "pid", "tid", "agent", "kind",
                                           "file", "policy", "nodes", "flags", "memcg" };
static const char *const OPS[OP_COUNT] = { "", "mmap", "munmap", "read", "write", "fault", "mbind",
  "set_mempolicy", "migrate", "mlock", "munlock", "madvise", "pin", "unpin", "exit" };
static const char *const KINDS[] = { "", "anon", "file", "shmem" };
static const char *const POLS[] = { "", "default", "local", "bind", "preferred", "preferred_many", "interleave" };
static const char *const FLAGS[] = { "move", "move_all", "strict", "hugepage", "nohugepage" };

static char *g_err;
static size_t g_errlen;

static int fail(const char *col, const char *val, const char *expected) {
  snprintf(g_err, g_errlen, "column \"%s\": \"%s\" %s", col, val, expected);
  return -1;
}

/* Splits one CSV line in place (RFC 4180 quotes, no embedded newlines). */
static int split(char *s, char **f, int max) {
  int n = 0;
  for (;;) {
    if (n == max) return -1;
    char *out = s;
    f[n++] = s;
    if (*s == '"') {
      s++;
      for (;;) {
        if (!*s) return -1;
        if (*s == '"' && s[1] == '"') { *out++ = '"'; s += 2; continue; }
        if (*s == '"') { s++; break; }
        *out++ = *s++;
      }
      if (*s && *s != ',') return -1;
    } else {
      while (*s && *s != ',') *out++ = *s++;
    }
    int more = *s == ',';
    if (*s) s++;
    *out = 0;
    if (!more) return n;
  }
}

static int parse_u64(const char *s, uint64_t *v) {
  if (!*s || *s == '-' || *s == '+' || *s == ' ') return -1;
  errno = 0;
  char *end;
  int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  *v = strtoull(s, &end, hex ? 16 : 10);
  return errno || *end || (hex && !s[2]) ? -1 : 0;
}

static int lookup(const char *const *names, int n, const char *s) {
  for (int i = 1; i < n; i++) if (!strcmp(names[i], s)) return i;
  return -1;
}

static int intern(struct trace *t, const char *s) {
  for (int i = 0; i < t->nstrings; i++) if (!strcmp(t->strings[i], s)) return i;
  t->strings = realloc(t->strings, sizeof(char *) * (t->nstrings + 1));
  t->strings[t->nstrings] = strdup(s);
  return t->nstrings++;
}

/* "1", "0,1", "0-2", "0,2-3" -> bit mask; every node must exist in the guest. */
static int parse_nodes(const char *s, uint32_t *mask, int nnodes) {
  *mask = 0;
  while (*s) {
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s || a < 0) return fail("nodes", s, "is not a node list (expected e.g. 1, 0,1 or 0-2)");
    if (*end == '-') { s = end + 1; b = strtol(s, &end, 10); if (end == s || b < a) return fail("nodes", s, "is not a node range"); }
    if (b >= nnodes) return fail("nodes", s, "names a node the guest does not have");
    for (long i = a; i <= b; i++) *mask |= 1u << i;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return fail("nodes", end, "is not a node list");
  }
  return 0;
}

static int parse_flags(char *s, uint8_t *flags) {
  *flags = 0;
  for (char *tok = strtok(s, ";"); tok; tok = strtok(NULL, ";")) {
    int f = -1;
    for (int i = 0; i < 5; i++) if (!strcmp(FLAGS[i], tok)) f = i;
    if (f < 0) return fail("flags", tok, "is not a flag (expected move, move_all, strict, hugepage, nohugepage)");
    *flags |= 1u << f;
  }
  return 0;
}

static struct proc *proc_for(struct trace *t, int pid) {
  for (int i = 0; i < t->nprocs; i++) if (t->procs[i].pid == pid) return &t->procs[i];
  if (t->nprocs == MAX_PROCS) return NULL;
  struct proc *p = &t->procs[t->nprocs++];
  memset(p, 0, sizeof *p);
  p->pid = pid;
  p->memcg = -1;
  return p;
}

static int parse_row(struct trace *t, char **f, const int *col, struct event *e, int ncpus, int nnodes,
                     uint64_t *last_time) {
  char *v[C_COUNT];
  uint64_t x;
  for (int c = 0; c < C_COUNT; c++) v[c] = col[c] >= 0 ? f[col[c]] : "";
  memset(e, 0, sizeof *e);
  e->file = -1;
  e->dev = e->to_dev = -1;
  int op = lookup(OPS, OP_COUNT, v[C_OP]);
  if (op < 0) return fail("op", v[C_OP], "is not an op (expected mmap, munmap, read, write, fault, mbind, ...)");
  e->op = (uint8_t)op;
  if (op == OP_PIN || op == OP_UNPIN)
    return fail("op", v[C_OP], "is not supported by the kernel-check guest (no FOLL_LONGTERM pinner in a stock kernel)");
  int needs_addr = op != OP_SET_MEMPOLICY && op != OP_EXIT;
  if (needs_addr && parse_u64(v[C_ADDR], &e->addr)) return fail("addr", v[C_ADDR], "is not a valid address (expected 0x-hex or decimal, < 2^64)");
  if (*v[C_LEN]) {
    if (parse_u64(v[C_LEN], &e->len) || e->len == 0) return fail("len", v[C_LEN], "is not a positive byte count");
    e->has_len = 1;
  }
  if (*v[C_TIME]) {
    if (parse_u64(v[C_TIME], &e->time)) return fail("time", v[C_TIME], "is not integer nanoseconds");
    if (e->time < *last_time) return fail("time", v[C_TIME], "decreases (time must be non-decreasing)");
    *last_time = e->time;
  } else e->time = *last_time;
  uint64_t pid = 1;
  if (*v[C_PID] && (parse_u64(v[C_PID], &pid) || pid > 0x7fffffff)) return fail("pid", v[C_PID], "is not a process id");
  struct proc *p = proc_for(t, (int)pid);
  if (!p) return fail("pid", v[C_PID], "is one process too many (the guest replays at most 64)");
  e->proc = (int32_t)(p - t->procs);
  const char *a = v[C_AGENT];
  if (!*a || !strcmp(a, "cpu")) e->cpu = 0;
  else if (!strncmp(a, "cpu", 3) && a[3] && strspn(a + 3, "0123456789") == strlen(a + 3) &&
           !parse_u64(a + 3, &x) && x < 4096) e->cpu = (int32_t)x;
  else if ((!strncmp(a, "dev", 3) || !strncmp(a, "gpu", 3)) && !g_hmm.type)
    return fail("agent", a, "is a device agent: the stock kernel has no device memory (kernel-check replays cpuN agents only; --kernel hmm replays devN through test_hmm)");
  else if (!strncmp(a, "dev", 3) || !strncmp(a, "gpu", 3)) {
    /* `dev` alone is dev0, as `cpu` is cpu0 (DESIGN §3 agent) */
    if (a[3] && (strspn(a + 3, "0123456789") != strlen(a + 3) || parse_u64(a + 3, &x) || x >= (uint64_t)g_hmm.ndev))
      return fail("agent", a, "names a device the guest does not have");
    e->dev = (int8_t)(a[3] ? x : 0);
    e->cpu = g_hmm.dev_cpu[e->dev]; /* the driver's work runs on the device's nearest CPU node */
  } else return fail("agent", a, "is not an agent (expected cpuN or devN)");
  if (e->cpu >= ncpus) return fail("agent", a, "names a CPU the guest does not have");
  if (op == OP_MMAP) {
    int k = lookup(KINDS, 4, v[C_KIND]);
    if (k < 0) return fail("kind", v[C_KIND], "is not a mapping kind (expected anon, file or shmem)");
    e->kind = (uint8_t)k;
  }
  if (*v[C_FILE]) e->file = intern(t, v[C_FILE]);
  if (op == OP_MBIND || op == OP_SET_MEMPOLICY) {
    int pol = lookup(POLS, 7, v[C_POLICY]);
    if (pol < 0) return fail("policy", v[C_POLICY], "is not a policy (expected default, local, bind, preferred, preferred_many, interleave)");
    e->policy = (uint8_t)pol;
  }
  if (*v[C_NODES] && parse_nodes(v[C_NODES], &e->nodes, nnodes)) return -1;
  if (op == OP_MIGRATE && (!e->nodes || (e->nodes & (e->nodes - 1))))
    return fail("nodes", v[C_NODES], "must name exactly one target node on migrate");
  if (g_hmm.type && (op == OP_MBIND || op == OP_SET_MEMPOLICY))
    for (int k = 0; k < g_hmm.ndev; k++)
      if (e->nodes & (1u << g_hmm.dev_node[k]))
        return fail("nodes", v[C_NODES], "names a device: under --kernel hmm device memory is not a NUMA node, so no policy can name it");
  if (g_hmm.type && op == OP_MIGRATE) {
    int to = __builtin_ctz(e->nodes);
    e->to_dev = (int8_t)hmm_dev_of_node(to);
    if (e->dev < 0 && e->to_dev >= 0)
      return fail("nodes", v[C_NODES], "names a device on a CPU agent's migrate: move_pages cannot name device memory (only its driver migrates there)");
    if (e->dev >= 0 && e->to_dev < 0) {
      if (g_hmm.node_cpu[to] < 0)
        return fail("nodes", v[C_NODES], "is not supported by the kernel-check guest: test_hmm migrates to system RAM on the calling CPU's node, and this node has no CPU");
      e->cpu = g_hmm.node_cpu[to];
    }
  }
  if ((op == OP_MBIND || op == OP_SET_MEMPOLICY) && e->policy >= P_BIND && !e->nodes)
    return fail("nodes", v[C_NODES], "is required by this policy");
  if (*v[C_FLAGS] && parse_flags(v[C_FLAGS], &e->flags)) return -1;
  if (op == OP_MADVISE && !(e->flags & (F_HUGE | F_NOHUGE)))
    return fail("flags", v[C_FLAGS], "must say hugepage or nohugepage on madvise");
  if (*v[C_MEMCG] && p->memcg < 0) p->memcg = intern(t, v[C_MEMCG]); /* first sight binds */
  return 0;
}

int trace_parse(const char *path, struct trace *t, int ignore_columns, int ncpus, int nnodes,
                char *err, size_t errlen, uint32_t *errline) {
  g_err = err;
  g_errlen = errlen;
  *errline = 0;
  FILE *fp = fopen(path, "r");
  if (!fp) { snprintf(err, errlen, "cannot open %s", path); return -1; }
  char *line = NULL, *f[64];
  size_t cap = 0, evcap = 0;
  int col[C_COUNT], have_header = 0, nf;
  uint32_t lineno = 0;
  uint64_t last_time = 0;
  ssize_t got;
  while ((got = getline(&line, &cap, fp)) >= 0) {
    lineno++;
    while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = 0;
    if (!got || line[0] == '#') continue;
    *errline = lineno;
    if ((nf = split(line, f, 64)) < 0) { snprintf(err, errlen, "malformed CSV (quotes or more than 64 columns)"); return -1; }
    if (!have_header) {
      for (int c = 0; c < C_COUNT; c++) col[c] = -1;
      for (int i = 0; i < nf; i++) {
        int c = -1;
        for (int k = 0; k < C_COUNT; k++) if (!strcmp(COLS[k], f[i])) c = k;
        if (c < 0 && !ignore_columns) {
          snprintf(err, errlen, "header: \"%s\" is not a trace@1 column (--ignore-columns skips it)", f[i]);
          return -1;
        }
        if (c >= 0) col[c] = i;
      }
      if (col[C_OP] < 0) { snprintf(err, errlen, "header: no \"op\" column"); return -1; }
      have_header = 1;
      continue;
    }
    for (int i = nf; i < 64; i++) f[i] = "";
    if (t->n == evcap) { evcap = evcap ? evcap * 2 : 4096; t->ev = realloc(t->ev, evcap * sizeof *t->ev); }
    if (parse_row(t, f, col, &t->ev[t->n], ncpus, nnodes, &last_time)) return -1;
    t->ev[t->n++].line = lineno;
  }
  free(line);
  fclose(fp);
  *errline = 0;
  if (!have_header) { snprintf(err, errlen, "no header row"); return -1; }
  return 0;
}
