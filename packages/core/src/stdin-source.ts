import { LineSplitter } from './line-splitter.js';
import type { LineSink, LogSource } from './log-source.js';
import type { Logger } from './logger.js';

/** A source reading lines from stdin (or another stream): for pipelines (`tail -F x | portcullis …`) and tests. */
export function createStdinSource(options: { logger: Logger; stream?: NodeJS.ReadableStream | undefined }): LogSource {
  const stream = options.stream ?? process.stdin;
  const splitter = new LineSplitter();
  let onData: ((chunk: Buffer | string) => void) | undefined;
  let onEnd: (() => void) | undefined;
  return {
    id: 'stdin',
    async start(sink: LineSink) {
      const emit = (lines: string[]) => {
        if (lines.length) sink(lines.map((text) => ({ text })), 'stdin');
      };
      onData = (chunk) => emit(splitter.push(chunk));
      onEnd = () => {
        emit(splitter.flush());
        options.logger.info('stdin closed');
      };
      stream.on('data', onData);
      stream.on('end', onEnd);
      stream.resume();
    },
    async stop() {
      if (onData) stream.off('data', onData);
      if (onEnd) stream.off('end', onEnd);
      stream.pause();
    },
  };
}
