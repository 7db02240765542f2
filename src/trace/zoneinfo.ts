// A pfn -> node map from a /proc/zoneinfo file (`--zoneinfo`), for ftrace's mm_page_alloc, which
// names a pfn but no node. Each zone block starts with `Node N, zone NAME` and carries
// `spanned S` and `start_pfn: P`: the zone spans pfns [P, P + S). Empty zones (spanned 0) are
// left out. Zone spans may contain holes but do not overlap across nodes on the machines this
// is for; where they would, the zone starting last before the pfn wins.
import { readFile } from 'node:fs/promises';
import { TraceDataError, UsageError } from '../errors.js';

export interface ZoneSpan {
  node: number;
  zone: string;
  start: number;
  end: number;
}

export class ZoneMap {
  private readonly starts: Float64Array;

  constructor(readonly zones: readonly ZoneSpan[]) {
    this.starts = Float64Array.from(zones, (z) => z.start);
  }

  /** The node of pfn, or -1 when no zone spans it. */
  nodeOf(pfn: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= pfn) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && pfn < this.zones[found].end ? this.zones[found].node : -1;
  }
}

const HEADER = /^Node\s+(\d+),\s*zone\s+(\S+)/;
const SPANNED = /^\s*spanned\s+(\d+)\s*$/;
const START = /^\s*start_pfn:\s+(\d+)\s*$/;

/** Parses the text of a /proc/zoneinfo; `file` names it in errors. */
export function parseZoneinfo(text: string, file: string): ZoneMap {
  const zones: ZoneSpan[] = [];
  let cur: { node: number; zone: string; line: number; spanned?: number; start?: number } | null = null;
  const close = (): void => {
    if (cur === null) return;
    if (cur.spanned === undefined) {
      throw new TraceDataError(file, `${cur.line}`, 'zone', `Node ${cur.node}, zone ${cur.zone}`, 'has no "spanned" line (expected a /proc/zoneinfo block)');
    }
    if (cur.spanned > 0) {
      if (cur.start === undefined) {
        throw new TraceDataError(file, `${cur.line}`, 'zone', `Node ${cur.node}, zone ${cur.zone}`, 'has no "start_pfn:" line (expected a /proc/zoneinfo block)');
      }
      zones.push({ node: cur.node, zone: cur.zone, start: cur.start, end: cur.start + cur.spanned });
    }
    cur = null;
  };
  text.split('\n').forEach((line, i) => {
    const h = HEADER.exec(line);
    if (h) {
      close();
      cur = { node: Number(h[1]), zone: h[2], line: i + 1 };
      return;
    }
    if (cur === null) return;
    const sp = SPANNED.exec(line);
    if (sp) cur.spanned = Number(sp[1]);
    const st = START.exec(line);
    if (st) cur.start = Number(st[1]);
  });
  close();
  if (zones.length === 0) {
    throw new TraceDataError(file, '1', 'zoneinfo', text.slice(0, 40), 'has no zone with pages (expected the text of /proc/zoneinfo: "Node N, zone NAME" blocks with spanned and start_pfn)');
  }
  zones.sort((a, b) => a.start - b.start);
  return new ZoneMap(zones);
}

/** Reads and parses a zoneinfo file; an unreadable file is a UsageError (exit 2). */
export async function loadZoneinfo(path: string): Promise<ZoneMap> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --zoneinfo "${path}": ${(e as Error).message}`);
  }
  return parseZoneinfo(text, path);
}
