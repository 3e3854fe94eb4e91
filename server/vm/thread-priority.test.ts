/**
 * A VM's worker thread lowers its own priority, not the process's: the main thread keeps its nice value. Read from
 * /proc/thread-self/stat (field 19, nice) in each thread. The module is loaded from dist/ in the worker.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The calling thread's nice value (/proc/thread-self/stat: fields after the command name, nice is the 17th). */
const NICE_OF_THIS_THREAD = `Number(require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16])`;
const niceHere = (): number => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16]);

describe('VM thread priority', () => {
  it.runIf(process.platform === 'linux')('a worker lowers its own thread by 5, and the main thread keeps its priority', async () => {
    const main = niceHere();
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(join(root, 'dist/server/vm/thread-priority.js'))}).then(({ lowerThisThreadsPriority }) => {
        const before = ${NICE_OF_THIS_THREAD};
        const returned = lowerThisThreadsPriority();
        parentPort.postMessage({ before, returned, after: ${NICE_OF_THIS_THREAD} });
      });
    `, { eval: true });
    const seen = await new Promise<{ before: number; returned: number | null; after: number }>((resolve) => worker.once('message', resolve));
    await worker.terminate();
    expect(seen.before).toBe(main);
    expect(seen.returned).toBe(Math.min(19, main + 5));
    expect(seen.after).toBe(Math.min(19, main + 5));
    expect(niceHere()).toBe(main);
  });
});
