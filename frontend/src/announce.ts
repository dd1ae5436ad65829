// State announcements for screen readers: one polite `aria-live` region per page (rendered by
// the server, so it exists before anything changes — regions added later are often not
// watched). Every announcement is also kept in a short history, which the debugging handle
// exposes (tests read it to see transient states such as "Reconnecting…").

/** How many announcements the history keeps. */
const HISTORY = 50;

export interface Announcement {
  text: string;
  /** `performance.now()` when it was made. */
  at: number;
}

export class Announcer {
  readonly history: Announcement[] = [];
  private last = '';
  private timer: number | undefined;

  constructor(private readonly region: HTMLElement) {}

  /**
   * Says `text`, unless it is what was said last (state events often repeat). The region is
   * emptied first and filled a moment later, so that a message equal to the region's previous
   * text is still read out.
   */
  say(text: string): void {
    if (!text || text === this.last) return;
    this.last = text;
    this.history.push({ text, at: performance.now() });
    if (this.history.length > HISTORY) this.history.shift();
    this.region.textContent = '';
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.region.textContent = text;
    }, 60);
  }
}
