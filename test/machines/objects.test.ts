import { gibSpec, gisaSpec } from '../../machines/gisa/index.ts';
import { kvmSpec } from '../../machines/system/index.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { mdevSpec, queueSpec } from '../../machines/vfio-ap/index.ts';
import { describeVariants } from '../support/variants.ts';

for (const spec of [gibSpec, gisaSpec, vcpuSpec, queueSpec, mdevSpec, kvmSpec]) describeVariants(spec);
