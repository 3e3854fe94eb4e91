import { SimError } from '../errors.js';

/**
 * A journal that cannot be read as it is, at a known place: the header (record null) or record `record`, whose
 * frame starts at byte `offset` of the file. JOURNAL_CORRUPT: the frame is damaged (length, checksum);
 * JOURNAL_BAD_HEADER / JOURNAL_BAD_RECORD: the frame is sound but what it holds is not valid.
 */
export class JournalFormatError extends SimError {
  constructor(
    code: 'JOURNAL_CORRUPT' | 'JOURNAL_BAD_RECORD' | 'JOURNAL_BAD_HEADER',
    readonly record: number | null,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(code, `${record === null ? 'header' : `record ${record}`} at offset ${offset}: ${problem}`);
  }
}
