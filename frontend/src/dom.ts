// Small DOM helpers: elements built from tag, attributes and children (never from HTML strings,
// so nothing a stream title contains can become markup), and typed lookups of the hooks the
// server-rendered templates carry.

type Attr = string | number | boolean | undefined | null;
type Child = Node | string | null | undefined | false;

/**
 * `h('button', { class: 'btn', type: 'button', 'aria-pressed': false }, 'Mute')`.
 * `true` sets an empty attribute, `false`/`null`/`undefined` leaves it out; `aria-*` values are
 * written as strings (so `'aria-pressed': false` is `aria-pressed="false"`).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

export function setAttrs(el: Element, attrs: Record<string, Attr>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith('aria-') && typeof value === 'boolean') {
      el.setAttribute(name, String(value));
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (value === false || value === null || value === undefined) {
      el.removeAttribute(name);
    } else {
      el.setAttribute(name, String(value));
    }
  }
}

/** The element under `root` marked `data-role="<role>"`; throws when the template lacks it. */
export function role<T extends HTMLElement = HTMLElement>(root: ParentNode, name: string): T {
  const el = root.querySelector<T>(`[data-role="${name}"]`);
  if (!el) throw new Error(`the page has no [data-role="${name}"] element`);
  return el;
}

/** Replaces an element's children with `children`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/** `1 viewer`, `3 viewers`. */
export function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** `0:07`, `12:34`, `1:02:03` for a duration in seconds. */
export function clock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** The error's own message, for people (never a stack). */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** `the connection dropped` → `The connection dropped`. */
export function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
