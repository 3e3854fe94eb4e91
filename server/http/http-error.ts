/** An HTTP request refused with a status, a stable code and a message: the one error the HTTP side turns into a reply. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}
