// The real-kernel half of `cdm-replay kernel-check`: boot Debian's stock 6.12 under qemu (TCG) with
// the machine's NUMA topology, replay a trace@1 CSV in it, return the kernel's observables.
export { runKernelReplay, type KernelReplayOptions } from './run.js';
export { checkPrerequisites, type Prerequisites } from './prereqs.js';
export { qemuArgs, guestTopology, kernelCmdline, type KernelMachine, type KernelNode } from './topology.js';
export { guestReportSchema, extractResult, type GuestReport, type KernelObservation } from './observation.js';
export { GuestCrashError, GuestTraceError, KernelPrerequisiteError, type MissingPrerequisite } from './errors.js';
export { PINNED_KERNEL, cacheRoot, kernelDir, resolveKernel } from './paths.js';
