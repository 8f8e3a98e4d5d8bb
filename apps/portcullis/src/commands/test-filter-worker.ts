// A worker thread of a split test-filter scan (see split-scan.ts): resolves and compiles the same filter
// from the same command line, scans its part of the file and posts the counts back.
import { parentPort, workerData } from 'node:worker_threads';
import { compileFilter } from '@portcullis/core/filtering';
import { type SplitJob, scanPart } from './split-scan.js';
import { testFilterDefinition } from './test-filter-definition.js';

const { job, index } = workerData as { job: SplitJob; index: number };
const filter = compileFilter(await testFilterDefinition(job.source), job.options);
parentPort!.postMessage(scanPart(filter, job, index));
