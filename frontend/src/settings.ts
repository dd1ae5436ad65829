// Settings a viewer expects the site to remember between visits (the player's volume), kept in
// `localStorage` — and simply not kept where the browser gives the site no storage.

/** A remembered setting; `null` when there is none or the browser keeps no storage for the site. */
export function remembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function remember(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage is off for this site: the setting lasts as long as the page.
  }
}
