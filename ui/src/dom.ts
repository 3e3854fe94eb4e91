/** Building the page: elements from a tag, attributes and children, and the formats every view shares. */

type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | EventListener | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
/** A 64-bit value as 16 hex digits, as register dumps show them. */
export const hex64 = (v: bigint): string => BigInt.asUintN(64, v).toString(16).padStart(16, '0');

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

/** f0..f31 by ABI name: ft0-7, fs0-1, fa0-7, fs2-11, ft8-11. */
export function fpAbiName(i: number): string {
  if (i < 8) return `ft${i}`;
  if (i < 10) return `fs${i - 8}`;
  if (i < 18) return `fa${i - 10}`;
  return i < 28 ? `fs${i - 16}` : `ft${i - 20}`;
}

/** One colour per exit reason (by the reason codes of the timeline columns). */
export const REASON_COLOURS: Record<string, string> = {
  MMIO: '#4e9af1', RISCV_SBI: '#53c68c', INTR: '#e8b84a', SYSTEM_EVENT: '#e25c5c', DEBUG: '#c77ddb', RISCV_CSR: '#4fd1d9', INTERNAL_ERROR: '#ff2d55',
};

/** Parses an address typed by a user: hex with or without 0x, or decimal with a leading '#'. */
export function parseAddress(text: string): bigint | null {
  const t = text.trim().toLowerCase();
  if (/^#[0-9]+$/.test(t)) return BigInt(t.slice(1));
  if (/^(0x)?[0-9a-f]{1,16}$/.test(t)) return BigInt(t.startsWith('0x') ? t : `0x${t}`);
  return null;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
