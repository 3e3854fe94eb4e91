/**
 * A VM's channel (docs/protocol.md) from the browser: one WebSocket of binary msgpack frames, a hello with the
 * VM's token (a replay session's, as its controller) or an observer token (to follow a live VM), then requests
 * with ids and the server's messages (exits, state, travel, ended).
 */
import { decode, encode, type Value } from './msgpack.js';

export type Message = { type: string; [key: string]: Value | undefined };

export class ChannelError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Value) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((m: Message) => void)[] = [];
  welcome: Message | null = null;
  closed = false;

  private constructor(private readonly ws: WebSocket) {}

  static open(channelPath: string, token: string, role: 'controller' | 'observer'): Promise<Channel> {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${channelPath}`);
    ws.binaryType = 'arraybuffer';
    const channel = new Channel(ws);
    return new Promise((resolve, reject) => {
      ws.onopen = () => ws.send(encode({ type: 'hello', protocol: 1, role, token }));
      ws.onmessage = (ev) => {
        const m = decode(new Uint8Array(ev.data as ArrayBuffer)) as Message;
        if (channel.welcome === null) {
          if (m.type === 'welcome') {
            channel.welcome = m;
            resolve(channel);
          } else reject(new ChannelError(String(m.code ?? 'BAD_HELLO'), String(m.message ?? 'refused')));
          return;
        }
        channel.receive(m);
      };
      ws.onclose = (ev) => {
        channel.closed = true;
        const e = new ChannelError('CLOSED', `the channel closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
        for (const p of channel.pending.values()) p.reject(e);
        channel.pending.clear();
        if (channel.welcome === null) reject(e);
        channel.receive({ type: 'closed', code: ev.code });
      };
    });
  }

  private receive(m: Message): void {
    if (m.type === 'reply' || (m.type === 'error' && typeof m.id === 'number')) {
      const p = this.pending.get(m.id as number);
      if (p === undefined) return;
      this.pending.delete(m.id as number);
      if (m.type === 'reply') p.resolve(m.result ?? null);
      else p.reject(new ChannelError(String(m.code), String(m.message)));
      return;
    }
    for (const l of this.listeners) l(m);
  }

  /** Every message that is not a reply: exits, state, travel, ended, errors without an id, and `closed`. */
  onMessage(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  request<T = Value>(op: string, fields: Record<string, Value> = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ChannelError('CLOSED', 'the channel is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: Value) => void, reject });
      this.ws.send(encode({ type: 'req', id, op, ...fields }));
    });
  }

  close(): void {
    this.ws.close(1000);
  }
}
