/** Requests sent by id and not yet answered: each one's promise, settled when its reply (or error) comes back. */
export class PendingCalls {
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** A new id and the promise its reply settles; `send` sends the request under that id. */
  call(send: (id: number) => void): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      send(id);
    });
  }

  resolve(id: number, value: unknown): void {
    const call = this.calls.get(id);
    this.calls.delete(id);
    call?.resolve(value);
  }

  reject(id: number, error: Error): void {
    const call = this.calls.get(id);
    this.calls.delete(id);
    call?.reject(error);
  }

  /** Every call still waiting fails with this error (the other side is gone). */
  rejectAll(error: Error): void {
    for (const call of this.calls.values()) call.reject(error);
    this.calls.clear();
  }
}
