// The product in the browser: OnAir's own pages with the committed bundle (`app.js`), under the
// pages' real Content-Security-Policy. A creator signs up, creates a stream and goes live from
// `/studio/{id}` (camera and microphone preview, "Go live"); a guest who opened `/watch/{id}`
// while it was still scheduled sees the video start, decodes frames and is counted in the studio;
// quality, mute, volume, pause, full screen, idle controls and shortcuts work; a signal drop
// shows "Reconnecting…" and recovers; axe finds no WCAG 2.1 AA violation on either page at
// 360 px and desktop widths; a creator without enough credits gets a clear 402 and nothing goes
// out; a signed-in viewer and the creator chat while a guest reads along; the creator removes a
// viewer, who cannot come back; and ending the stream in the studio
// tells the viewer "Stream ended".

import assert from 'node:assert/strict';
import { AppPage, person } from '../lib/app.mjs';
import { launchChromium } from '../lib/browser.mjs';
import { setupSuite } from '../lib/suite.mjs';
import { until } from '../lib/wait.mjs';

// 100 credits at sign-up and 60 to go live: the first stream goes live, the second cannot pay.
const suite = setupSuite({ extraEnv: { ONAIR_GO_LIVE_COST: '60', ONAIR_SIGNUP_GRANT: '100' } });

/** What the tests share, in order. */
const s = {};

