import { kvmMemorySlotSpec } from '../../machines/dirty-log/kvm_memory_slot.variants.ts';
import { flicSpec } from '../../machines/flic-ais/index.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import { describeVariants } from '../support/variants.ts';

for (const spec of [flicSpec, vfioCcwPrivate, kvmMemorySlotSpec]) describeVariants(spec);
