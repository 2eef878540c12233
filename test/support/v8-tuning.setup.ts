// Each test worker runs checks as the CLI does: V8's tier-up tuned as the CLI tunes it (src/v8-tuning.ts).
import { tuneV8 } from '../../src/v8-tuning.ts';

tuneV8();
