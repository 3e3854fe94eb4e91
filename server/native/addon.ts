/**
 * The server's optional native addon (server/native/native.c, compiled by scripts/build-native.sh into
 * dist/server/native/native.node): what the process needs from the C library that Node cannot do from JavaScript.
 * Null where it is not built (not Linux, no C compiler at build time) or does not load (built for another Node);
 * every user has a fallback, and the server warns at start on Linux when it is missing.
 */
import { createRequire } from 'node:module';

export interface NativeAddon {
  /** glibc's malloc_trim(0): hands free malloc memory back to the OS; whether any was (undefined off glibc). */
  trim(): boolean | undefined;
  /** Fixes glibc's trim and mmap thresholds (mallopt) at this many bytes, top pad 0; whether it could (undefined off glibc). */
  tuneAllocator(bytes: number): boolean | undefined;
  /** execve(2): replaces the process (same pid); returns only by throwing (code ERR_EXEC, the system's message). */
  exec(file: string, argv: readonly string[], env: readonly string[]): never;
  /** Whether the C library is glibc. */
  readonly glibc: boolean;
  /** A new close-on-exec descriptor for the same open file (fcntl F_DUPFD_CLOEXEC); throws on failure. */
  dupDescriptor(fd: number): number;
}

/** Where it is, from this module in dist/server/native/ (the server) or in server/native/ (tests run from source). */
const ADDON_PATHS = ['./native.node', '../../dist/server/native/native.node'];

/** Where the build puts it, for messages. */
export const ADDON_BUILT_AT = 'dist/server/native/native.node';

function load(): NativeAddon | null {
  const require = createRequire(import.meta.url);
  for (const path of ADDON_PATHS) {
    try {
      return require(path) as NativeAddon;
    } catch {
      // Not built there (or not for this Node); try the next place.
    }
  }
  return null;
}

export const nativeAddon: NativeAddon | null = load();