suite.test('a creator goes live from the studio and a guest watching the scheduled page sees it start', async () => {
  s.creator = await person(suite, 'creator', { account: { email: 'creator@example.test', name: 'Ada Creator' } });
  const created = await s.creator.api('POST', '/api/streams', { title: 'Live from the browser' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  s.id = created.body.id;

  // The studio lists the stream with a link to its broadcast room.
  const list = await s.creator.open('/studio', 'studio list');
  await list.page.getByRole('link', { name: /^Go live\W+Live from the browser$/ }).click();
  await list.page.waitForURL(`**/studio/${s.id}`, { timeout: 10_000 });
  s.studio = list;
  s.studio.name = 'studio';
  await s.studio.waitFor('the camera preview plays', (x) => x.preview.width > 0 && x.camera && x.mic);
  const cost = await s.studio.page.locator('[data-role="cost"]').innerText();
  assert.match(cost, /Going live costs 60 credits.*Your balance: 100 credits/);
  const cameras = await s.studio.page.locator('[data-role="camera-select"] option').count();
  assert.ok(cameras >= 1, 'the camera picker lists the fake camera');

  // A guest opens the watch page before the stream starts: "starts"/"not live yet", no video.
  s.viewer = await person(suite, 'viewer');
  s.watch = await s.viewer.open(`/watch/${s.id}`, 'watch');
  await s.watch.waitFor('the player joins and waits for the creator', (x) => x.state === 'connected' && x.status === 'SCHEDULED');
  assert.match(await s.watch.page.locator('.player-state').innerText(), /Not live yet/);

  await s.studio.page.getByRole('button', { name: 'Go live' }).click();
  const live = await s.studio.waitFor(
    'the studio is live and publishes camera and microphone',
    (x) => x.phase === 'live' && x.published.length === 2,
  );
  assert.deepEqual(live.published.map((p) => p.source).sort(), ['camera', 'microphone']);
  const stream = await s.creator.api('GET', `/api/streams/${s.id}`);
  assert.equal(stream.body.status, 'LIVE');
  const me = await s.creator.api('GET', '/api/me');
  assert.equal(me.body.credits, 40, 'going live charged 60 credits once');

  // The guest's player picks the video up without a reload, and it plays.
  const first = await s.watch.waitFor(
    'the player decodes the creator camera',
    (x) => x.video.width > 0 && !x.video.hidden && x.framesDecoded > 0,
  );
  await s.watch.waitFor('the video keeps playing (currentTime advances by 1 s)', (x) => x.video.currentTime > first.video.currentTime + 1);
  assert.equal(first.overlay, 'Playing live.');
  assert.ok(first.announcements.includes('Playing live.'), `announcements: ${first.announcements}`);

  // The media server measures the creator's connection (loss, round trip) and the studio says it.
  await s.studio.waitFor('the studio shows the measured connection quality', (x) => x.connection === 'Connected, excellent quality');

  // Viewer counts from the room, on both sides.
  await s.studio.waitFor('the studio counts one viewer', (x) => x.viewers === 1);
  assert.equal(await s.studio.page.locator('[data-role="viewers"]').innerText(), '1 viewer');
  await s.watch.waitFor('the player counts one viewer', (x) => x.viewers === 1);
  assert.equal(await s.watch.page.locator('[data-onair-viewers]').innerText(), '1 watching');
  // The page rendered for a scheduled stream now says it is live.
  assert.equal(await s.watch.page.locator('[data-onair-badge]').textContent(), 'Live');
  assert.equal(await s.watch.page.locator('[data-onair-status]').textContent(), 'Live');
});

suite.test('the viewer chooses Low quality and the decoded width drops', async () => {
  const auto = await s.watch.waitFor('Auto quality delivers more than the smallest layer', (x) => x.video.width > 320, 25_000);
  const page = s.watch.page;
  await page.getByRole('button', { name: 'Quality' }).click();
  await page.getByRole('radio', { name: /^Low/ }).check();
  const low = await s.watch.waitFor(`the decoded width drops below ${auto.video.width}px`, (x) => x.video.width > 0 && x.video.width < auto.video.width);
  assert.equal(low.quality, 'low');
  await s.watch.waitFor('frames keep coming on the Low layer', (x) => x.framesDecoded > low.framesDecoded + 10);
  await page.getByRole('radio', { name: /^Auto/ }).check();
  await page.keyboard.press('Escape');
  await until(async () => (await page.getByRole('button', { name: 'Quality' }).getAttribute('aria-expanded')) === 'false', {
    what: 'Escape closes the quality menu',
    timeoutMs: 5_000,
  });
  console.log(`quality: Auto ${auto.video.width}px → Low ${low.video.width}px`);
});

suite.test('mute, volume, pause, full screen, shortcuts and idle controls work', async () => {
  const page = s.watch.page;
  const x0 = await s.watch.snapshot();
  assert.equal(x0.muted, false);
  assert.ok(x0.audioVolumes.length >= 1 && x0.audioVolumes.every((v) => v === 1), `audio elements: ${x0.audioVolumes}`);

  await page.getByRole('button', { name: 'Mute (m)' }).click();
  let x = await s.watch.waitFor('mute silences the audio elements', (y) => y.muted && y.audioVolumes.every((v) => v === 0));
  await page.keyboard.press('m');
  x = await s.watch.waitFor('"m" unmutes', (y) => !y.muted && y.audioVolumes.every((v) => v === 1));

  await page.getByRole('slider', { name: 'Volume' }).fill('40');
  x = await s.watch.waitFor('the slider sets the volume to 40%', (y) => y.volume === 0.4 && y.audioVolumes.every((v) => v === 0.4));
  assert.ok(x.announcements.includes('Volume 40%'), `announcements: ${x.announcements}`);

  // Pause and play with the keyboard (focus on the page, not on a control).
  await page.locator('h1').click();
  await page.keyboard.press('k');
  const paused = await s.watch.waitFor('"k" pauses', (y) => y.paused && y.videoPaused);
  await page.keyboard.press(' ');
  const resumed = await s.watch.waitFor('space plays again', (y) => !y.paused && !y.videoPaused);
  await s.watch.waitFor('the live picture moves again', (y) => y.video.currentTime > resumed.video.currentTime + 0.5);
  assert.ok(paused.announcements.includes('Paused'));

  // Full screen: the button and "f" (headless Chromium grants it for a user gesture).
  await page.getByRole('button', { name: 'Full screen (f)' }).click();
  await s.watch.waitFor('the player is full screen', (y) => y.fullscreen);
  await page.keyboard.press('f');
  x = await s.watch.waitFor('"f" leaves full screen (announced)', (y) => !y.fullscreen && y.announcements.includes('Left full screen'));
  assert.ok(x.announcements.includes('Full screen'), `announcements: ${x.announcements}`);

  // Controls hide after 3 s without activity while the video plays, and come back on movement.
  // (Never while a keyboard user's focus is on one of them: click elsewhere first.)
  await page.locator('h1').click();
  await page.mouse.move(400, 300);
  await page.mouse.move(410, 310);
  await s.watch.waitFor('the controls hide when idle', (y) => y.controlsHidden, 10_000);
  await page.mouse.move(420, 320);
  await s.watch.waitFor('moving the pointer brings the controls back', (y) => !y.controlsHidden, 5_000);
});

suite.test('a screen share takes the main picture, with the camera as a picture-in-picture', async () => {
  const share = s.studio.page.getByRole('button', { name: 'Share screen' });
  await share.click();
  await s.studio.waitFor(
    'the studio publishes the screen and says so',
    (x) => x.published.some((p) => p.source === 'screen_share') && x.announcements.includes('Sharing your screen with viewers.'),
  );
  assert.equal(await share.getAttribute('aria-pressed'), 'true');
  await s.watch.waitFor(
    'the viewer shows the screen share large and the camera small',
    (x) => x.shows.main === 'screen_share' && x.shows.pip === 'camera' && x.shows.pipVisible && x.video.width > 0,
  );
  await share.click();
  await s.studio.waitFor('the studio stops publishing the screen', (x) => !x.published.some((p) => p.source === 'screen_share'));
  await s.watch.waitFor('the viewer is back to the camera alone', (x) => x.shows.main === 'camera' && !x.shows.pipVisible);
});

suite.test('a dropped signal connection shows "Reconnecting…" and recovers', async () => {
  const before = await s.watch.snapshot();
  assert.equal(await s.watch.page.evaluate(() => window.onair.simulate('signal-reconnect')), 'ok');
  const back = await s.watch.waitFor(
    'the player announced "Reconnecting…" and is connected and playing again',
    (y) => y.announcements.slice(before.announcements.length).includes('Reconnecting…') && y.state === 'connected' && y.overlay === 'Playing live.',
  );
  await s.watch.waitFor('the video plays after the reconnection', (y) => y.framesDecoded > back.framesDecoded + 10);

  // The studio survives the same on its side.
  const studioBefore = await s.studio.snapshot();
  assert.equal(await s.studio.page.evaluate(() => window.onair.simulate('signal-reconnect')), 'ok');
  await s.studio.waitFor(
    'the studio announced "Reconnecting…" and is live again',
    (y) => y.announcements.slice(studioBefore.announcements.length).includes('Reconnecting…') && y.state === 'connected' && y.phase === 'live',
  );
  await s.watch.waitFor('the viewer keeps decoding', (y) => y.framesDecoded > back.framesDecoded + 40);
});

suite.test('axe finds no WCAG 2.1 AA violations on the studio and the player, at 360 px and on a desktop, in both themes', async () => {
  const phone = { width: 360, height: 740 };
  const creatorPhone = await s.creator.context.browser().newContext({ viewport: phone, baseURL: suite.onair.httpUrl, storageState: await s.creator.context.storageState() });
  const viewerPhone = await person(suite, 'phone viewer', { viewport: phone });
  const checks = [
    ['studio, desktop', s.studio],
    ['player, desktop', s.watch],
    ['player, 360 px', await viewerPhone.open(`/watch/${s.id}`, 'watch 360')],
  ];
  // The creator's studio at 360 px (a second tab would take over the broadcast: look only, no joining).
  const studioPhone = new (s.studio.constructor)('studio 360', await creatorPhone.newPage(), 'creator');
  studioPhone.context = creatorPhone;
  suite.open.push(studioPhone);
  await studioPhone.page.goto(`/studio/${s.id}`);
  checks.push(['studio, 360 px', studioPhone]);
  await checks[2][1].waitFor('the 360 px player plays', (y) => y.video.width > 0 && !y.video.hidden);
  await studioPhone.waitFor('the 360 px studio shows its preview', (y) => y.preview.width > 0);

  const failures = [];
  for (const [what, p] of checks) {
    await p.page.mouse.move(5, 5);
    const violations = await p.axeViolations();
    if (violations.length) failures.push(`${what}: ${JSON.stringify(violations, null, 1)}`);
    const wide = await p.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    if (wide) failures.push(`${what}: the page scrolls sideways`);
  }
  // With the quality menu open, and in the other colour scheme.
  await s.watch.page.getByRole('button', { name: 'Quality' }).click();
  const menu = await s.watch.axeViolations();
  if (menu.length) failures.push(`player with the quality menu open: ${JSON.stringify(menu, null, 1)}`);
  await s.watch.page.keyboard.press('Escape');
  for (const [what, p] of [checks[0], checks[1]]) {
    const scheme = await p.page.evaluate(() => (matchMedia('(prefers-color-scheme: dark)').matches ? 'light' : 'dark'));
    await p.page.emulateMedia({ colorScheme: scheme });
    // Buttons fade between palettes: check the colours they settle on.
    await p.page.evaluate(async () => {
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      await Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => {})));
    });
    const other = await p.axeViolations();
    if (other.length) failures.push(`${what}, ${scheme} theme: ${JSON.stringify(other, null, 1)}`);
    await p.page.emulateMedia({ colorScheme: null });
  }
  assert.deepEqual(failures, [], failures.join('\n'));
  await creatorPhone.close();
  await viewerPhone.context.close();
});

