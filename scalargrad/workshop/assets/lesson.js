// A lesson page: code cells (CodeMirror editors, editor.js) run by Python in a Web Worker
// (worker.js), outputs shown as in Jupyter (outputs.js), work kept in localStorage.
//
// Runs go through one queue: a Run pressed while Python loads or while another cell runs is
// queued and shown as queued (and can be cancelled). Stop interrupts the running cell in
// place (KeyboardInterrupt through Pyodide's interrupt buffer) where the page is
// cross-origin isolated (`scalargrad-workshop serve` sends the two headers); elsewhere it
// ends the worker and starts a fresh Python, and says what was lost. An error or a Stop
// cancels the cells queued after it, as in Jupyter.
//
// `?run=all` runs every cell in order, then sets document.documentElement.dataset.state to
// "done" (or "error", dataset.failed naming the cell). Each cell's hidden <textarea> holds
// its code: set its value and send it an "input" event to change the code from a script.
//
// A damaged copy of the site (a file missing, cut short, changed, or served with the wrong
// type: the worker checks them against manifest.json) or a Python that has not started within
// START_BOUND seconds (`?start-timeout=SECONDS` sets it) sets dataset.state to "error", the
// status line naming the file or what the start was waiting for, and what to do. A page
// whose Viz.js cannot draw its graphs says so, and Run all ends in "error", not "done".
import { makeEditor, setCode } from "./editor.js";
import { COPY_AGAIN, fetchChecked, readManifest, SiteFileError } from "./check.js";
import {
  checkScrolling, flushText, forgetText, pre, show, verdictOf, VERDICT_WORDS, vizUnavailable,
  watchScrolling,
} from "./outputs.js";

const lesson = JSON.parse(document.getElementById("lesson").textContent);
const root = document.documentElement;
const statusLine = document.getElementById("status");
const store = `scalargrad-workshop:${lesson.slug}:`;
const cells = [];  // in page order: {id, number, source, textarea, view, out, element, ...}
const byId = new Map();
const isolated = typeof SharedArrayBuffer === "function" && self.crossOriginIsolated === true;
const interrupt = isolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
const served = location.protocol !== "file:";  // from a file, the boot script has said why not
const asked = Number(new URLSearchParams(location.search).get("start-timeout"));
const START_BOUND = asked > 0 ? asked : 120;  // seconds

let worker = null;
let generation = 0;  // messages of an ended worker are ignored
let ready = false;
let failed = false;
let running = null;  // {cell, resolve}
let stopTimer = null;
const queue = [];    // [{cell, resolve}]
const ranOk = new Set();  // cells run without error in this Python
const drawing = new Map();  // cell id -> graphs still being drawn (a cell is done after them)
let loadStarted = 0;
let waitingFor = "";   // what the start of Python waits for, as the worker last said
let damaged = null;    // a file the page needs (not Python) that the worker found damaged
let resetting = false; // Reset lesson's restart is under way
let saidLong = false;  // the status said the start is taking long

if (served) root.dataset.state = "loading";  // the page's script runs (the boot script's watch ends)

