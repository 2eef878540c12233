// The public API of s390-kvm-spec: the spec contract, the registry of machines, the
// explorer and checker, log replay, and what a variant file needs (its type, the machine helpers
// its guards and actions are written with, and the core machines' kernel functions per area).
export type {
  AbstractState,
  Actor,
  ConfigurationInfo,
  EventInfo,
  Instance,
  Invariant,
  LivenessProperty,
  MachineSpec,
  Model,
  ModelOptions,
  Observation,
  ParamInfo,
  VariantInfo,
  KernelFunctionsInfo,
} from './spec.ts';
export { ACTORS, SpecError } from './spec.ts';
export { specs, findSpec } from '../machines/index.ts';
export { explore, traceTo, formatTrace, type Exploration, type ExploreOptions, type TraceStep } from './check/explore.ts';
export { checkModel, type CheckOptions, type CheckResult, type CheckStep, type PropertyResult } from './check/check.ts';
export { checkLeadsTo, checkAlwaysReachable, type LivenessViolation } from './check/liveness.ts';
export { replay, formatPath, formatRecord, MalformedLogError, type ReplayOptions, type ReplayResult, type LogRecord, type PathStep, type Printer, type Step } from './replay/replay.ts';
export { makeFormat, detectFormat, textMappings, type Format, type FormatId } from './replay/formats.ts';
export { formatsListing, type FormatRow } from './replay/list.ts';
export {
  defineVariant,
  type VariantFile,
  type VariantFileFor,
  type CoreVariantFile,
  type CoreMachineId,
  type OwnContextVariantFile,
  type SlotVariantFile,
  type FlicVariantFile,
  type GuardImpl,
  type ActionImpl,
} from './check/variant-file.ts';
export { kernel, update, type SpecEvent, type Ix, type KernelFn, type Effects, type CoreAction, type CoreGuard } from '../machines/lib.ts';
// the core machines' kernel functions per area, as `this` sees them in a kernel replacement (the originals)
export { gisa, vcpu, kvm, vfioAp, type Kernel, type KernelName, type KernelFunctions, type KernelOverrides } from '../machines/kernel.ts';
// the dirty-log machine's kernel functions (a kvm_memory_slot variant file's `kernel`) and their originals
export { baselineKernel as dirtyLog, type DirtyKernel, type SlotContext } from '../machines/dirty-log/kvm_memory_slot.machine.ts';
// the FLIC machine's kernel functions (a kvm_s390_float_interrupt variant file's `kernel`) and their originals
export { baselineKernel as flic, type FlicKernel, type FlicContext } from '../machines/flic-ais/kvm_s390_float_interrupt.machine.ts';
export type { SystemContext, KvmContext, GisaContext, GibContext, VcpuContext, MdevContext, QueueContext, Params } from '../machines/context.ts';
export { FAULT, ISC_INVALID, MAX_ISC, COUNT_CAP, iscBit } from '../machines/context.ts';
export { EBUSY, EINVAL, ENODEV, ERANGE, GAL_ISC } from '../machines/gisa/kvm_s390_gisa_interrupt.machine.ts';
export type { AqicOutcome, PqapAqic } from '../machines/vfio-ap/vfio_ap_queue.machine.ts';
export type { Design, GibStrategy, AqicDesign, GisaDestroy } from '../machines/design.ts';
export { runPathTests, edgeCoverPaths, type Conformance, type SystemUnderTest, type PathTestReport } from './paths/cover.ts';
export { coverPaths, COVERS, type Cover, type Coverage, type PathSet } from './paths/generate.ts';
export { pathFile, pathFileText, PATHS_SCHEMA, PATHS_SCHEMA_VERSION, type PathFile, type PathStep as PathFileStep } from './paths/json.ts';
export { verifyPathFile, type Verification, type Mismatch } from './paths/verify.ts';
export { harnessFor, type Harness } from './paths/harness.ts';
export { kselftestFile, kselftestTarget, type KselftestFile } from './paths/kselftest.ts';
export { coreConformance } from './sut/core.conformance.ts';
export { CoreSut, observeCore } from './sut/core.ts';
export { chartOf } from './export/chart.ts';
export { toMermaid } from './export/mermaid.ts';
export { toDot } from './export/dot.ts';
export { dotToSvg } from './export/svg.ts';
export { toScxml } from './export/scxml.ts';
export { toStatelyJson } from './export/json.ts';
export { traceToMermaid } from './export/sequence.ts';
