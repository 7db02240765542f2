/* --kernel hmm: test_hmm (lib/test_hmm.c, Linux 6.12) is the driver of the trace's device agents.
 * Device k of the trace is /dev/hmm_dmirror{k} (device-private, MEMORY_DEVICE_PRIVATE) or
 * /dev/hmm_dmirror{2+k} (device-coherent, MEMORY_DEVICE_COHERENT, on memmap= reserved RAM):
 *   read/write/fault by devK       -> HMM_DMIRROR_READ / _WRITE (hmm_range_fault() through the mirror)
 *   migrate by devK to device D    -> HMM_DMIRROR_MIGRATE_TO_DEV on D (migrate_vma_setup/pages/finalize,
 *                                     MIGRATE_VMA_SELECT_SYSTEM)
 *   migrate by devK to CPU node X  -> HMM_DMIRROR_MIGRATE_TO_SYS on K, run on a CPU of X
 *                                     (dmirror_devmem_fault_alloc_and_copy(): alloc_page_vma())
 *   CPU access to a device page    -> a plain access: device-private faults back one page
 *                                     (do_swap_page() -> dmirror_devmem_fault()), coherent does not
 * Every READ, WRITE and MIGRATE_TO_DEV vmallocs a bounce buffer of its size (dmirror_bounce_init()),
 * so test_hmm's own allocations are countable: bounce pages = pages read, written or migrated to a
 * device; a backing system page
 * (`rpage`, dmirror_devmem_alloc_page()) per page that arrives in device-private memory
 * (`arrived`, counted with SNAPSHOT around each MIGRATE_TO_DEV), and one allocated and freed again
 * per present file or shmem page migrate_vma_pages() refused after the driver gave it a destination
 * (`refused`). */
#include "replayer.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* lib/test_hmm_uapi.h (6.12), the part used here; test/kernel-check checks it against the cached copy. */
struct hmm_dmirror_cmd { uint64_t addr, ptr, npages, cpages, faults; };
#define HMM_DMIRROR_READ _IOWR('H', 0x00, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_WRITE _IOWR('H', 0x01, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_DEV _IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS _IOWR('H', 0x03, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_SNAPSHOT _IOWR('H', 0x04, struct hmm_dmirror_cmd)
#define PROT_DEV_PRIVATE_LOCAL 0x20
#define PROT_DEV_COHERENT_LOCAL 0x40
#define PROT_ERROR 0xff
#define PROT_RW 0x03 /* HMM_DMIRROR_PROT_READ | _WRITE: a valid entry */

struct hmm_setup g_hmm = { .type = 0 };
static int g_fd[MAX_DEVS] = { -1, -1 };
#define HBATCH 64
static char g_buf[HBATCH * PAGE] __attribute__((aligned(4096))); /* the ioctls' user buffer, pretouched */
#define SNAP_PAGES 4096
static unsigned char g_perm[SNAP_PAGES], g_before[HBATCH];

static int parse_pair(const char *arg, int *a, int *b) {
  char *end;
  long x = strtol(arg, &end, 10);
  if (end == arg || *end != ':') return -1;
  long y = strtol(end + 1, &end, 10);
  if (*end || x < 0 || x > 31 || y < 0 || y > 4095) return -1;
  *a = (int)x, *b = (int)y;
  return 0;
}

/* -H private|coherent, -d NODE:CPU (one per device, in dev0.. order), -N NODE:CPU (CPU nodes). */
int hmm_parse_arg(int opt, const char *arg) {
  int a, b;
  static int init;
  if (!init++) for (int i = 0; i < 32; i++) g_hmm.node_cpu[i] = -1;
  if (opt == 'H') {
    g_hmm.type = !strcmp(arg, "private") ? 1 : !strcmp(arg, "coherent") ? 2 : -1;
    return g_hmm.type < 0 ? -1 : 0;
  }
  if (parse_pair(arg, &a, &b)) return -1;
  if (opt == 'd') {
    if (g_hmm.ndev == MAX_DEVS) return -1;
    g_hmm.dev_node[g_hmm.ndev] = a, g_hmm.dev_cpu[g_hmm.ndev++] = b;
  } else g_hmm.node_cpu[a] = b;
  return 0;
}

int hmm_dev_of_node(int node) {
  for (int k = 0; k < g_hmm.ndev; k++) if (g_hmm.dev_node[k] == node) return k;
  return -1;
}

