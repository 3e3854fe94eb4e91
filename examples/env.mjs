// Where the examples find the server and the guests. Set HINDSIGHT_URL (default http://127.0.0.1:8080) and the
// server token as HINDSIGHT_TOKEN, or HINDSIGHT_TOKEN_FILE (default hindsight-data/server-token, where
// `hindsight serve` generates one).
import { readFileSync } from 'node:fs';
import { HindsightClient } from 'hindsight';

export function clientFromEnv() {
  const url = process.env.HINDSIGHT_URL ?? 'http://127.0.0.1:8080';
  const token = process.env.HINDSIGHT_TOKEN ?? readFileSync(process.env.HINDSIGHT_TOKEN_FILE ?? 'hindsight-data/server-token', 'utf8').trim();
  return new HindsightClient(url, token);
}

/** A guest ELF shipped with hindsight (guests/build), for its symbols. */
export function guestElf(name) {
  return readFileSync(new URL(`../guests/build/${name}`, import.meta.url));
}
