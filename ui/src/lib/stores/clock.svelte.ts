/**
 * The time relative labels are computed against ("synced 3 minutes ago"),
 * moved on every half minute so that the labels age while the app stays open.
 */
const TICK_MS = 30_000;

export class Clock {
  now = $state(new Date());
  #timer: ReturnType<typeof setInterval> | null = null;

  /** Starts ticking; returns the function that stops. */
  start(): () => void {
    if (this.#timer === null) {
      this.#timer = setInterval(() => {
        this.now = new Date();
      }, TICK_MS);
    }
    return () => {
      if (this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }
}

export const clock = new Clock();
