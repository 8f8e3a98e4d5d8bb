// A bench-only plugin: the `batch-counter` action records each batch it is given as one line
// (`ban <size> <reasons>`), so the restart bench can tell how many batches a restore took.
import { appendFileSync } from 'node:fs';

export default {
  name: 'bench-batch-counter',
  apiVersion: '1.1.0',
  filters: [],
  fleets: [],
  actions: [
    {
      id: 'batch-counter',
      description: 'Record the size of each batch (bench only).',
      create(options) {
        const record = (op, tickets) => {
          const reasons = [...new Set(tickets.map((t) => t.reason ?? 'failures'))].join(',');
          appendFileSync(options.file, `${op} ${tickets.length} ${reasons}\n`);
        };
        return {
          async start() {},
          async ban(tickets) {
            record('ban', tickets);
          },
          async unban(tickets) {
            record('unban', tickets);
          },
        };
      },
    },
  ],
};
