/**
 * The runtime's typed failures: each carries the exit status of the contract (components/backup/contract/exitCodes.ts)
 * a run ends with, and the fields its log line names.
 */
import { EXIT, type ExitCode } from "../contract";
import type { LogFields } from "./log";

export class RunError extends Error {
  constructor(
    message: string,
    readonly exit: ExitCode = EXIT.failed,
    readonly fields: LogFields = {},
  ) {
    super(message);
    this.name = "RunError";
  }
}

/** A usage or configuration error: the same run fails the same way again (not retried). */
export class ConfigError extends RunError {
  constructor(message: string, fields: LogFields = {}) {
    super(message, EXIT.config, fields);
    this.name = "ConfigError";
  }
}

/** A drill or restore cannot open an age-encrypted backup. */
export class DecryptError extends RunError {
  constructor(message: string, fields: LogFields = {}) {
    super(`DECRYPT FAILED: ${message}`, EXIT.decrypt, fields);
    this.name = "DecryptError";
  }
}

/** The last `max` characters of a tool's stderr, for a failure's `detail` field. */
export const tail = (text: string, max = 2000) => (text.length > max ? text.slice(-max) : text);
