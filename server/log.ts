/**
 * The service's log: pino, one JSON object per line on stderr by default (for a log shipper), or pino-pretty's
 * readable lines when stderr is a terminal (or --log-format pretty). Every line has `msg`; events carry their
 * fields: `vm`, `role`, `code`, `reason`, ... (docs/cli.md lists them).
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

import type { LogFormat, LogLevel } from './log-levels.js';

export type { Logger };

export function createLogger(format: LogFormat, level: LogLevel): Logger {
  // Levels by name and ISO times: what a person or a log shipper reads without a table.
  const options = { level, base: { service: 'hindsight' }, formatters: { level: (label: string) => ({ level: label }) }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'pretty') {
    return pino(options, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/** A logger that writes nothing (library use of startServer without one). */
export const silentLogger: Logger = pino({ level: 'silent' });