static long dmirror(int fd, unsigned long req, uint64_t addr, uint64_t npages, void *buf, struct hmm_dmirror_cmd *c) {
  memset(c, 0, sizeof *c);
  c->addr = addr, c->ptr = (uint64_t)(uintptr_t)buf, c->npages = npages;
  return ioctl(fd, req, c) < 0 ? -errno : 0;
}

/* The state of n pages as device k's mirror sees them (SNAPSHOT, which faults nothing in). */
static int snapshot(int k, uint64_t addr, uint64_t n, unsigned char *out) {
  struct hmm_dmirror_cmd c;
  return (int)dmirror(g_fd[k], HMM_DMIRROR_SNAPSHOT, addr, n, out, &c);
}

/* Opens the devices and runs each path once on a scratch page, before the measured window: the
 * first use of an ioctl allocates kernel memory that stays (vmalloc page tables, the mirror's
 * xarray, mmu notifier state), which the design under test knows nothing about. */
void hmm_open(struct slot *sl) {
  if (!g_hmm.type) return;
  for (int k = 0; k < g_hmm.ndev; k++) {
    char path[64];
    snprintf(path, sizeof path, "/dev/hmm_dmirror%d", (g_hmm.type == 2 ? 2 : 0) + k);
    if ((g_fd[k] = open(path, O_RDWR)) < 0) {
      fprintf(stderr, "replayer: cannot open %s: %s\n", path, strerror(errno));
      _exit(4);
    }
    sl->hmm_fd[k] = g_fd[k];
    char *scratch = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scratch == MAP_FAILED) _exit(4);
    scratch[0] = 1;
    struct hmm_dmirror_cmd c;
    uint64_t a = (uint64_t)(uintptr_t)scratch;
    dmirror(g_fd[k], HMM_DMIRROR_MIGRATE_TO_DEV, a, 1, g_buf, &c);
    dmirror(g_fd[k], HMM_DMIRROR_READ, a, 1, g_buf, &c);
    dmirror(g_fd[k], HMM_DMIRROR_WRITE, a, 1, g_buf, &c);
    snapshot(k, a, 1, g_perm);
    dmirror(g_fd[k], HMM_DMIRROR_MIGRATE_TO_SYS, a, 1, g_buf, &c);
    munmap(scratch, PAGE);
  }
}

void hmm_pretouch(void) {
  memset(g_buf, 0, sizeof g_buf);
  memset(g_perm, 0, sizeof g_perm);
  memset(g_before, 0, sizeof g_before);
}

static void count(struct slot *sl, int kind, long rc, const struct hmm_dmirror_cmd *c) {
  sl->hmm_calls[kind]++;
  if (rc) sl->hmm_errors[kind]++;
  sl->hmm_cpages[kind] += c->cpages;
  sl->hmm_faults[kind] += c->faults;
}

/* One ioctl over n pages of one mapping (n <= HBATCH). */
static void batch(const struct event *e, const struct map *m, uint64_t real, uint64_t n, struct slot *sl) {
  struct hmm_dmirror_cmd c;
  if (e->op == OP_MIGRATE && e->to_dev >= 0) {
    /* MIGRATE_TO_DEV's cpages is what its bounce read found mirrored afterwards, not what moved:
     * SNAPSHOT before and after says which pages arrived. A present system page of a file or
     * shmem mapping is collected and given a destination, then refused by migrate_vma_pages()
     * ("only anonymous memory"), and the device page goes back. */
    int k = e->to_dev;
    unsigned char local = g_hmm.type == 1 ? PROT_DEV_PRIVATE_LOCAL : PROT_DEV_COHERENT_LOCAL;
    if (snapshot(k, real, n, g_before)) memset(g_before, PROT_ERROR, n);
    count(sl, HMM_TO_DEV, dmirror(g_fd[k], HMM_DMIRROR_MIGRATE_TO_DEV, real, n, g_buf, &c), &c);
    sl->hmm_bounce_pages += n;
    if (snapshot(k, real, n, g_perm)) memset(g_perm, PROT_ERROR, n);
    for (uint64_t j = 0; j < n; j++) {
      int was = (g_before[j] & 0xf0) == local, now = g_perm[j] != PROT_ERROR && (g_perm[j] & 0xf0) == local;
      int offered = g_before[j] != PROT_ERROR && (g_before[j] & PROT_RW) && (g_before[j] & 0xf0) == 0 && m->kind != K_ANON;
      if (!was && now) sl->hmm_arrived++;
      else if (offered && !now) sl->hmm_refused++;
    }
  } else if (e->op == OP_MIGRATE) {
    count(sl, HMM_TO_SYS, dmirror(g_fd[e->dev], HMM_DMIRROR_MIGRATE_TO_SYS, real, n, g_buf, &c), &c);
  } else {
    int kind = e->op == OP_READ ? HMM_READ : HMM_WRITE;
    count(sl, kind, dmirror(g_fd[e->dev], kind == HMM_READ ? HMM_DMIRROR_READ : HMM_DMIRROR_WRITE, real, n, g_buf, &c), &c);
    sl->hmm_bounce_pages += n;
  }
}

