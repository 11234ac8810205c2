"use strict";
// The player shared by every scalargrad page: a position 0..count on a timeline, the buttons
// and keys that move it, play/pause at a chosen speed. `render(pos)` draws the state after
// `pos` steps from scratch, so stepping back shows exactly what stepping forward showed.
//
// A page whose data says `autoplay` starts playing by itself, unless the reader asked for
// less motion (prefers-reduced-motion: reduce) or the address names a step (page.html#12);
// Pause (or Space) stops it. While it plays, the live regions (elements with data-live) are
// quiet, so a screen reader is not flooded; they speak again once it stops.
function makePlayer(render, extraKeys, speedIndex, label) {
  const $ = (id) => document.getElementById(id);
  const SPEEDS = [0.5, 1, 2, 4, 8, 16]; // steps per second
  const buttons = { reset: $("reset"), back: $("back"), play: $("play"), step: $("step") };
  const speed = $("speed"), scrub = $("scrub"), position = $("position");
  let pos = 0, count = 0, timer = null;
  if (speedIndex !== undefined) speed.value = String(speedIndex);
  const hash = /^#(\d+)$/.exec(window.location.hash);
  let linked = hash ? Number(hash[1]) : null;
  const pageData = JSON.parse($("page-data").textContent);
  const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  let autoplay = Boolean(pageData.autoplay) && linked === null;

  function speedText() {
    const s = SPEEDS[Number(speed.value)];
    return s + (s === 1 ? " step" : " steps") + " per second";
  }
  function showSpeed() {
    $("speed-text").textContent = SPEEDS[Number(speed.value)] + " step/s";
    speed.setAttribute("aria-valuetext", speedText());
  }
  function showPlaying() {
    const playing = timer !== null;
    buttons.play.textContent = playing ? "\u23F8 Pause" : "\u25B6 Play";
    buttons.play.setAttribute("aria-label", (playing ? "Pause" : "Play") + " (key Space)");
    document.body.dataset.playing = playing ? "yes" : "no";
    for (const region of document.querySelectorAll("[data-live]")) {
      region.setAttribute("aria-live", playing ? "off" : region.dataset.live);
    }
  }
  function set(p) {
    pos = Math.max(0, Math.min(count, p));
    if (pos >= count && timer !== null) pause();
    scrub.value = String(pos);
    position.textContent = label ? label(pos, count) : pos + " / " + count;
    scrub.setAttribute("aria-valuetext", position.textContent);
    buttons.back.disabled = buttons.reset.disabled = pos === 0;
    buttons.step.disabled = pos === count;
    document.body.dataset.position = String(pos);
    document.body.dataset.count = String(count);
    render(pos);
  }
  function tick() {
    timer = window.setTimeout(() => {
      if (pos < count) set(pos + 1);
      if (pos < count && timer !== null) tick(); else pause();
    }, 1000 / SPEEDS[Number(speed.value)]);
  }
  function play() {
    if (timer !== null || count === 0) return;
    if (pos >= count) set(0);
    timer = 0; // playing; the real id follows
    tick();
    showPlaying();
  }
  function pause() {
    const wasPlaying = timer !== null;
    if (timer) window.clearTimeout(timer);
    timer = null;
    showPlaying();
    if (wasPlaying) render(pos); // the live regions speak again: where playing stopped
  }
  function faster(d) {
    speed.value = String(Math.max(0, Math.min(SPEEDS.length - 1, Number(speed.value) + d)));
    showSpeed();
  }

  buttons.reset.addEventListener("click", () => { pause(); set(0); });
  buttons.back.addEventListener("click", () => { pause(); set(pos - 1); });
  buttons.step.addEventListener("click", () => { pause(); set(pos + 1); });
  buttons.play.addEventListener("click", () => { if (timer !== null) pause(); else play(); });
  speed.addEventListener("input", showSpeed);
  scrub.addEventListener("input", () => { pause(); set(Number(scrub.value)); });

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    const onButton = t instanceof HTMLButtonElement;
    const onRange = t instanceof HTMLInputElement && t.type === "range";
    if ((onButton && (ev.key === " " || ev.key === "Enter")) ||
        (onRange && ev.key.startsWith("Arrow"))) return; // the control's own meaning
    const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    const action = {
      ArrowRight: () => { pause(); set(pos + 1); }, n: () => { pause(); set(pos + 1); },
      ArrowLeft: () => { pause(); set(pos - 1); }, p: () => { pause(); set(pos - 1); },
      " ": () => { if (timer !== null) pause(); else play(); },
      Home: () => { pause(); set(0); }, r: () => { pause(); set(0); },
      End: () => { pause(); set(count); },
      "+": () => faster(1), "=": () => faster(1), "-": () => faster(-1),
      ...(extraKeys || {}),
    }[k];
    if (action) { ev.preventDefault(); action(); }
  });

  showSpeed();
  showPlaying();
  return {
    set, pause,
    get pos() { return pos; },
    get count() { return count; },
    setCount(n, p) {
      count = n;
      scrub.max = String(n);
      if (linked !== null) { p = linked; linked = null; } // page.html#12 opens at step 12
      set(p === undefined ? pos : p);
      if (autoplay) { // once, on the first timeline; never when motion is to be reduced
        autoplay = false;
        document.body.dataset.autoplay = reducedMotion && reducedMotion.matches ? "reduced" : "yes";
        if (document.body.dataset.autoplay === "yes") play();
      }
    },
  };
}
