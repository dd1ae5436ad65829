// Building blocks of the player's and the studio's controls: icon buttons whose label follows
// their state, a disclosure popover (the quality menu), controls that hide when idle and come
// back on any pointer or keyboard activity, and keyboard shortcuts.

import { h } from './dom';
import { icon, type IconName } from './icons';

/** A button showing an icon, with a text label for assistive technology and a tooltip. */
export class IconButton {
  readonly el: HTMLButtonElement;
  private readonly label: HTMLSpanElement;

  constructor(name: string, iconName: IconName, label: string) {
    this.label = h('span', { class: 'visually-hidden' }, label);
    this.el = h('button', { class: 'ctl', type: 'button', 'data-control': name, title: label }, icon(iconName), this.label);
  }

  /** Changes icon and label together (e.g. "Mute" ⇄ "Unmute"). */
  set(iconName: IconName, label: string): void {
    this.el.replaceChildren(icon(iconName), this.label);
    this.label.textContent = label;
    this.el.title = label;
  }

  onClick(fn: () => void): this {
    this.el.addEventListener('click', fn);
    return this;
  }
}

/**
 * A button that opens a small panel (role-less disclosure: the panel holds native form
 * controls, so keyboard behaviour is the browser's). Escape or a click elsewhere closes it and
 * Escape returns focus to the button.
 */
export class Popover {
  readonly button: IconButton;
  readonly panel: HTMLDivElement;
  readonly el: HTMLDivElement;

  constructor(name: string, iconName: IconName, label: string, id: string) {
    this.button = new IconButton(name, iconName, label);
    this.panel = h('div', { class: 'popover', id, hidden: true });
    this.button.el.setAttribute('aria-expanded', 'false');
    this.button.el.setAttribute('aria-controls', id);
    this.el = h('div', { class: 'popover-wrap' }, this.button.el, this.panel);
    this.button.onClick(() => this.toggle(!this.open));
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.panel.hidden) {
        e.stopPropagation();
        this.toggle(false);
        this.button.el.focus();
      }
    });
    document.addEventListener('pointerdown', (e) => {
      if (!this.panel.hidden && !this.el.contains(e.target as Node)) this.toggle(false);
    });
  }

  get open(): boolean {
    return !this.panel.hidden;
  }

  toggle(open: boolean): void {
    this.panel.hidden = !open;
    this.button.el.setAttribute('aria-expanded', String(open));
    if (open) this.panel.querySelector<HTMLElement>('input:checked, input, button')?.focus();
  }
}

/** A group of radio buttons in a fieldset; `onChange` gets the chosen value. */
export function radioGroup(
  name: string,
  legend: string,
  options: { value: string; label: string }[],
  checked: string,
  onChange: (value: string) => void,
): HTMLFieldSetElement {
  const set = h('fieldset', { class: 'radio-group' }, h('legend', {}, legend));
  for (const o of options) {
    const input = h('input', { type: 'radio', name, value: o.value, checked: o.value === checked });
    input.addEventListener('change', () => input.checked && onChange(o.value));
    set.append(h('label', { class: 'radio' }, input, h('span', {}, o.label)));
  }
  return set;
}

/**
 * Hides a player's controls after `idleMs` without pointer or keyboard activity, while
 * `mayHide()` allows it (e.g. while video plays and no menu is open). Any pointer movement,
 * touch, key press or focus change inside `area` shows them again. Controls never hide while a
 * keyboard user has focus on one of them.
 */
export class IdleHider {
  private timer: number | undefined;

  constructor(
    private readonly area: HTMLElement,
    private readonly controls: HTMLElement,
    private readonly mayHide: () => boolean,
    private readonly idleMs = 3000,
  ) {
    for (const ev of ['pointermove', 'pointerdown', 'keydown', 'focusin']) {
      area.addEventListener(ev, () => this.wake());
    }
    area.addEventListener('pointerleave', () => this.schedule(800));
    this.wake();
  }

  get hidden(): boolean {
    return this.area.classList.contains('is-idle');
  }

  /** Shows the controls and starts the idle countdown again. */
  wake(): void {
    this.area.classList.remove('is-idle');
    this.schedule(this.idleMs);
  }

  private schedule(ms: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      const keyboardFocus = this.controls.querySelector(':focus-visible') !== null;
      if (this.mayHide() && !keyboardFocus) this.area.classList.add('is-idle');
      else this.schedule(this.idleMs);
    }, ms);
  }
}

/** A shortcut: the keys that trigger it (`KeyboardEvent.key`, lower case) and what it does. */
export interface Shortcut {
  keys: string[];
  run: () => void;
  /** Only while focus is inside this element (arrow keys would otherwise stop scrolling the page). */
  within?: HTMLElement;
}

/**
 * Page-wide keyboard shortcuts. Keys typed into a form field, or with Ctrl/Alt/Meta held, are
 * left alone; Space on a button or link keeps its native meaning (activating it).
 */
export function bindShortcuts(shortcuts: Shortcut[]): void {
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target instanceof HTMLElement ? e.target : null;
    if (target?.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]')) return;
    const key = e.key.toLowerCase();
    if (key === ' ' && target?.closest('button, a, summary')) return;
    const hit = shortcuts.find((s) => s.keys.includes(key) && (!s.within || s.within.contains(target)));
    if (!hit) return;
    e.preventDefault();
    hit.run();
  });
}