suite.test('the creator closes the studio: viewers are told, and "Resume broadcast" brings the stream back without a charge', async () => {
  suite.open = suite.open.filter((p) => p !== s.studio);
  await s.studio.page.close();
  const away = await s.watch.waitFor('the viewer is told the creator dropped', (x) => x.overlay.startsWith('The creator’s connection dropped'));
  assert.ok(away.announcements.includes('The creator’s connection dropped. Waiting for them to come back…'), `announced: ${away.announcements}`);
  assert.equal((await s.creator.api('GET', `/api/streams/${s.id}`)).body.status, 'LIVE', 'the grace period keeps it live');

  s.studio = await s.creator.open(`/studio/${s.id}`, 'studio');
  await s.studio.waitFor('the reopened studio previews the camera', (x) => x.preview.width > 0);
  await s.studio.page.getByRole('button', { name: 'Resume broadcast' }).click();
  await s.studio.waitFor('the studio is live again', (x) => x.phase === 'live' && x.published.length === 2);
  const back = await s.watch.waitFor('the viewer plays the creator again', (x) => x.overlay === 'Playing live.' && x.video.width > 0);
  await s.watch.waitFor('and keeps decoding', (x) => x.framesDecoded > back.framesDecoded + 10);
  assert.equal((await s.creator.api('GET', '/api/me')).body.credits, 40, 'resuming costs nothing');
});