/* A device agent's access or migrate over the trace pages [s, end), in ioctls of up to HBATCH
 * contiguous pages of one mapping (test_hmm walks 64 pages at a time itself). Each ioctl leaves a
 * lazily freed vmap area behind (vfree() -> purge_vmap_area_lazy()): per page, they added slab
 * pages the design has no counterpart for. The worker maps implicit pages before calling this. */
void hmm_run(const struct event *e, uint64_t s, uint64_t end, struct slot *sl) {
  int missing = 0;
  for (uint64_t a = s; a < end;) {
    int i = map_find(a);
    if (i < 0) { missing = 1; a += PAGE; continue; }
    uint64_t stop = g_maps[i].te < end ? g_maps[i].te : end, n = (stop - a) / PAGE;
    if (n > HBATCH) n = HBATCH;
    batch(e, &g_maps[i], g_maps[i].real + (a - g_maps[i].ts), n, sl);
    sl->calls[e->op] += n;
    a += n * PAGE;
  }
  if (missing) sl->unmapped[e->op]++;
}

/* ,"devices":{"k":pages} - pages of the mapping resident on each device (its LOCAL snapshot state). */
void hmm_mapping_json(struct jbuf *b, const struct map *m) {
  if (!g_hmm.type) return;
  uint64_t n = (m->te - m->ts) / PAGE;
  jb_printf(b, ",\"devices\":{");
  int want = g_hmm.type == 1 ? PROT_DEV_PRIVATE_LOCAL : PROT_DEV_COHERENT_LOCAL;
  for (int k = 0; k < g_hmm.ndev; k++) {
    uint64_t on = 0;
    for (uint64_t done = 0; done < n;) {
      uint64_t chunk = n - done < SNAP_PAGES ? n - done : SNAP_PAGES;
      struct hmm_dmirror_cmd c;
      if (dmirror(g_fd[k], HMM_DMIRROR_SNAPSHOT, m->real + done * PAGE, chunk, g_perm, &c) == 0)
        for (uint64_t i = 0; i < chunk; i++) on += (g_perm[i] & 0xf0) == want;
      done += chunk;
    }
    jb_printf(b, "%s\"%d\":%llu", k ? "," : "", k, (unsigned long long)on);
  }
  jb_printf(b, "}");
}

/* ,"hmm":{...} - the process's test_hmm ioctls: calls, failed calls, cpages and faults per kind. */
void hmm_slot_json(struct jbuf *b, const struct slot *sl) {
  static const char *const names[HMM_OPS] = { "read", "write", "migrate_to_dev", "migrate_to_sys" };
  if (!g_hmm.type) return;
  jb_printf(b, ",\"hmm\":{\"bounce_pages\":%llu,\"arrived\":%llu,\"refused\":%llu", (unsigned long long)sl->hmm_bounce_pages,
            (unsigned long long)sl->hmm_arrived, (unsigned long long)sl->hmm_refused);
  for (int k = 0; k < HMM_OPS; k++)
    jb_printf(b, ",\"%s\":{\"calls\":%llu,\"failed\":%llu,\"cpages\":%llu,\"faults\":%llu}", names[k],
              (unsigned long long)sl->hmm_calls[k], (unsigned long long)sl->hmm_errors[k],
              (unsigned long long)sl->hmm_cpages[k], (unsigned long long)sl->hmm_faults[k]);
  jb_printf(b, "}");
}
