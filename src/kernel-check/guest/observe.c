/* System-wide observables around the replay: /proc/vmstat, per-node numastat and meminfo, memcg files.
 * Snapshots go into static buffers, so taking one allocates nothing inside the measured window. */
#include "replayer.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void jb_printf(struct jbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < room && b->p) { b->len += (size_t)n; return; }
    if (b->fixed) { b->overflow = 1; b->p[b->len] = 0; return; }
    b->cap = (b->cap + (size_t)n + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
}

void jb_str(struct jbuf *b, const char *s) {
  jb_printf(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') jb_printf(b, "\\%c", c);
    else if (c < 0x20) jb_printf(b, "\\u%04x", c);
    else jb_printf(b, "%c", c);
  }
  jb_printf(b, "\"");
}

void read_small(const char *path, char *buf, size_t cap) {
  size_t len = 0;
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    ssize_t got;
    while (len + 1 < cap && (got = read(fd, buf + len, cap - 1 - len)) > 0) len += (size_t)got;
    close(fd);
  }
  buf[len] = 0;
}

int numa_nodes(void) {
  char path[64];
  int n = 0;
  for (;; n++) {
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d", n);
    if (access(path, F_OK)) return n;
  }
}

/* ---- /proc/vmstat ---- */
#define MAX_VM 400
static char vm_names[MAX_VM][48];
static long long vm_vals[2][MAX_VM];
static int vm_n;
static char g_buf[64 << 10];

void vmstat_read(int which) {
  /* Node and zone counters (nr_page_table_pages, nr_anon_pages, ...) sit in per-CPU deltas until
   * vmstat_update folds them, about once a second; stat_refresh folds them now so deltas are exact. */
  int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
  if (fd >= 0) { if (write(fd, "1", 1)) {} close(fd); }
  read_small("/proc/vmstat", g_buf, sizeof g_buf);
  int i = 0;
  for (char *line = strtok(g_buf, "\n"); line && i < MAX_VM; line = strtok(NULL, "\n"), i++) {
    char *sp = strchr(line, ' ');
    if (!sp) continue;
    *sp = 0;
    snprintf(vm_names[i], sizeof vm_names[i], "%s", line); /* same order every read */
    vm_vals[which][i] = strtoll(sp + 1, NULL, 10);
  }
  vm_n = i;
}

void vmstat_json(struct jbuf *b) {
  jb_printf(b, "\"vmstat_delta\":{");
  for (int i = 0; i < vm_n; i++)
    jb_printf(b, "%s\"%s\":%lld", i ? "," : "", vm_names[i], vm_vals[1][i] - vm_vals[0][i]);
  jb_printf(b, "}");
}

long long vmstat_delta(const char *name) {
  for (int i = 0; i < vm_n; i++) if (!strcmp(vm_names[i], name)) return vm_vals[1][i] - vm_vals[0][i];
  return 0;
}

/* ---- per node: numastat counters and a few meminfo lines ---- */
#define MAX_NODES_OBS 16
#define MAX_KEYS 24
static const char *const MEMINFO[] = { "MemTotal", "MemFree", "AnonPages", "FilePages", "Shmem",
                                       "PageTables", "Mlocked", "AnonHugePages" };
#define N_MEMINFO (sizeof MEMINFO / sizeof MEMINFO[0])
static char ns_keys[MAX_KEYS][32];
static int ns_nkeys;
static long long ns_vals[2][MAX_NODES_OBS][MAX_KEYS], mi_vals[2][MAX_NODES_OBS][N_MEMINFO];
static int ns_nodes;

void numastat_read(int which) {
  char path[96];
  ns_nodes = numa_nodes();
  if (ns_nodes > MAX_NODES_OBS) ns_nodes = MAX_NODES_OBS;
  for (int n = 0; n < ns_nodes; n++) {
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d/numastat", n);
    read_small(path, g_buf, sizeof g_buf);
    int k = 0;
    for (char *line = strtok(g_buf, "\n"); line && k < MAX_KEYS; line = strtok(NULL, "\n"), k++) {
      char *sp = strchr(line, ' ');
      if (!sp) continue;
      *sp = 0;
      snprintf(ns_keys[k], sizeof ns_keys[k], "%s", line);
      ns_vals[which][n][k] = strtoll(sp + 1, NULL, 10);
    }
    ns_nkeys = k;
    /* "Node 0 MemFree:   950712 kB" */
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d/meminfo", n);
    read_small(path, g_buf, sizeof g_buf);
    for (char *line = strtok(g_buf, "\n"); line; line = strtok(NULL, "\n")) {
      char key[32];
      long long v;
      if (sscanf(line, "Node %*d %31[^:]: %lld", key, &v) != 2) continue;
      for (size_t m = 0; m < N_MEMINFO; m++) if (!strcmp(key, MEMINFO[m])) mi_vals[which][n][m] = v;
    }
  }
}

static void kv_json(struct jbuf *b, const char *name, const long long *a, const long long *z) {
  jb_printf(b, "\"%s\":{", name);
  for (int k = 0; k < ns_nkeys; k++) jb_printf(b, "%s\"%s\":%lld", k ? "," : "", ns_keys[k], z ? a[k] - z[k] : a[k]);
  jb_printf(b, "}");
}