function setStatus(text, state) {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function button(label, title, action, className = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.title = title;
  if (className) b.className = className;
  b.addEventListener("click", action);
  return b;
}

// -- cells ---------------------------------------------------------------------------------

function saved(id) {
  try { return localStorage.getItem(store + id); } catch { return null; }
}

function code(cell) { return cell.textarea.value; }

function keep(cell) {
  const text = code(cell);
  try {
    if (text === cell.source) localStorage.removeItem(store + cell.id);
    else localStorage.setItem(store + cell.id, text);
  } catch { /* storage full or disabled: the page still works */ }
  cell.edited.textContent = text === cell.source ? "" : "edited (kept in this browser)";
}

// How a cell last ran, in words and a symbol. A checker's verdict goes to the cell's live
// region (read out when it changes); the rest (queued, running, ran) is not read out, lest a
// Run all say twenty things at once: the status line says those.
function setBadge(cell, text, kind, verdict = false) {
  cell.badge.textContent = verdict ? "" : text;
  cell.badge.dataset.kind = verdict ? "" : kind || "";
  cell.verdict.textContent = verdict ? text : "";
  cell.verdict.dataset.kind = verdict ? kind : "";
}

function clearCell(cell) {
  forgetText(cell.out);
  cell.out.replaceChildren();
  delete cell.element.dataset.state;
  delete cell.element.dataset.verdict;
  setBadge(cell, "", "");
}

function putBack(cell) {
  setCode(cell.view, cell.source);  // the editor's listener updates the textarea and storage
  clearCell(cell);
}

function buildCells() {
  for (const section of document.querySelectorAll("section.cell")) {
    const id = section.dataset.cell;
    const spec = lesson.cells.find((c) => c.id === id);
    const number = Number(section.dataset.number);
    const textarea = section.querySelector("textarea");
    const cell = {
      id, number, source: spec.source, textarea, element: section,
      out: section.querySelector(".out"), desktopOnly: section.hasAttribute("data-desktop-only"),
    };
    const mine = saved(id);
    if (mine !== null) textarea.value = mine;
    const bar = section.querySelector(".bar");
    cell.label = document.createElement("span");
    cell.label.className = "num";
    cell.label.textContent = `[${number}]`;
    cell.runButton = button("▶ Run", "Run this cell (Shift+Enter)", () => act(cell));
    cell.runButton.setAttribute("aria-label", `Run cell ${number}`);
    cell.resetButton = button("Reset", "Put this cell's code back as the lesson gave it, and clear its output", () => putBack(cell));
    cell.resetButton.setAttribute("aria-label", `Reset cell ${number}`);
    cell.badge = document.createElement("span");
    cell.badge.className = "badge";
    cell.verdict = document.createElement("span");
    cell.verdict.className = "badge verdict";
    cell.verdict.setAttribute("aria-live", "polite");
    cell.edited = document.createElement("span");
    cell.edited.className = "edited";
    const keys = document.createElement("span");
    keys.className = "keys";
    keys.id = `keys-${number}`;
    keys.textContent = "Esc then Tab to leave the editor";
    bar.append(cell.label, cell.runButton,
      cell.resetButton, cell.verdict, cell.badge, keys, cell.edited);
    const holder = document.createElement("div");
    holder.className = "editor";
    textarea.after(holder);
    textarea.hidden = true;
    cell.view = makeEditor({
      parent: holder, doc: textarea.value, label: `Code of cell ${number}`, describedBy: keys.id,
      onChange: (text) => { textarea.value = text; keep(cell); },
      onRun: (how) => {
        runCell(cell);
        if (how === "next") focusNext(cell);
      },
    });
    // a script may set the textarea and send "input" (tests and bench.site do)
    textarea.addEventListener("input", () => { if (textarea.value !== cell.view.state.doc.toString()) setCode(cell.view, textarea.value); });
    keep(cell);
    watchScrolling(cell.out, `Output of cell ${number}`);
    cells.push(cell);
    byId.set(id, cell);
  }
}

function focusNext(cell) {
  const next = cells[cells.indexOf(cell) + 1];
  if (next) {
    next.view.focus();
    next.element.scrollIntoView({ block: "nearest" });
  }
}

function above(cell) {  // the cells above `cell` that have not run in this Python
  return cells.slice(0, cells.indexOf(cell)).filter((c) => !c.desktopOnly && !ranOk.has(c.id));
}

function numbers(list) {  // "[1]–[4]" or "[1], [3]"
  const n = list.map((c) => c.number);
  if (n.length > 2 && n[n.length - 1] - n[0] === n.length - 1) return `[${n[0]}]–[${n[n.length - 1]}]`;
  return n.map((k) => `[${k}]`).join(", ");
}

function offer(cell, text, label, then) {  // a note under a cell with one button
  const note = document.createElement("div");
  note.className = "offer";
  note.setAttribute("role", "note");
  const p = document.createElement("p");
  p.textContent = text;
  note.append(p, button(label, label, () => { note.remove(); then(); }));
  cell.out.append(note);
}

// -- the queue -----------------------------------------------------------------------------

function act(cell) {  // the cell's one button: Run, Cancel (queued) or Stop (running)
  if (running && running.cell === cell) stop();
  else if (queue.some((e) => e.cell === cell)) cancel(cell, "not run: taken out of the queue");
  else runCell(cell);
}

function runCell(cell) {
  const known = (running && running.cell === cell) ? running : queue.find((e) => e.cell === cell);
  if (known) return known.promise;
  if (failed) {
    setBadge(cell, "not run: Python could not start (see the status line)", "error");
    return Promise.resolve(false);
  }
  clearCell(cell);
  const entry = { cell };
  entry.promise = new Promise((resolve) => { entry.resolve = resolve; });
  queue.push(entry);
  cell.element.dataset.state = "queued";
  labelButton(cell, "✕ Cancel", "Take this cell out of the queue", "Cancel");
  showQueue();
  pump();
  return entry.promise;
}

function showQueue() {
  queue.forEach((entry, k) => {
    const ahead = k > 0 ? queue[k - 1].cell : running && running.cell;
    const why = ahead ? `waits for cell [${ahead.number}]` : (ready ? "next" : "waits for Python to load");
    setBadge(entry.cell, `⏳ queued: ${why}`, "queued");
  });
}

function labelButton(cell, text, title, word) {  // its name holds its visible word (WCAG 2.5.3)
  cell.runButton.textContent = text;
  cell.runButton.title = title;
  cell.runButton.setAttribute("aria-label", `${word} cell ${cell.number}`);
}

function buttonToRun(cell) {
  labelButton(cell, "▶ Run", "Run this cell (Shift+Enter)", "Run");
}

function cancel(cell, why) {
  const k = queue.findIndex((e) => e.cell === cell);
  if (k < 0) return;
  const [entry] = queue.splice(k, 1);
  delete cell.element.dataset.state;
  buttonToRun(cell);
  setBadge(cell, why, "cancelled");
  entry.resolve(false);
  showQueue();
}

function cancelAll(why) {
  while (queue.length) cancel(queue[0].cell, why);
}

function pump() {
  if (!ready || running || !queue.length) return;
  running = queue.shift();
  const cell = running.cell;
  cell.element.dataset.state = "running";
  labelButton(cell, "■ Stop", "Stop this cell", "Stop");
  setBadge(cell, "running…", "running");
  stopAll.hidden = false;
  setStatus(`Running cell [${cell.number}]… (■ Stop stops it)`, "running");
  showQueue();
  worker.postMessage({ type: "run", cell: cell.id, name: `<cell ${cell.number}>`, code: code(cell) });
}

// `undrawn`: why a graph of the cell was not drawn (the cell is then in error), or null.
function finish(cellId, ok, seconds, undrawn = null) {
  if (!running || running.cell.id !== cellId) return;
  if (undrawn) ok = false;
  const entry = running;
  const cell = entry.cell;
  running = null;
  clearTimeout(stopTimer);
  buttonToRun(cell);
  stopAll.hidden = true;
  cell.element.dataset.state = ok ? "ok" : "error";
  cell.element.dataset.seconds = seconds.toFixed(3);
  if (ok) ranOk.add(cell.id);
  checkScrolling(cell.out);
  const verdict = verdictOf(cell.out);
  if (entry.stopping && !ok) {
    cell.element.dataset.state = "stopped";
    setBadge(cell, "■ stopped (KeyboardInterrupt; the variables are kept)", "stopped");
  } else if (verdict) {
    cell.element.dataset.verdict = verdict;
    setBadge(cell, VERDICT_WORDS[verdict], verdict, true);
  } else {
    setBadge(cell, ok ? `✓ ran (${seconds.toFixed(2)} s)` : undrawn ? "! graph not drawn (see below)"
      : "! error (see below)", ok ? "ok" : "error");
  }
  if (!ok) cancelAll(`not run: cell [${cell.number}] above ${entry.stopping ? "was stopped" : "stopped with an error"}`);
  const how = entry.stopping ? "was stopped" : ok ? "ran" : undrawn ? `could not draw its graph: ${undrawn};` : "stopped with an error";
  setStatus(`Cell [${cell.number}] ${how} (${seconds.toFixed(2)} s)${verdict ? `: the checker says ${VERDICT_WORDS[verdict]}` : ""}`
    + (queue.length ? "; next in the queue…" : ""), ok ? "ready" : "error");
  entry.resolve(ok);
  pump();
}

function stop() {
  if (!running) return;
  const cell = running.cell;
  running.stopping = true;
  if (interrupt) {
    interrupt[0] = 2;  // SIGINT: Python raises KeyboardInterrupt in the cell, in place
    setStatus(`Stopping cell [${cell.number}] (KeyboardInterrupt)…`, "running");
    clearTimeout(stopTimer);
    // Python checks the buffer between bytecodes; a long call into C can hold it: then restart
    stopTimer = setTimeout(() => { if (running && running.cell === cell) restartAfterStop(); }, 3000);
  } else {
    restartAfterStop();
  }
}

function restartAfterStop() {
  const entry = running;
  const cell = entry.cell;
  running = null;
  buttonToRun(cell);
  stopAll.hidden = true;
  cell.element.dataset.state = "stopped";
  setBadge(cell, "■ stopped", "stopped");
  cancelAll(`not run: cell [${cell.number}] was stopped`);
  const lost = cells.slice(0, cells.indexOf(cell)).filter((c) => ranOk.has(c.id));
  startWorker(`Restarting Python to stop cell [${cell.number}]…`);
  const what = lost.length ? `the variables made by the cells above (cells ${numbers(lost)}) are gone`
    : "no cell above had run, so nothing else was lost";
  const again = above(cell);
  const text = `Stopped: to stop this cell, Python was restarted, and ${what}. `
    + "(A server that sends the isolation headers, as scalargrad-workshop serve does, lets Stop interrupt a cell without losing them.)";
  if (again.length) offer(cell, text, `▶ Run the cells above again (cells ${numbers(again)})`, () => again.forEach(runCell));
  else cell.out.append(pre(text, "note"));
  entry.resolve(false);
}

// -- Python --------------------------------------------------------------------------------

function startWorker(why) {
  if (worker) worker.terminate();
  ready = false;
  failed = false;
  ranOk.clear();
  const mine = ++generation;
  loadStarted = performance.now();
  saidLong = false;
  waitingFor = why;
  setStatus(why, "loading");
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  if (interrupt) worker.postMessage({ type: "interrupt", buffer: interrupt });
  worker.onmessage = (event) => { if (mine === generation) receive(event.data); };
  worker.onerror = (event) => {
    if (mine !== generation) return;
    event.preventDefault();
    workerFailed(event.message, mine);
  };
  showQueue();
}

// The worker's script did not run (a browser says no more than that): check its files.
async function workerFailed(message, mine) {
  waitingFor = "the check of worker.js, check.js and outputs.js against manifest.json";
  let why = message || "the worker that runs Python (worker.js) could not start";
  let file = false;
  try {
    const manifest = await readManifest();
    for (const path of ["worker.js", "check.js", "outputs.js"]) await fetchChecked(path, manifest);
  } catch (error) {
    if (error instanceof SiteFileError) [why, file] = [error.message, true];
  }
  if (mine === generation) fail(why, file);
}

// `file`: the reason is a file of the site (missing, damaged, wrongly served), named in `why`.
function fail(why, file = false) {
  failed = true;
  ready = false;
  if (worker) worker.terminate();
  const what = file ? "Try reloading the page once (a download cut short); if it says the same, "
    + "the site's copy is damaged: copy it again, as above."
    : `Try reloading the page; use a recent Chrome, Edge, Firefox or Safari; if it persists, ${COPY_AGAIN}.`;
  setStatus(`Python could not start: ${why}. ${what}`, "failed");
  root.dataset.state = "error";
  cancelAll("not run: Python could not start (see the status line)");
}

// The page's own files the worker found damaged (Viz.js, the editor): Python starts, the
// page says what is wrong, and its state is "error" (a graph would not be drawn).
function siteDamaged(text, paths) {
  if (paths.some((p) => p.startsWith("viz/"))) vizUnavailable(text);
  if (damaged) return;  // (said at the first start; a restart finds the same)
  damaged = `the site is damaged: ${text}`;
  const note = document.createElement("p");
  note.className = "served";
  note.setAttribute("role", "alert");
  note.textContent = `This copy of the site is damaged: ${text}. Cells run, but what needs these files does not work.`;
  document.querySelector("main").before(note);
  root.dataset.state = "error";
  setStatus(`${waitingFor} (But ${damaged}.)`, "loading");
}

function receive(m) {
  if (m.type === "progress") {
    waitingFor = m.text;
    setStatus(m.text + (damaged ? ` (But ${damaged}.)` : ""), "loading");
  } else if (m.type === "failed") {
    fail(m.text, m.file);
  } else if (m.type === "checked") {
    root.dataset.checked = m.hashedBy;  // how the site's files were hashed
  } else if (m.type === "damaged") {
    siteDamaged(m.text, m.paths);
  } else if (m.type === "ready") {
    ready = m.python;
    const seconds = ((performance.now() - loadStarted) / 1000).toFixed(2);
    if (!root.dataset.ready) root.dataset.ready = (performance.now() / 1000).toFixed(2);  // since the page opened
    const fresh = resetting ? ": the lesson was reset (a fresh Python: every variable, and every change made to scalargrad, forgotten)" : "";
    resetting = false;
    setStatus(`Python ${m.python} ready (${seconds} s)${fresh}` + (damaged ? `. But ${damaged}.` : ""), "ready");
    runAllButton.disabled = false;
    if (root.dataset.state === "loading") {
      root.dataset.state = "ready";
      if (new URLSearchParams(location.search).get("run") === "all") runAll();
    }
    pump();
  } else if (m.type === "output") {
    const cell = byId.get(m.cell);
    if (!cell) return;
    const shown = show(cell.out, m.output);  // (printed text is added at the next frame)
    if (shown instanceof Promise) drawing.set(m.cell, [...(drawing.get(m.cell) || []), shown]);
    if (m.output.type === "error" && m.output.ename === "NameError") {
      const skipped = above(cell);
      if (skipped.length) {
        offer(cell, `Cells above this one have not run in this Python (cells ${numbers(skipped)}): a name one of them defines is not defined until it runs.`,
          `▶ Run the cells above (cells ${numbers(skipped)}), then this one`, () => { skipped.forEach(runCell); runCell(cell); });
      }
    }
  } else if (m.type === "done") {
    const cell = byId.get(m.cell);
    if (cell) flushText(cell.out);
    const pending = drawing.get(m.cell) || [];
    drawing.delete(m.cell);
    const mine = generation;
    Promise.all(pending).then((undrawn) => {
      if (mine === generation) finish(m.cell, m.ok, m.seconds, undrawn.find(Boolean) || null);
    });
  }
}

// -- the toolbar ---------------------------------------------------------------------------

async function runAll() {
  root.dataset.state = "running";
  delete root.dataset.failed;
  const todo = cells.filter((c) => !c.desktopOnly);
  const results = todo.map(runCell);  // every cell queued at once, shown as queued
  for (const [k, result] of results.entries()) {
    if (!(await result)) {
      root.dataset.state = "error";
      root.dataset.failed = todo[k].id;
      todo[k].element.scrollIntoView({ block: "center" });
      return false;
    }
  }
  if (damaged) {
    root.dataset.state = "error";
    setStatus(`Ran every cell (${todo.length}) in order, but ${damaged}`, "error");
    return false;
  }
  root.dataset.state = "done";
  setStatus(`Ran every cell (${todo.length}) in order: done`, "ready");
  return true;
}

// A fresh Python, not a fresh namespace in the same one: what a cell changed outside its
// variables (a patched Value.__mul__, an imported module's state) must not survive a reset.
function resetLesson() {
  if (!confirm("Put every cell back as the lesson gave it, and start a fresh Python (every variable forgotten)?")) return;
  cancelAll("");
  for (const cell of cells) putBack(cell);
  if (running) {
    buttonToRun(running.cell);
    running.resolve(false);
    running = null;
    stopAll.hidden = true;
  }
  if (!served || failed) return;
  resetting = true;
  startWorker("Restarting Python for a fresh lesson: waiting for the new Python to start…");
}

function download(name, text, type) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function asPython() {
  const parts = [`# ${lesson.title}`, "# (from scalargrad's workshop page; cells as # %% blocks)"];
  for (const spec of lesson.cells) {
    if (spec.kind === "code") parts.push(`# %%\n${code(byId.get(spec.id))}`);
    else parts.push("# %% [markdown]\n" + spec.source.split("\n").map((l) => `# ${l}`.trimEnd()).join("\n"));
  }
  return parts.join("\n\n") + "\n";
}

function asNotebook() {
  const lines = (text) => text.split(/(?<=\n)/);
  return JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" },
                language_info: { name: "python" } },
    cells: lesson.cells.map((spec) => spec.kind === "code"
      ? { cell_type: "code", id: spec.id, metadata: spec.tags.length ? { tags: spec.tags } : {},
          execution_count: null, outputs: [], source: lines(code(byId.get(spec.id))) }
      : { cell_type: "markdown", id: spec.id, metadata: {}, source: lines(spec.source) }),
  }, null, 1) + "\n";
}

