// Where a command writes, and the error a command throws for bad input (one line, exit 2).

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Whether stderr is a terminal: progress is shown only there. */
  errIsTTY: boolean;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  errIsTTY: Boolean(process.stderr.isTTY),
};

export class UsageError extends Error {
  override name = 'UsageError';
}
