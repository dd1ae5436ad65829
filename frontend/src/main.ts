// OnAir's browser bundle: finds the mount points the server-rendered pages carry and starts
// what belongs there — the viewer player (`[data-onair-player]` on `/watch/{id}`) and the
// creator studio (`[data-onair-studio]` on `/studio/{id}`). Pages without them are untouched.
//
// `window.onair` is a debugging handle (the player or studio object, a snapshot of its state,
// livekit-client's failure simulations). Tests drive reconnection through it; it gives a page
// nothing it could not do to its own connection anyway.

import type { SimulationScenario } from 'livekit-client';
import { Announcer } from './announce';
import { Player } from './player';
import { Studio } from './studio';

interface Handle {
  player?: Player;
  studio?: Studio;
  snapshot(): unknown;
  simulate(scenario: SimulationScenario): Promise<string>;
}

declare global {
  interface Window {
    onair?: Handle;
  }
}

function announcerIn(root: HTMLElement): Announcer {
  const region = root.querySelector<HTMLElement>('[data-onair-announcer]') ?? document.createElement('div');
  return new Announcer(region);
}

function mount(): void {
  const playerRoot = document.querySelector<HTMLElement>('[data-onair-player]');
  const studioRoot = document.querySelector<HTMLElement>('[data-onair-studio]');
  const player = playerRoot ? new Player(playerRoot, announcerIn(playerRoot)) : undefined;
  const studio = studioRoot?.dataset.canBroadcast ? new Studio(studioRoot, announcerIn(studioRoot)) : undefined;
  window.onair = {
    player,
    studio,
    snapshot: () => player?.snapshot() ?? studio?.snapshot() ?? null,
    async simulate(scenario) {
      const room = player?.room ?? studio?.room;
      if (!room) return 'not connected';
      try {
        await room.simulateScenario(scenario);
        return 'ok';
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    },
  };
  player?.start();
  studio?.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
else mount();
