// The lesson's Python: Pyodide in a Web Worker, so the page never freezes while a cell runs.
// Messages in:  {type: "interrupt", buffer} (an Int32Array on a SharedArrayBuffer: the page
//               writes 2 into it to raise KeyboardInterrupt in the running cell, in place)
//               {type: "run", cell, name, code}
// Messages out: {type: "progress", text} (what the start waits for) | {type: "ready", python}
//               {type: "failed", text, file} (file: a file of the site is to blame)
//               {type: "checked", hashedBy, files} (the files Python needs match manifest.json)
//               {type: "damaged", text, paths} (files the page needs but Python does not are
//               damaged or missing: Python starts all the same)
//               {type: "output", cell, output} | {type: "done", cell, ok, seconds}
// Before Python starts, every file of the site the lesson page uses is checked against the
// build's manifest.json (present, served with the right type, its size and SHA-256).
// Without a SharedArrayBuffer (a server without the isolation headers, WebKit) the page stops
// a cell by ending this worker and starting a new one; Reset lesson does the same.
import { fetchChecked, HASHED_BY, readManifest, SiteFileError } from "./check.js";

let py = null;
let kernel = null;
let current = null;
let interrupt = null;

function progress(text) {
  postMessage({ type: "progress", text });
}

function emit(output) {
  const plain = output.toJs({ dict_converter: Object.fromEntries });
  output.destroy();
  postMessage({ type: "output", cell: current, output: plain });
}

function newKernel() {  // a fresh namespace for the lesson
  return py.runPython("from scalargrad.workshop.kernel import Kernel\nKernel(_emit)");
}

// Pyodide's loader logs a failed WebAssembly instantiation (console.warn, then the error) and
// then waits for ever: while loading, such a warning or any console.error fails the load, with
// the logged words.
function loaderFailure() {
  return new Promise((_, reject) => {
    const said = [];
    const fail = () => setTimeout(() => reject(new Error(said.join(": "))), 0);
    for (const level of ["warn", "error"]) {
      const log = console[level];
      console[level] = (...args) => {
        log.apply(console, args);
        if (kernel) return;
        said.push(args.map(String).join(" "));
        if (level === "error" || /instantiation failed/i.test(said.join(" "))) fail();
      };
    }
  });
}

// Python needs these; the page's own files (Viz.js, the editor, the style) only warn.
const FOR_PYTHON = /^(pyodide\/|py\/|worker\.js$|outputs\.js$)/;
const FOR_PAGE = /^(viz\/|editor\/|[^/]+\.(js|css)$)/;

// Checks the site's files against manifest.json, saying which it waits for; the bytes of the
// lock file and of the two archives Python unpacks (so they are not fetched twice).
async function checkFiles() {
  progress("Checking the site's files: waiting for manifest.json…");
  const manifest = await readManifest();
  const paths = Object.keys(manifest.files).filter((p) => FOR_PYTHON.test(p) || FOR_PAGE.test(p));
  const waiting = new Set(paths);
  const say = () => {
    const next = [...waiting].sort((a, b) => manifest.files[b].bytes - manifest.files[a].bytes)[0];
    progress(`Checking the site's files against manifest.json (${paths.length - waiting.size} of `
      + `${paths.length} checked; waiting for ${next}, ${(manifest.files[next].bytes / 1e6).toFixed(1)} MB)…`);
  };
  say();
  const results = await Promise.allSettled(paths.map(async (path) => {
    try {
      const bytes = await fetchChecked(path, manifest);
      return /^py\/|pyodide-lock\.json$/.test(path) ? bytes : null;
    } finally {
      waiting.delete(path);
      if (waiting.size) say();
    }
  }));
  const kept = {};
  const problems = { python: [], page: [] };
  results.forEach((result, k) => {
    if (result.status === "fulfilled") kept[paths[k]] = result.value;
    else {
      const error = result.reason;
      const text = error instanceof SiteFileError ? error.message : `${paths[k]}: ${error}`;
      problems[FOR_PYTHON.test(paths[k]) ? "python" : "page"].push(text);
    }
  });
  if (problems.python.length) throw new SiteFileError(problems.python.join("; "));
  if (problems.page.length) {
    const broken = paths.filter((p, k) => results[k].status === "rejected");
    postMessage({ type: "damaged", text: problems.page.join("; "), paths: broken });
  }
  postMessage({ type: "checked", hashedBy: HASHED_BY, files: paths.length });
  return kept;
}

async function start() {
  try {
    if (typeof WebAssembly !== "object") {
      throw new Error("this browser has no WebAssembly, which Python in the browser needs");
    }
    const files = await checkFiles();
    let lock;
    try {
      lock = JSON.parse(new TextDecoder().decode(files["pyodide/pyodide-lock.json"]));
    } catch (error) {
      throw new SiteFileError(`the site's file pyodide/pyodide-lock.json cannot be read (${error})`);
    }
    progress("Loading Python: waiting for Pyodide to start (pyodide.asm.wasm, about 10 MB, "
      + "compiled by the browser; the first visit takes longest)…");
    const { loadPyodide } = await import("./pyodide/pyodide.mjs");
    py = await Promise.race([loadPyodide({
      indexURL: new URL("./pyodide/", import.meta.url).href, lockFileContents: lock,
    }), loaderFailure()]);
    progress("Python loaded; waiting for scalargrad to be unpacked…");
    const site = py.runPython("import site; site.getsitepackages()[0]");
    for (const name of ["py/scalargrad.zip", "py/graphviz.whl"]) {
      py.unpackArchive(files[name], "zip", { extractDir: site });
    }
    py.globals.set("_emit", emit);
    kernel = newKernel();
    if (interrupt) py.setInterruptBuffer(interrupt);
    postMessage({ type: "ready", python: py.runPython("import sys; sys.version.split()[0]") });
  } catch (error) {
    postMessage({ type: "failed", file: error instanceof SiteFileError, text: String(error && error.message || error) });
  }
}

const started = start();

onmessage = async (event) => {
  const message = event.data;
  if (message.type === "interrupt") {
    interrupt = message.buffer;
    if (py) py.setInterruptBuffer(interrupt);
    return;
  }
  await started;
  if (!kernel) return;
  if (message.type === "run") {
    current = message.cell;
    if (interrupt) interrupt[0] = 0;  // a Stop pressed after the last cell ended is no news
    const t0 = performance.now();
    let ok = false;
    try {
      ok = kernel.run(message.code, message.name);
    } catch (error) {
      postMessage({ type: "output", cell: current, output: {
        type: "error", ename: "InternalError", evalue: String(error), traceback: String(error) } });
    }
    postMessage({ type: "done", cell: current, ok, seconds: (performance.now() - t0) / 1000 });
  }
};
