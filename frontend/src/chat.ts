// The live chat beside the player and in the studio. Messages are LiveKit data packets on the
// reliable channel with the topic `onair.chat` and a JSON body `{"text": "…"}`; the media server
// stamps each with its sender's identity, so a name shown here is the one the room knows (the
// participant's display name from its token), never one the sender wrote. Nothing is stored:
// whoever joins sees what is said from then on. Signed-in people can send (their tokens carry
// `canPublishData`); guests read.

import { type Participant, type Room, RoomEvent } from 'livekit-client';
import { h } from './dom';

export const CHAT_TOPIC = 'onair.chat';
/** The longest message, in characters (the input's `maxlength` says the same). */
export const MAX_CHARS = 500;
/** Messages kept on screen; older ones scroll away for good. */
const KEEP = 200;

export interface ChatMessage {
  from: string;
  text: string;
  mine: boolean;
}

export class Chat {
  private room: Room | null = null;
  /** The identity whose messages are marked as the creator's. */
  private creatorId = '';
  private readonly log: HTMLElement;
  private readonly empty: HTMLElement | null;
  private readonly form: HTMLFormElement | null;
  private readonly input: HTMLInputElement | null;
  private readonly send: HTMLButtonElement | null;
  readonly messages: ChatMessage[] = [];
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(root: HTMLElement) {
    this.log = root.querySelector<HTMLElement>('[data-chat-log]')!;
    this.empty = root.querySelector<HTMLElement>('[data-chat-empty]');
    this.form = root.querySelector<HTMLFormElement>('[data-chat-form]');
    this.input = this.form?.querySelector('input') ?? null;
    this.send = this.form?.querySelector('button') ?? null;
    this.form?.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    root.hidden = false;
  }

  /** Follows `room` (a new one after each connection), whose creator is `creatorId`. */
  attach(room: Room, creatorId: string): void {
    this.room = room;
    this.creatorId = creatorId;
    room.on(RoomEvent.DataReceived, (payload, participant, _kind, topic) => {
      if (this.room !== room || topic !== CHAT_TOPIC || !participant) return;
      const text = this.parse(payload);
      if (text) this.add(name(participant), text, participant.identity === this.creatorId, false);
    });
  }

  /** Whether the form may send (while connected). */
  setEnabled(on: boolean): void {
    if (this.input) this.input.disabled = !on;
    if (this.send) this.send.disabled = !on;
  }

  private async submit(): Promise<void> {
    const room = this.room;
    const text = this.input?.value.trim().slice(0, MAX_CHARS) ?? '';
    if (!room || !text || !this.input) return;
    this.input.value = '';
    try {
      await room.localParticipant.publishData(this.encoder.encode(JSON.stringify({ text })), {
        reliable: true,
        topic: CHAT_TOPIC,
      });
      const me = room.localParticipant;
      this.add(name(me), text, me.identity === this.creatorId, true);
    } catch (e) {
      // Typically a token without `canPublishData`; keep what was typed.
      this.input.value = text;
      console.warn('onair: chat message not sent', e);
    }
  }

  private parse(payload: Uint8Array): string | null {
    try {
      const body: unknown = JSON.parse(this.decoder.decode(payload));
      const text = (body as { text?: unknown })?.text;
      return typeof text === 'string' && text.trim() ? text.trim().slice(0, MAX_CHARS) : null;
    } catch {
      return null;
    }
  }

  private add(from: string, text: string, byCreator: boolean, mine: boolean): void {
    this.messages.push({ from, text, mine });
    if (this.messages.length > KEEP) this.messages.shift();
    const scroller = this.log.parentElement ?? this.log;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 24;
    this.log.append(
      h(
        'li',
        { class: byCreator ? 'is-creator' : '' },
        h('span', { class: 'chat-who' }, from),
        // Said in words, not only in colour: a viewer may call themselves anything.
        byCreator ? h('span', { class: 'chat-badge' }, 'Creator') : null,
        h('span', {}, text),
      ),
    );
    while (this.log.childElementCount > KEEP) this.log.firstElementChild?.remove();
    if (this.empty) this.empty.hidden = true;
    // Follow the conversation unless the reader scrolled up to read something older.
    if (atBottom || mine) scroller.scrollTop = scroller.scrollHeight;
  }
}

function name(p: Participant): string {
  return p.name || p.identity;
}
