// AMD KFD SMI event text (FORMATS §2.7): the lines read from an AMDKFD_IOC_SMI_EVENTS file
// descriptor, each "<event id, hex> <message>" with the messages of kfd_smi_events.c /
// KFD_EVENT_FMT_* (include/uapi/linux/kfd_ioctl.h):
//   page fault start  "%lld -%d @%lx(%x) %c"            ns -pid @page(gpu_id) R|W
//   page fault end    "%lld -%d @%lx(%x) %c"            ... M|U
//   migrate start     "%lld -%d @%lx(%lx) %x->%x %x:%x %d"  ns -pid @start_page(npages) from->to prefetch:preferred trigger
//   migrate end       "%lld -%d @%lx(%lx) %x->%x %d[ %d]"   (+ error code on newer kernels)
// Addresses and sizes are in pages (4 KiB), locations are gpu_ids or 0 for system memory. Event ids
// were renumbered across kernels, so lines are recognised by shape, not id. Streamed.
import { TraceDataError } from '../errors.js';
import { Op, type TraceInfo, type TraceReader } from './events.js';
import { DeviceMap, type DeviceReadOptions } from './device-map.js';
import { clipText, EventWriter, skip } from './event-writer.js';
import { textLines } from './text-lines.js';

export const KFD_SMI = 'kfd-smi';
const PAGE_SHIFT = 12n;
const HEX = /^[0-9a-f]+$/i;

/** KFD_MIGRATE_TRIGGER_* (uapi enum order). */
const TRIGGERS = ['prefetch', 'pagefault_gpu', 'pagefault_cpu', 'ttm_eviction'];

const EVENT_START = /^([0-9a-f]+) (\d+) -(\d+) (.*)$/i;
const FAULT = /^@([0-9a-f]+)\(([0-9a-f]+)\) ([RWMU])$/i;
const MIGRATE_START = /^@([0-9a-f]+)\(([0-9a-f]+)\) ([0-9a-f]+)->([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (-?\d+)$/i;
const MIGRATE_END = /^@([0-9a-f]+)\(([0-9a-f]+)\) ([0-9a-f]+)->([0-9a-f]+) (-?\d+)(?: (-?\d+))?$/i;
const UNMAP = /^@([0-9a-f]+)\(([0-9a-f]+)\) ([0-9a-f]+) (-?\d+)$/i;

/** gpu_id as the trace prints it: lower-case hex without 0x. */
const gpuKey = (raw: string): string | null => {
  const s = raw.replace(/^0x/i, '').toLowerCase();
  return HEX.test(s) ? s.replace(/^0+(?=.)/, '') : null;
};

async function* readKfd(chunks: AsyncIterable<Buffer>, info: TraceInfo, options: DeviceReadOptions) {
  info.format = KFD_SMI;
  info.columns = ['op', 'addr', 'len', 'time', 'pid', 'agent', 'nodes'];
  const map = new DeviceMap(options.deviceMap, gpuKey, true);
  const w = new EventWriter(info, options, true);
  const triggers = new Map<string, number>();
  let faults = 0;
  for await (const { text, no } of textLines(chunks, info.path)) {
    const line = text.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${no}`;
    const m = EVENT_START.exec(line);
    if (!m) {
      // VM fault ("1 pid:name"), thermal ("2 mask:count"), GPU reset ("3 seq cause") have no ns -pid.
      if (/^[0-9a-f]+ \S/i.test(line) && !line.includes('@')) {
        skip(info, `SMI event without a page (id ${line.split(' ')[0]})`);
        continue;
      }
      throw new TraceDataError(info.path, where, 'line', clipText(line),
        'is not a KFD SMI event (expected "<event id hex> <ns> -<pid> @<page>(<gpu|npages>) ...")');
    }
    const [, id, ns, pidText, rest] = m;
    const pid = Number(pidText);
    if (!rest.startsWith('@')) {
      skip(info, `SMI event without a page (id ${id})`); // queue eviction / restore
      continue;
    }
    const time = BigInt(ns);
    let f: RegExpExecArray | null;
    if ((f = FAULT.exec(rest))) {
      const kind = f[3].toUpperCase();
      if (kind === 'M' || kind === 'U') {
        skip(info, 'page fault end (replayed at its start)');
        continue;
      }
      const gpu = gpuKey(f[2]) as string;
      w.add({ op: kind === 'W' ? Op.write : Op.read, addr: BigInt(`0x${f[1]}`) << PAGE_SHIFT, len: NaN, time, pid, agent: map.agent(gpu), nodes: 0, line: no }, where);
      faults++;
    } else if ((f = MIGRATE_START.exec(rest))) {
      const npages = BigInt(`0x${f[2]}`);
      const from = gpuKey(f[3]) as string;
      const to = gpuKey(f[4]) as string;
      if (npages === 0n || npages > 1n << 40n) {
        throw new TraceDataError(info.path, where, 'npages', f[2], 'is not a page count (expected hex, 0 < npages < 2^40)');
      }
      if (from === to) {
        skip(info, 'migrate within one location');
        continue;
      }
      const trigger = TRIGGERS[Number(f[7])] ?? `trigger ${f[7]}`;
      triggers.set(trigger, (triggers.get(trigger) ?? 0) + 1);
      // The driver of the GPU end of the move acts; location 0 is system memory (the host node).
      const gpu = to !== '0' ? to : from;
      w.add({
        op: Op.migrate, addr: BigInt(`0x${f[1]}`) << PAGE_SHIFT, len: Number(npages << PAGE_SHIFT), time, pid,
        agent: map.agent(gpu), nodes: map.nodeMask(to === '0' ? null : to), line: no,
      }, where);
    } else if (MIGRATE_END.test(rest)) {
      skip(info, 'migrate end (replayed at its start)');
      continue;
    } else if (UNMAP.test(rest)) {
      skip(info, 'unmap from GPU');
      continue;
    } else {
      throw new TraceDataError(info.path, where, `event ${id}`, clipText(rest),
        'is not a page fault ("@<page>(<gpu>) R|W|M|U") or migration ("@<page>(<npages>) <from>-><to> ...") (expected kfd_smi_events.c formats)');
    }
    if (w.full) {
      yield w.take();
      w.batch.count = 0;
    }
  }
  info.meta['kfd.gpu_faults'] = String(faults);
  info.meta['kfd.migrate_triggers'] = [...triggers].map(([k, v]) => `${k}=${v}`).join(',');
  info.meta['kfd.device_map'] = map.describe();
  if (w.clamped > 0) info.meta['kfd.times_clamped'] = String(w.clamped);
  if (w.batch.count > 0) yield w.take();
}

/** Some line has the "<hex id> <ns> -<pid> @<hex>(<hex>) " shape of a fault or migration. */
export const sniffKfdSmi = (head: string): boolean => /^\s*[0-9a-f]+ \d+ -\d+ @[0-9a-f]+\([0-9a-f]+\) /im.test(head);

export const kfdSmiReader: TraceReader = {
  name: KFD_SMI,
  description: 'AMD KFD SMI event text (kfd_smi_events.c): GPU page faults and HMM/ZONE_DEVICE migrations',
  producedBy: 'the lines read from a KFD SMI event fd (AMDKFD_IOC_SMI_EVENTS, mask MIGRATE_START|MIGRATE_END|PAGE_FAULT_START|PAGE_FAULT_END) > kfd.txt',
  sniff: sniffKfdSmi,
  copiesChunks: true, // textLines decodes each chunk to strings; nothing else sees the bytes
  options: ['deviceMap'],
  read: (chunks, info, options) => readKfd(chunks, info, options as DeviceReadOptions),
};