void numastat_json(struct jbuf *b) {
  jb_printf(b, "\"nodes\":[");
  for (int n = 0; n < ns_nodes; n++) {
    jb_printf(b, "%s{\"node\":%d,", n ? ",\n" : "", n);
    kv_json(b, "numastat_before", ns_vals[0][n], NULL);
    jb_printf(b, ",");
    kv_json(b, "numastat_after", ns_vals[1][n], NULL);
    jb_printf(b, ",");
    kv_json(b, "numastat_delta", ns_vals[1][n], ns_vals[0][n]);
    for (int w = 0; w < 2; w++) {
      jb_printf(b, ",\"meminfo_kB_%s\":{", w ? "after" : "before");
      for (size_t m = 0; m < N_MEMINFO; m++) jb_printf(b, "%s\"%s\":%lld", m ? "," : "", MEMINFO[m], mi_vals[w][n][m]);
      jb_printf(b, "}");
    }
    jb_printf(b, "}");
  }
  jb_printf(b, "]");
}

/* ---- /proc/zoneinfo before the replay: free pages, watermarks and lowmem protection per zone, so
 * the host can tell where default-policy allocations start to fall back (KERNEL-MODEL §2.2). ---- */
#define MAX_ZONES 64
#define MAX_PROT 6
struct zinfo { int node, nprot; char name[16]; long long free, boost, min, low, high, present, managed, prot[MAX_PROT]; };
static struct zinfo zi[MAX_ZONES];
static int zi_n;

void zoneinfo_read(void) {
  read_small("/proc/zoneinfo", g_buf, sizeof g_buf);
  struct zinfo *z = NULL;
  zi_n = 0;
  for (char *line = strtok(g_buf, "\n"); line; line = strtok(NULL, "\n")) {
    int node;
    char name[16], key[32];
    long long v;
    if (sscanf(line, "Node %d, zone %15s", &node, name) == 2) {
      z = zi_n < MAX_ZONES ? &zi[zi_n++] : NULL;
      if (z) { memset(z, 0, sizeof *z); z->node = node; snprintf(z->name, sizeof z->name, "%s", name); }
      continue;
    }
    if (!z) continue;
    char *p = line + strspn(line, " ");
    if (!strncmp(p, "protection: (", 13)) {
      for (char *t = p + 13; z->nprot < MAX_PROT && *t && *t != ')'; ) {
        z->prot[z->nprot++] = strtoll(t, &t, 10);
        t += strspn(t, ", ");
      }
    } else if (sscanf(p, "pages free %lld", &v) == 1) z->free = v;
    else if (sscanf(p, "%31s %lld", key, &v) == 2) {
      if (!strcmp(key, "boost")) z->boost = v;
      else if (!strcmp(key, "min")) z->min = v;
      else if (!strcmp(key, "low")) z->low = v;
      else if (!strcmp(key, "high")) z->high = v;
      else if (!strcmp(key, "present")) z->present = v;
      else if (!strcmp(key, "managed")) z->managed = v;
    }
  }
}

void zoneinfo_json(struct jbuf *b) {
  jb_printf(b, "\"zones_before\":[");
  for (int i = 0, first = 1; i < zi_n; i++) {
    struct zinfo *z = &zi[i];
    if (!z->present) continue;
    jb_printf(b, "%s{\"node\":%d,\"zone\":\"%s\",\"free\":%lld,\"boost\":%lld,\"min\":%lld,\"low\":%lld,\"high\":%lld,"
              "\"present\":%lld,\"managed\":%lld,\"protection\":[", first ? "" : ",\n", z->node, z->name, z->free, z->boost,
              z->min, z->low, z->high, z->present, z->managed);
    for (int k = 0; k < z->nprot; k++) jb_printf(b, "%s%lld", k ? "," : "", z->prot[k]);
    jb_printf(b, "]}");
    first = 0;
  }
  jb_printf(b, "]");
}

/* ---- memcg: flat "key value" files as objects; memory.numa_stat as {key: {node: bytes}} ---- */
static void flat_json(struct jbuf *b, const char *dir, const char *file, int numa) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  read_small(path, g_buf, sizeof g_buf);
  int first = 1;
  jb_printf(b, "{");
  for (char *line = strtok(g_buf, "\n"); line; line = strtok(NULL, "\n")) {
    char *sp = strchr(line, ' ');
    if (!sp) continue;
    *sp = 0;
    jb_printf(b, "%s\"%s\":", first ? "" : ",", line);
    first = 0;
    if (!numa) { jb_printf(b, "%lld", strtoll(sp + 1, NULL, 10)); continue; }
    jb_printf(b, "{");
    int nf = 0, node;
    long long v;
    for (char *tok = sp + 1; tok && *tok; tok = strchr(tok, ' ') ? strchr(tok, ' ') + 1 : NULL)
      if (sscanf(tok, "N%d=%lld", &node, &v) == 2) jb_printf(b, "%s\"%d\":%lld", nf++ ? "," : "", node, v);
    jb_printf(b, "}");
  }
  jb_printf(b, "}");
}

void memcg_json(struct jbuf *b, const char *path) {
  char dir[512], val[64];
  snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s", path[0] == '/' ? path + 1 : path);
  jb_printf(b, "{\"path\":");
  jb_str(b, path);
  static const char *const one[] = { "current", "max", "peak" };
  for (int i = 0; i < 3; i++) {
    char p[600];
    snprintf(p, sizeof p, "%s/memory.%s", dir, one[i]);
    read_small(p, val, sizeof val);
    val[strcspn(val, "\n")] = 0;
    if (!strcmp(val, "max") || !*val) jb_printf(b, ",\"%s\":%s", one[i], *val ? "\"max\"" : "null");
    else jb_printf(b, ",\"%s\":%s", one[i], val);
  }
  jb_printf(b, ",\"stat\":");
  flat_json(b, dir, "memory.stat", 0);
  jb_printf(b, ",\"numa_stat\":");
  flat_json(b, dir, "memory.numa_stat", 1);
  jb_printf(b, ",\"events\":");
  flat_json(b, dir, "memory.events", 0);
  jb_printf(b, "}");
}