const tools = document.getElementById("tools");
const runAllButton = button("▶▶ Run all", "Run every cell in order", runAll);
const stopAll = button("■ Stop", "Stop the running cell (and the cells queued after it)", () => { cancelAll("not run: Stop was pressed"); stop(); }, "stop");
runAllButton.disabled = true;
stopAll.hidden = true;
tools.append(runAllButton, stopAll, button("Reset lesson", "Forget your edits and start Python's namespace afresh", resetLesson),
  button("⤓ .py", "Download this lesson with your edits as a Python file", () => download(`${lesson.slug}.py`, asPython(), "text/x-python")),
  button("⤓ .ipynb", "Download this lesson with your edits as a Jupyter notebook", () => download(`${lesson.slug}.ipynb`, asNotebook(), "application/x-ipynb+json")));

buildCells();
for (const block of document.querySelectorAll(".prose pre")) {
  watchScrolling(block, block.classList.contains("formula") ? "Formula" : "Example");
}
if (served) startWorker("Loading Python: waiting for the worker that runs it (worker.js) to start…");
setInterval(() => {  // a long wait says so, and a wait past START_BOUND ends
  if (ready || failed || !worker) return;
  const waited = (performance.now() - loadStarted) / 1000;
  if (waited > START_BOUND) {
    fail(`it did not start within ${START_BOUND} s; it was waiting for: ${waitingFor.replace(/…$/, "")} `
      + "(a very slow network or computer, or a damaged copy of the site)");
  } else if (waited > START_BOUND / 2 && !saidLong) {
    saidLong = true;
    setStatus(`Still waiting after ${Math.round(waited)} s: ${waitingFor} (the page gives up at ${START_BOUND} s)`, "loading");
  }
}, Math.min(1000, START_BOUND * 250));
window.scalargradWorkshop = { cells, runCell: (id) => runCell(byId.get(id)), stop };
