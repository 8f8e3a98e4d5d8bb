import { LineSplitter } from './line-splitter.js';
import { deliverSliced } from './sliced-lines.js';
import type { LineSink, LogSource } from '../contract/log-source.js';
import type { Logger } from '../util/logger.js';

/** Options of {@link createStdinSource}. */
export interface StdinSourceOptions {
  readonly logger: Logger;
  /** The stream to read; default `process.stdin`. */
  readonly stream?: NodeJS.ReadableStream | undefined;
}

/**
 * A source reading lines from stdin (or another stream): for pipelines (`tail -F x | portcullis …`) and
 * tests. Chunks go through the {@link LineSplitter} (long lines cut, invalid UTF-8 replaced) and reach the
 * sink in slices ({@link deliverSliced}); the last line is delivered at the end of the stream even without a
 * newline. Lines reach the sink with origin `stdin`.
 */
export function createStdinSource(options: StdinSourceOptions): LogSource {
  const stream = options.stream ?? process.stdin;
  let detach: (() => void) | undefined;
  return {
    id: 'stdin',
    async start(sink: LineSink) {
      if (detach) return;
      const splitter = new LineSplitter();
      const emit = (lines: string[]): void => {
        deliverSliced(lines, (slice) => sink(slice, 'stdin'));
      };
      const onData = (chunk: Buffer | string): void => splitter.each(chunk, emit);
      const onEnd = (): void => {
        emit(splitter.flush());
        if (splitter.truncated)
          options.logger.warn(
            { truncated: splitter.truncated },
            `stdin: ${splitter.truncated} over-long line(s) were cut`,
          );
        options.logger.info('stdin closed');
      };
      const onError = (error: Error): void =>
        options.logger.error({ err: error }, `cannot read stdin: ${error.message}`);
      stream.on('data', onData);
      stream.once('end', onEnd);
      stream.on('error', onError);
      stream.resume();
      detach = () => {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', onError);
        stream.pause();
      };
    },
    async stop() {
      detach?.();
      detach = undefined;
    },
  };
}