suite.test('going live without enough credits shows the 402 and broadcasts nothing', async () => {
  const created = await s.creator.api('POST', '/api/streams', { title: 'One too many' });
  assert.equal(created.status, 201);
  const studio = await s.creator.open(`/studio/${created.body.id}`, 'studio (poor)');
  await studio.waitFor('the preview plays', (x) => x.preview.width > 0);
  assert.match(await studio.page.locator('[data-role="cost"]').innerText(), /Not enough to go live/);
  await studio.page.getByRole('button', { name: 'Go live' }).click();
  const x = await studio.waitFor('the studio shows the credit error', (y) => y.alert.includes('costs 60 credits') && y.phase === 'preview');
  assert.match(x.alert, /your balance is 40\. Nothing was charged and nothing was broadcast\./);
  assert.equal(await studio.page.getByRole('alert').locator('a').getAttribute('href'), '/studio#credits');
  assert.deepEqual(x.published, []);
  assert.equal((await s.creator.api('GET', `/api/streams/${created.body.id}`)).body.status, 'SCHEDULED');
  assert.equal((await s.creator.api('GET', '/api/me')).body.credits, 40);
  await studio.page.close();
});

suite.test('a browser that blocks camera and microphone gets a clear message, and "Try again" recovers once allowed', async () => {
  // A browser without the flag that accepts every media prompt: Chromium itself denies them.
  const strict = await launchChromium({ grantMedia: false });
  try {
    const context = await strict.newContext({
      baseURL: suite.onair.httpUrl,
      viewport: { width: 1280, height: 720 },
      storageState: await s.creator.context.storageState(),
    });
    const created = await s.creator.api('POST', '/api/streams', { title: 'Blocked devices' });
    const studio = new AppPage('studio (blocked)', await context.newPage(), 'creator');
    studio.context = context;
    suite.open.push(studio);
    await studio.page.goto(`/studio/${created.body.id}`);
    const x = await studio.waitFor('the studio explains the blocked devices', (y) => y.alert.includes('blocked'));
    assert.equal(
      x.alert,
      'Your browser blocked the camera and the microphone. Allow them in the site settings (next to the address bar), then choose “Try again”.',
    );
    assert.ok(x.announcements.includes(x.alert), `announced: ${x.announcements}`);
    await studio.page.getByRole('button', { name: 'Go live' }).click();
    await studio.waitFor('going live with nothing to send says so', (y) => y.alert.startsWith('Turn on a camera, a microphone or a screen share first'));

    await context.grantPermissions(['camera', 'microphone']);
    await studio.page.getByRole('button', { name: 'Try again' }).click();
    await studio.waitFor('the preview plays once the browser allows the devices', (y) => y.preview.width > 0 && y.camera && y.mic && y.alert === '');
    suite.open = suite.open.filter((p) => p !== studio);
  } finally {
    await strict.close();
  }
});

