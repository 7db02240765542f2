// The backend interface: a placement design is one module that answers the core's decision
// points (src/sim/design.ts) and documents itself for `cdm-replay backends`.
import type { Design } from '../sim/design.js';
import type { KernelModel, MachineSpec } from '../sim/spec.js';

export interface KnobDoc {
  name: string;
  values: string;
  default: string | number | boolean;
  description: string;
}

export interface BackendDef {
  name: string;
  /** One paragraph for `cdm-replay backends` and the report. */
  description: string;
  /** Which kernel generation's rules apply where they changed (KERNEL-MODEL §0). */
  kernelModel: KernelModel;
  /** A variant of another era than the backend's default (hmm coherent-6x is a 6.x design). */
  kernelModelFor?(variant: string | null, knobs: Record<string, unknown>): KernelModel;
  variants: { name: string; description: string }[];
  defaultVariant: string | null;
  knobs: KnobDoc[];
  /** Kernel sources and KERNEL-MODEL sections each rule models. */
  sources: string[];
  /**
   * The design for one variant with the user's knobs (`backends.<name>.*`), validated; returns the
   * effective knobs too, for the report. Throws ConfigError on a bad knob. `machine` is the machine
   * the design runs on (which nodes are device nodes, their distances). A design that builds the
   * machine differently (HMM: device memory as ZONE_DEVICE, not a NUMA node) returns that machine
   * as `machine`; the engine then runs on it instead.
   */
  create(
    variant: string | null, knobs: Record<string, unknown>, machine: MachineSpec,
  ): { design: Design; knobs: Record<string, unknown>; machine?: MachineSpec };
}
