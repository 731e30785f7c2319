import type { LocalStats } from './LocalStats.js';

/** Where the progress line goes; process.stdout by default. */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY?: boolean;
}

/**
 * Shows the pipeline counters: a live line rewritten in place on a TTY (`live`), or a plain line every
 * `intervalMs` when something changed (`lines`, for logs and CI). Returns the controller; `clear()`
 * removes the live line before another line is printed, `stop()` ends it.
 */
export const startProgress = (
  stats: LocalStats,
  options: { mode: 'auto' | 'live' | 'lines' | 'off'; sink?: ProgressSink; intervalMs?: number },
) => {
  const sink: ProgressSink = options.sink ?? process.stdout;
  const mode = options.mode === 'auto' ? (sink.isTTY ? 'live' : 'lines') : options.mode;
  let shown = false;
  let last = '';
  const render = () => {
    const line = stats.line();
    if (mode === 'live') {
      sink.write(`\r\x1b[2K${line}`);
      shown = true;
    } else if (line !== last) {
      sink.write(`[progress] ${line}\n`);
    }
    last = line;
  };
  const timer =
    mode === 'off' ? undefined : setInterval(render, options.intervalMs ?? (mode === 'live' ? 250 : 5000));
  timer?.unref();
  return {
    mode,
    /** Erases the live line (call before writing a log line), it is redrawn on the next tick. */
    clear: () => {
      if (shown) {
        sink.write('\r\x1b[2K');
        shown = false;
      }
    },
    stop: () => {
      if (timer) clearInterval(timer);
      if (mode !== 'off') render();
      if (mode === 'live') sink.write('\n');
    },
  };
};
export type Progress = ReturnType<typeof startProgress>;
