// The tiny guest moved into src/ so `faststart install` can build it for its smoke test; tests import it from here.
export { buildTinyGuest, guestBootedMarker, guestReadyMarker, type TinyGuest } from '../../src/images/tiny-guest.js';
