/* Trace address space -> real address space. Each trace mmap is placed at its recorded address with
 * MAP_FIXED_NOREPLACE; when that range is taken (by the replayer itself, or it is not a valid user
 * address here) it is relocated, keeping the offset within 2 MiB so THP alignment matches the trace. */
#include "replayer.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define HUGE_SPAN (2ULL << 20)

struct map g_maps[MAX_MAPS];
int g_nmaps;

/* Lowest index whose range ends after a (ranges are sorted and disjoint, so ends are sorted too). */
int map_first_after(uint64_t a) {
  int lo = 0, hi = g_nmaps;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (g_maps[mid].te > a) hi = mid; else lo = mid + 1;
  }
  return lo;
}

int map_find(uint64_t a) {
  int i = map_first_after(a);
  return i < g_nmaps && g_maps[i].ts <= a ? i : -1;
}

static int insert_at(int i, const struct map *m) {
  if (g_nmaps == MAX_MAPS) return -1;
  memmove(&g_maps[i + 1], &g_maps[i], (size_t)(g_nmaps - i) * sizeof *m);
  g_maps[i] = *m;
  g_nmaps++;
  return 0;
}

static void remove_at(int i) {
  memmove(&g_maps[i], &g_maps[i + 1], (size_t)(g_nmaps - i - 1) * sizeof g_maps[0]);
  g_nmaps--;
}

/* Returns where the range went, 0 on failure. */
static uint64_t place(uint64_t s, uint64_t len, int flags, int fd, uint8_t *relocated) {
  const int prot = PROT_READ | PROT_WRITE;
  void *p = mmap((void *)s, len, prot, flags | MAP_FIXED_NOREPLACE, fd, 0);
  *relocated = 0;
  if (p != MAP_FAILED && (uint64_t)p == s) return s;
  if (p != MAP_FAILED) munmap(p, len); /* pre-4.17 kernels take the flag as a mere hint */
  void *r = mmap(NULL, len + HUGE_SPAN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) return 0;
  uint64_t base = (uint64_t)r, t = base + ((s - base) & (HUGE_SPAN - 1));
  p = mmap((void *)t, len, prot, flags | MAP_FIXED, fd, 0);
  if (p == MAP_FAILED) { munmap(r, len + HUGE_SPAN); return 0; }
  if (t > base) munmap(r, t - base);
  if (base + len + HUGE_SPAN > t + len) munmap((void *)(t + len), base + len + HUGE_SPAN - (t + len));
  *relocated = 1;
  return t;
}

int map_create(uint64_t s, uint64_t e, int kind, const char *file_path, int implicit) {
  struct map m = { .ts = s, .te = e, .kind = (uint8_t)kind, .implicit = (uint8_t)implicit, .file = -1 };
  int i = map_first_after(s);
  /* Implicit pages next to the previous implicit page extend it (the kernel merges the VMAs too),
   * so a plain access trace keeps a small table. */
  if (implicit && i > 0 && g_maps[i - 1].implicit && g_maps[i - 1].te == s) {
    struct map *prev = &g_maps[i - 1];
    uint64_t want = prev->real + (s - prev->ts);
    void *p = mmap((void *)want, e - s, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED && (uint64_t)p == want) { prev->te = e; return 0; }
    if (p != MAP_FAILED) munmap(p, e - s);
  }
  int fd = -1, flags = MAP_PRIVATE | MAP_ANONYMOUS;
  if (kind == K_SHMEM) flags = MAP_SHARED | MAP_ANONYMOUS;
  if (kind == K_FILE) {
    /* A file in tmpfs, grown to cover the mapping so no access hits SIGBUS. */
    fd = open(file_path, O_RDWR | O_CREAT, 0600);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || ((uint64_t)st.st_size < e - s && ftruncate(fd, (off_t)(e - s)))) {
      if (fd >= 0) close(fd);
      return -1;
    }
    flags = MAP_SHARED;
  }
  m.real = place(s, e - s, flags, fd, &m.relocated);
  if (fd >= 0) close(fd);
  if (!m.real) return -1;
  if (insert_at(i, &m)) { munmap((void *)m.real, e - s); return -1; }
  return m.relocated;
}

/* munmap of [s, e) in trace space: unmaps the real pieces and trims or splits table entries. */
void map_remove_range(uint64_t s, uint64_t e) {
  int i = map_first_after(s);
  while (i < g_nmaps && g_maps[i].ts < e) {
    struct map *m = &g_maps[i];
    uint64_t os = s > m->ts ? s : m->ts, oe = e < m->te ? e : m->te;
    munmap((void *)(m->real + (os - m->ts)), oe - os);
    if (os > m->ts && oe < m->te) {
      struct map tail = *m;
      tail.real = m->real + (oe - m->ts);
      tail.ts = oe;
      m->te = os;
      insert_at(i + 1, &tail);
      i += 2;
    } else if (os > m->ts) {
      m->te = os;
      i++;
    } else if (oe < m->te) {
      m->real += oe - m->ts;
      m->ts = oe;
      i++;
    } else {
      remove_at(i);
    }
  }
}
