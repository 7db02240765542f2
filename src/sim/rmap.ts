// Reverse mapping: find and remove every mapping of a page (mm/rmap.c try_to_unmap()). Anon pages
// have one owner (pid, vpn); file and shmem pages are found through the VMAs mapping their file,
// as the kernel walks i_mmap.
import type { Machine } from './machine.js';
import { PTE_SWAP } from './machine.js';
import { Rss } from './mm.js';
import { PageKind, PF } from './pages.js';
import { NS } from './vmstat.js';

/** Calls fn(mm, vpn) for each mapping of the page. */
export function forEachMapping(m: Machine, s: number, fn: (pid: number, vpn: number) => void): void {
  const p = m.pages;
  if (p.kind[s] === PageKind.ANON) {
    if (m.ptes.get(p.space[s], p.index[s]) === s) fn(p.space[s], p.index[s]);
    return;
  }
  const file = -p.space[s] - 1;
  const pgoff = p.index[s];
  for (const mm of m.fileMappers[file]) {
    for (const v of mm.vmas) {
      if (v.fileId !== file || pgoff < v.pgoff || pgoff >= v.pgoff + (v.end - v.start)) continue;
      const vpn = v.start + (pgoff - v.pgoff);
      if (m.ptes.get(mm.pid, vpn) === s) fn(mm.pid, vpn);
    }
  }
}

/** Removes one mapping of page `s` at (pid, vpn); `swapped` leaves a swap entry (anon swap-out). */
export function unmapOne(m: Machine, s: number, pid: number, vpn: number, swapped: boolean): void {
  const p = m.pages;
  const mm = m.mms.get(pid)!;
  if (swapped && p.kind[s] === PageKind.ANON) {
    m.ptes.set(pid, vpn, PTE_SWAP);
    mm.rss[Rss.SWAPENTS]++;
  } else {
    m.ptes.delete(pid, vpn);
  }
  mm.rss[rssSlot(p.kind[s])]--;
  p.mapcount[s]--;
  if (p.kind[s] !== PageKind.ANON && p.mapcount[s] === 0) m.counters.addNode(NS.nr_mapped, p.node[s], -1);
  p.flags[s] &= ~PF.PROTNONE;
}

export function unmapAll(m: Machine, s: number, swapped: boolean): void {
  const targets: number[] = [];
  forEachMapping(m, s, (pid, vpn) => targets.push(pid, vpn));
  for (let i = 0; i < targets.length; i += 2) unmapOne(m, s, targets[i], targets[i + 1], swapped);
}

export const rssSlot = (kind: number): number =>
  kind === PageKind.ANON ? Rss.ANON : kind === PageKind.SHMEM ? Rss.SHMEM : Rss.FILE;
