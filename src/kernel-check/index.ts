// The real-kernel half of `cdm-replay kernel-check`: boot Debian's stock 6.12 under qemu (TCG) with
// the machine's NUMA topology, replay a trace@1 CSV in it, return the kernel's observables; and the
// comparison of those with the `mainline` simulator (check.ts).
export { runKernelReplay, type KernelReplayOptions } from './run.js';
export { checkPrerequisites, type Prerequisites } from './prereqs.js';
export { qemuArgs, guestTopology, kernelCmdline, type KernelMachine, type KernelNode } from './topology.js';
export { guestReportSchema, extractResult, type GuestReport, type KernelObservation } from './observation.js';
export { GuestCrashError, GuestTraceError, KernelPrerequisiteError, type MissingPrerequisite } from './errors.js';
export { PINNED_KERNEL, cacheRoot, kernelDir, resolveKernel } from './paths.js';
export { guestSetup, guestZones, minNode0Bytes, type GuestSetup } from './machine.js';
export { compareRuns, summarise, type CheckRow, type Summary } from './compare.js';
export { runKernelCheck, runKernelCheckConfirmed, KERNEL_CHECK_SCHEMA, type KernelCheckOptions, type KernelCheckResult } from './check.js';
export { renderCheckJson, renderCheckMarkdown, renderCheckTable } from './table.js';
export { EXACT, TIMING, within, type Tolerance } from './tolerance.js';
