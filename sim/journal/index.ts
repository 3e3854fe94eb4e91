/** The journal: record every exit, answer and input; replay bit-exactly; report the first divergence. */
export { JOURNAL_MAGIC, JOURNAL_VERSION, type JournalHeader, type JournalInput, type JournalRecord, encodeFrame, encodePreamble } from './format.js';
export { readJournal, type ParsedJournal, type JournalEntry, type ExitIndexEntry } from './reader.js';
export { FileJournalWriter, MemoryJournalWriter, type RecordSink } from './writer.js';
export { VcpuSession, applyInput, journalHeader, sha256, DEFAULT_DIGEST_EVERY_EXITS } from './session.js';
export { replayJournal, Replayer, machineForJournal, firstDifference, show, type Divergence, type ReplayOptions, type ReplayResult, type ReplayStep } from './replay.js';
export { crc32 } from './crc32.js';
export { JournalStream, type StreamedRecord, type StreamEnd, type StreamPosition } from './stream-reader.js';
export { decodeAt } from './codec.js';
