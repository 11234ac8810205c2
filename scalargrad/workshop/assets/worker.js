// The lesson's Python: Pyodide in a Web Worker, so the page never freezes while a cell runs.
// Messages in:  {type: "interrupt", buffer} (an Int32Array on a SharedArrayBuffer: the page
//               writes 2 into it to raise KeyboardInterrupt in the running cell, in place)
//               {type: "run", cell, name, code} | {type: "reset"}
// Messages out: {type: "progress", text} | {type: "ready", python} | {type: "failed", text}
//               {type: "output", cell, output} | {type: "done", cell, ok, seconds}
//               {type: "reset"}
// Without a SharedArrayBuffer (a server without the isolation headers, WebKit) the page stops
// a cell by ending this worker and starting a new one.
import { loadPyodide } from "./pyodide/pyodide.mjs";

let py = null;
let kernel = null;
let current = null;
let interrupt = null;

function emit(output) {
  const plain = output.toJs({ dict_converter: Object.fromEntries });
  output.destroy();
  postMessage({ type: "output", cell: current, output: plain });
}

async function unpack(name, into) {
  const url = new URL(name, import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url.pathname}: HTTP ${response.status}`);
  py.unpackArchive(await response.arrayBuffer(), "zip", { extractDir: into });
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

async function missingFiles() {  // a site copied in part: say which file is missing
  for (const name of ["pyodide.asm.wasm", "pyodide.asm.mjs", "python_stdlib.zip", "pyodide-lock.json"]) {
    const url = new URL(`./pyodide/${name}`, import.meta.url);
    const response = await fetch(url, { method: "HEAD" });
    if (!response.ok) {
      throw new Error(`the site's file ${url.pathname} is missing (HTTP ${response.status}): `
        + "copy the whole site folder again");
    }
  }
}

async function start() {
  try {
    if (typeof WebAssembly !== "object") {
      throw new Error("this browser has no WebAssembly, which Python in the browser needs");
    }
    await missingFiles();
    postMessage({ type: "progress", text: "Loading Python (Pyodide, about 13 MB; the first visit takes longest)…" });
    py = await Promise.race([
      loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href }), loaderFailure()]);
    postMessage({ type: "progress", text: "Python loaded; unpacking scalargrad…" });
    const site = py.runPython("import site; site.getsitepackages()[0]");
    await unpack("./py/scalargrad.zip", site);
    await unpack("./py/graphviz.whl", site);
    py.globals.set("_emit", emit);
    kernel = newKernel();
    if (interrupt) py.setInterruptBuffer(interrupt);
    postMessage({ type: "ready", python: py.runPython("import sys; sys.version.split()[0]") });
  } catch (error) {
    postMessage({ type: "failed", text: String(error && error.message || error) });
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
  if (message.type === "reset") {
    kernel.destroy();
    kernel = newKernel();
    postMessage({ type: "reset" });
  } else if (message.type === "run") {
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
