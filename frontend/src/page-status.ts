// Keeps the server-rendered parts of a page that show the stream's status and audience in step
// with what the room says: status badges (`[data-onair-badge]`), the "Status" fact
// (`[data-onair-status]`) and viewer counts (`[data-onair-viewers]` as "N watching",
// `[data-onair-viewer-count]` as "N"). Without JavaScript they keep the values the page was
// rendered with.

import type { StreamStatus } from './api';
import { fill, h } from './dom';

const LABELS: Record<StreamStatus, string> = { LIVE: 'Live', SCHEDULED: 'Scheduled', ENDED: 'Ended' };

/** The badge the templates render for `status`. */
export function badge(status: StreamStatus): HTMLSpanElement {
  return h(
    'span',
    { class: `badge badge-${status.toLowerCase()}` },
    status === 'LIVE' ? h('span', { class: 'live-dot', 'aria-hidden': 'true' }) : null,
    LABELS[status],
  );
}

export function showStatus(status: StreamStatus): void {
  for (const slot of document.querySelectorAll('[data-onair-badge]')) fill(slot, badge(status));
  for (const el of document.querySelectorAll('[data-onair-status]')) el.textContent = LABELS[status];
  for (const el of document.querySelectorAll<HTMLElement>('[data-onair-viewers], [data-onair-viewer-count]')) {
    if (el.parentElement) el.parentElement.hidden = status !== 'LIVE';
  }
}

export function showViewers(n: number): void {
  const count = n.toLocaleString('en');
  for (const el of document.querySelectorAll('[data-onair-viewers]')) el.textContent = `${count} watching`;
  for (const el of document.querySelectorAll('[data-onair-viewer-count]')) el.textContent = count;
}
