/**
 * `mlstack check … | head -1`: once the reader has gone, writes to stdout fail with EPIPE. Node
 * raises that as an unhandled 'error' event (a stack trace and exit 1) unless the stream has a
 * listener. The guard swallows EPIPE (and the "write after destroy" errors that follow it) so the
 * command finishes quietly with its own exit code; any other stream error is re-raised.
 */
import type { Writable } from "stream";

const QUIET_CODES = new Set(["EPIPE", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

export function guardBrokenPipe(stream: Writable): void {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== undefined && QUIET_CODES.has(err.code)) return;
    throw err;
  });
}