suite.test('the creator removes a signed-in viewer: they are sent away and cannot come back', async () => {
  const heckler = await person(suite, 'heckler', { account: { email: 'heckler@example.test', name: 'Hal Heckler' } });
  const watch = await heckler.open(`/watch/${s.id}`, 'watch (heckler)');
  await watch.waitFor('the heckler plays the stream', (x) => x.overlay === 'Playing live.' && x.framesDecoded > 0);
  await s.studio.waitFor('the studio counts two viewers', (x) => x.viewers === 2);

  // Chat: a signed-in viewer and the creator talk; the guest reads along but cannot send.
  const say = async (page, text) => {
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  };
  await say(watch.page, 'hello <b>everyone</b>');
  await s.studio.waitFor('the studio shows the viewer’s message, with the name the room knows', (x) =>
    x.chat.some((m) => m.from === 'Hal Heckler' && m.text === 'hello <b>everyone</b>'),
  );
  await say(s.studio.page, 'Welcome, Hal!');
  for (const page of [watch, s.watch]) {
    await page.waitFor('the creator’s reply reaches the viewers', (x) =>
      x.chat.some((m) => m.from === 'Ada Creator' && m.text === 'Welcome, Hal!'),
    );
  }
  const guestLog = s.watch.page.getByRole('log', { name: 'Chat' });
  assert.equal(await guestLog.locator('li').count(), 2, 'the guest sees both messages');
  assert.equal(await guestLog.locator('b').count(), 0, 'a message is text, never markup');
  assert.match(await guestLog.locator('li.is-creator').innerText(), /Ada Creator\s*Creator\s*Welcome, Hal!/);
  assert.equal(await s.watch.page.getByRole('textbox', { name: 'Message' }).count(), 0, 'guests have no chat box');
  assert.match(await s.watch.page.locator('.chat-signin').innerText(), /Sign in to chat/);

  const remove = s.studio.page.getByRole('button', { name: 'Remove Hal Heckler from the stream' });
  const removals = [];
  s.studio.page.on('request', (r) => r.url().endsWith('/remove') && removals.push(r.url()));
  // The studio asks first; declining sends nothing.
  const asked = [];
  s.studio.page.once('dialog', (d) => {
    asked.push(d.message());
    void d.dismiss();
  });
  await remove.click();
  assert.match(asked[0] ?? '', /^Remove Hal Heckler\? They are disconnected and cannot come back/);
  s.studio.page.once('dialog', (d) => void d.accept());
  await remove.click();
  const gone = await watch.waitFor('the heckler is told they were removed', (x) => x.stop === 'removed');
  assert.match(await watch.page.locator('.player-state').innerText(), /You were removed from this stream/);
  assert.ok(gone.announcements.some((a) => a.startsWith('You were removed')), `announcements: ${gone.announcements}`);
  const studio = await s.studio.waitFor('the studio counts one viewer again', (x) => x.viewers === 1);
  assert.equal(removals.length, 1, `one removal request (the declined one sent none): ${removals}`);
  assert.ok(studio.announcements.includes('Hal Heckler was removed from the stream.'), `announced: ${studio.announcements}`);

  // Coming back: the platform refuses a new token, and the page says why.
  await watch.page.reload();
  await watch.waitFor('the reloaded page says the viewer was removed', (x) => x.stop === 'removed');
  assert.equal((await heckler.api('POST', `/api/streams/${s.id}/token`)).status, 403);
  // The other viewer never noticed.
  await s.watch.waitFor('the guest keeps playing', (x) => x.overlay === 'Playing live.');
  suite.open = suite.open.filter((p) => p !== watch);
  await watch.page.close();
});

suite.test('ending the stream in the studio tells the viewer "Stream ended"', async () => {
  const page = s.studio.page;
  await page.getByText('End stream', { exact: true }).click();
  await page.getByRole('button', { name: 'End stream now' }).click();
  // The phase changes before the room is left; the announcement follows once it is.
  await s.studio.waitFor(
    'the studio shows and announces the stream ended',
    (x) => x.phase === 'ended' && x.status === 'ENDED' && x.announcements.includes('Stream ended.'),
  );
  assert.match(await page.locator('[data-role="stage-line"]').innerText(), /Stream ended/);
  const w = await s.watch.waitFor('the viewer sees "Stream ended"', (x) => x.stop === 'ended');
  assert.ok(w.announcements.some((a) => a.startsWith('Stream ended')), `announcements: ${w.announcements}`);
  assert.match(await s.watch.page.locator('.player-state').innerText(), /Stream ended\s+The creator ended the stream\./);
  assert.equal(await s.watch.page.locator('[data-onair-badge]').textContent(), 'Ended');
  assert.equal(await s.watch.page.locator('[data-onair-viewers]').isVisible(), false, 'no viewer count once ended');
  assert.equal((await s.creator.api('GET', `/api/streams/${s.id}`)).body.status, 'ENDED');
});
