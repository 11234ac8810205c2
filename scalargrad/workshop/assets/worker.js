// The lesson's Python: Pyodide in a Web Worker, so the page never freezes while a cell runs.
// Messages in:  {type: "run", cell, code} | {type: "reset"}
// Messages out: {type: "progress", text} | {type: "ready", python} | {type: "failed", text}
//               {type: "output", cell, output} | {type: "done", cell, ok, seconds}
import { loadPyodide } from "./pyodide/pyodide.mjs";

let py = null;
let kernel = null;
let current = null;

function emit(output) {
  const plain = output.toJs({ dict_converter: Object.fromEntries });
  output.destroy();
  postMessage({ type: "output", cell: current, output: plain });
}

async function unpack(name, into) {
  const response = await fetch(new URL(name, import.meta.url));
  if (!response.ok) throw new Error(`could not load ${name}: HTTP ${response.status}`);
  py.unpackArchive(await response.arrayBuffer(), "zip", { extractDir: into });
}

function newKernel() {  // a fresh namespace for the lesson
  return py.runPython("from scalargrad.workshop.kernel import Kernel\nKernel(_emit)");
}

async function start() {
  try {
    postMessage({ type: "progress", text: "Loading Python (Pyodide, about 13 MB)…" });
    py = await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
    postMessage({ type: "progress", text: "Unpacking scalargrad…" });
    const site = py.runPython("import site; site.getsitepackages()[0]");
    await unpack("./py/scalargrad.zip", site);
    await unpack("./py/graphviz.whl", site);
    py.globals.set("_emit", emit);
    kernel = newKernel();
    postMessage({ type: "ready", python: py.runPython("import sys; sys.version.split()[0]") });
  } catch (error) {
    postMessage({ type: "failed", text: String(error && error.message || error) });
  }
}

const started = start();

onmessage = async (event) => {
  await started;
  const message = event.data;
  if (!kernel) return;
  if (message.type === "reset") {
    kernel.destroy();
    kernel = newKernel();
    postMessage({ type: "reset" });
  } else if (message.type === "run") {
    current = message.cell;
    const t0 = performance.now();
    let ok = false;
    try {
      ok = kernel.run(message.code);
    } catch (error) {
      postMessage({ type: "output", cell: current, output: {
        type: "error", ename: "InternalError", evalue: String(error), traceback: String(error) } });
    }
    postMessage({ type: "done", cell: current, ok, seconds: (performance.now() - t0) / 1000 });
  }
};
