/* A worker's own observables: per-page nodes (move_pages query), numa_maps lines of the trace's
 * mappings, and the RSS counters of /proc/self/status. Written as JSON object members into the
 * worker's shared slot, which the coordinator wraps into the process's entry. */
#include "replayer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KIND[] = { "none", "anon", "file", "shmem" };
#define QBATCH 1024

static void status_json(struct jbuf *b, const char *key) {
  static const char *const keys[] = { "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmPTE", "VmLck", "VmPin" };
  char buf[8192];
  read_small("/proc/self/status", buf, sizeof buf);
  if (key) jb_printf(b, "\"%s\":", key);
  jb_printf(b, "{");
  int first = 1;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    *colon = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
      if (!strcmp(line, keys[k])) {
        jb_printf(b, "%s\"%s\":%lld", first ? "" : ",", line, strtoll(colon + 1, NULL, 10));
        first = 0;
      }
  }
  jb_printf(b, "}");
}

/* Node of every page of one mapping: a {"node": count} summary, and the list when small enough.
 * Negative values are move_pages' -errno: -2 (ENOENT) = not present, -14 (EFAULT) = zero page. */
static void mapping_json(struct jbuf *b, const struct map *m, int with_list) {
  static void *pages[QBATCH];
  static int status[QBATCH];
  uint64_t tally[STATUS_BIAS + 64] = { 0 };
  uint64_t n = (m->te - m->ts) / PAGE;
  jb_printf(b, "{\"trace_addr\":\"0x%llx\",\"addr\":\"0x%llx\",\"pages\":%llu,\"kind\":\"%s\",\"implicit\":%s,\"relocated\":%s",
            (unsigned long long)m->ts, (unsigned long long)m->real, (unsigned long long)n, KIND[m->kind],
            m->implicit ? "true" : "false", m->relocated ? "true" : "false");
  if (with_list) jb_printf(b, ",\"list\":[");
  for (uint64_t done = 0; done < n;) {
    int k = n - done < QBATCH ? (int)(n - done) : QBATCH;
    for (int i = 0; i < k; i++) pages[i] = (void *)(m->real + (done + (uint64_t)i) * PAGE);
    if (sys_move_pages(0, (unsigned long)k, pages, NULL, status, 0) < 0)
      for (int i = 0; i < k; i++) status[i] = -999;
    for (int i = 0; i < k; i++) {
      int s = status[i] + STATUS_BIAS;
      if (s >= 0 && s < STATUS_BIAS + 64) tally[s]++;
      if (with_list) jb_printf(b, "%s%d", done + (uint64_t)i ? "," : "", status[i]);
    }
    done += (uint64_t)k;
  }
  jb_printf(b, "%s\"nodes\":{", with_list ? "]," : ",");
  int first = 1;
  for (int s = 0; s < STATUS_BIAS + 64; s++)
    if (tally[s]) {
      jb_printf(b, "%s\"%d\":%llu", first ? "" : ",", s - STATUS_BIAS, (unsigned long long)tally[s]);
      first = 0;
    }
  jb_printf(b, "}");
  hmm_mapping_json(b, m);
  jb_printf(b, "}");
}

/* numa_maps lines whose VMA starts inside one of the trace's mappings (mbind may split a mapping). */
static char g_numa_maps[256 << 10];

/* Called before the replay: an `exit` op reports inside the measured window, and a first write to
 * this buffer there would allocate pages the simulator knows nothing about. */
void report_pretouch(void) {
  memset(g_numa_maps, 0, sizeof g_numa_maps);
  /* Fault in the replayer's own file-backed pages (code run only later, e.g. this report), so RSS
   * after the replay differs from the baseline by the trace's pages alone. */
  read_small("/proc/self/maps", g_numa_maps, sizeof g_numa_maps);
  for (char *line = strtok(g_numa_maps, "\n"); line; line = strtok(NULL, "\n")) {
    unsigned long long a, z;
    if (!strstr(line, "/replayer") || sscanf(line, "%llx-%llx", &a, &z) != 2) continue;
    for (; a < z; a += PAGE) (void)*(volatile char *)a;
  }
}

static void numa_maps_json(struct jbuf *b) {
  char *buf = g_numa_maps;
  read_small("/proc/self/numa_maps", buf, sizeof g_numa_maps);
  jb_printf(b, "\"numa_maps\":[");
  int first = 1;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    uint64_t start = strtoull(line, NULL, 16);
    int keep = 0;
    for (int i = 0; i < g_nmaps && !keep; i++)
      keep = start >= g_maps[i].real && start < g_maps[i].real + (g_maps[i].te - g_maps[i].ts);
    if (!keep) continue;
    jb_printf(b, "%s", first ? "" : ",");
    jb_str(b, line);
    first = 0;
  }
  jb_printf(b, "]");
}

/* VmRSS and friends before the first event, so a comparison can subtract the replayer itself
 * (binary, stack, buffers, its report slot), as KERNEL-CHECK caveat 8 asks. */
void report_baseline(struct slot *sl) {
  struct jbuf b = { .p = sl->baseline, .cap = sizeof sl->baseline, .fixed = 1 };
  status_json(&b, NULL);
  /* Private: pages only this process maps, i.e. what its exit or OOM kill frees. RssAnon also
   * counts the few anon pages still shared with the coordinator since fork (read-only RELRO data
   * the pretouch cannot write), which stay when the worker dies. */
  char buf[4096];
  long long priv = 0, v;
  read_small("/proc/self/smaps_rollup", buf, sizeof buf);
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
    if (sscanf(line, "Private_Clean: %lld", &v) == 1 || sscanf(line, "Private_Dirty: %lld", &v) == 1) priv += v;
  if (b.len && b.p[b.len - 1] == '}') { b.len--; jb_printf(&b, ",\"Private\":%lld}", priv); }
  if (b.overflow) snprintf(sl->baseline, sizeof sl->baseline, "{}");
}

void report_write(struct slot *sl, int list_max) {
  struct jbuf b = { .p = sl->report, .cap = SLOT_BYTES - sizeof *sl - 1, .fixed = 1 };
  uint64_t total = 0;
  for (int i = 0; i < g_nmaps; i++) total += (g_maps[i].te - g_maps[i].ts) / PAGE;
  status_json(&b, "status_kB");
  jb_printf(&b, ",\"mapped_pages\":%llu,\"mappings\":[", (unsigned long long)total);
  for (int i = 0; i < g_nmaps; i++) {
    if (i) jb_printf(&b, ",");
    mapping_json(&b, &g_maps[i], total <= (uint64_t)list_max);
  }
  jb_printf(&b, "],");
  numa_maps_json(&b);
  if (b.overflow) {
    /* Too big for the slot: keep valid JSON by dropping the details. */
    b.len = 0;
    b.overflow = 0;
    status_json(&b, "status_kB");
    jb_printf(&b, ",\"mapped_pages\":%llu,\"mappings\":[],\"numa_maps\":[],\"truncated\":true",
              (unsigned long long)total);
  }
  sl->report_len = (uint32_t)b.len;
}
