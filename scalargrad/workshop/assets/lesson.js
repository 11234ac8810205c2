// A lesson page: editable code cells run by Python in a Web Worker (worker.js), outputs shown
// as in Jupyter, work kept in localStorage. `?run=all` runs every cell in order, then sets
// document.documentElement.dataset.state to "done" (or "error", the failing cell marked).
const lesson = JSON.parse(document.getElementById("lesson").textContent);
const root = document.documentElement;
const statusLine = document.getElementById("status");
const store = `scalargrad-workshop:${lesson.slug}:`;
const cells = new Map();  // id -> {id, source, textarea, out, element}
let worker = null;
let ready = false;
let viz = null;
const waiting = new Map();  // cell id -> resolve(ok)
const drawing = new Map();  // cell id -> graphs still being drawn (a cell is done after them)

function setStatus(text, state) {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function saved(id) {
  try { return localStorage.getItem(store + id); } catch { return null; }
}

function keep(cell) {
  try {
    if (cell.textarea.value === cell.source) localStorage.removeItem(store + cell.id);
    else localStorage.setItem(store + cell.id, cell.textarea.value);
  } catch { /* storage full or disabled: the page still works */ }
  cell.edited.textContent = cell.textarea.value === cell.source ? "" : "edited (kept in this browser)";
}

function fit(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight + 4}px`;
}

function button(label, title, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.title = title;
  b.addEventListener("click", action);
  return b;
}

function buildCells() {
  for (const section of document.querySelectorAll("section.cell")) {
    const id = section.dataset.cell;
    const spec = lesson.cells.find((c) => c.id === id);
    const textarea = section.querySelector("textarea");
    const out = section.querySelector(".out");
    const bar = section.querySelector(".bar");
    const cell = { id, source: spec.source, textarea, out, element: section };
    cell.edited = document.createElement("span");
    cell.edited.className = "edited";
    cell.runButton = button("▶ Run", "Run this cell (Shift+Enter)", () => runCell(cell));
    bar.append(cell.runButton, button("Reset", "Put this cell's code back as the lesson gave it", () => {
      textarea.value = cell.source; keep(cell); fit(textarea);
    }), cell.edited);
    const mine = saved(id);
    if (mine !== null) textarea.value = mine;
    keep(cell);
    textarea.addEventListener("input", () => { keep(cell); fit(textarea); });
    textarea.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.shiftKey) { e.preventDefault(); runCell(cell); }
      if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        textarea.setRangeText("    ", textarea.selectionStart, textarea.selectionEnd, "end");
        keep(cell);
      }
    });
    cells.set(id, cell);
    fit(textarea);
  }
}

function pre(text, kind) {
  const p = document.createElement("pre");
  p.className = kind;
  p.textContent = text;
  return p;
}

async function drawDot(out, source) {
  const holder = document.createElement("div");
  holder.className = "graph";
  out.append(holder);
  try {
    if (!viz) viz = await (await import("./viz/viz.js")).instance();
    holder.append(viz.renderSVGElement(source));
  } catch (error) {
    holder.append(pre(`could not draw the graph: ${error}\n\n${source}`, "stderr"));
  }
}

function show(cell, output) {
  const out = cell.out;
  if (output.type === "stream") {
    const last = out.lastElementChild;
    if (last && last.tagName === "PRE" && last.className === output.name) last.textContent += output.text;
    else out.append(pre(output.text, output.name));
  } else if (output.type === "error") {
    out.append(pre(output.traceback, "error"));
  } else if (output.type === "display") {
    const data = output.data;
    if (data["text/vnd.graphviz"]) return drawDot(out, data["text/vnd.graphviz"]);
    if (data["text/html"]) {
      const html = data["text/html"];
      const div = document.createElement("div");
      if (/<script|<iframe/i.test(html) && !/^\s*<iframe/i.test(html)) {
        const frame = document.createElement("iframe");
        frame.setAttribute("sandbox", "allow-scripts");
        frame.srcdoc = html;
        div.append(frame);
      } else {
        div.innerHTML = html;  // the page's policy runs no script from it
      }
      return out.append(div);
    }
    if (data["image/svg+xml"]) {
      const img = document.createElement("img");
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data["image/svg+xml"])}`;
      img.alt = data["text/plain"] || "figure";
      return out.append(img);
    }
    if (data["image/png"]) {
      const img = document.createElement("img");
      img.src = `data:image/png;base64,${data["image/png"]}`;
      img.alt = data["text/plain"] || "figure";
      return out.append(img);
    }
    out.append(pre(data["text/plain"] || "", "stdout"));
  }
}

function runCell(cell) {
  if (!ready) return Promise.resolve(false);
  cell.out.replaceChildren();
  cell.element.dataset.state = "running";
  return new Promise((resolve) => {
    waiting.set(cell.id, resolve);
    worker.postMessage({ type: "run", cell: cell.id, code: cell.textarea.value });
  });
}

async function runAll() {
  root.dataset.state = "running";
  for (const cell of cells.values()) {
    if (cell.element.hasAttribute("data-desktop-only")) continue;
    const ok = await runCell(cell);
    if (!ok) {
      root.dataset.state = "error";
      root.dataset.failed = cell.id;
      cell.element.scrollIntoView({ block: "center" });
      return false;
    }
  }
  root.dataset.state = "done";
  return true;
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
    if (spec.kind === "code") parts.push(`# %%\n${cells.get(spec.id).textarea.value}`);
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
          execution_count: null, outputs: [], source: lines(cells.get(spec.id).textarea.value) }
      : { cell_type: "markdown", id: spec.id, metadata: {}, source: lines(spec.source) }),
  }, null, 1) + "\n";
}

function startWorker() {
  ready = false;
  root.dataset.state = "loading";
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (event) => {
    const m = event.data;
    if (m.type === "progress") setStatus(m.text, "loading");
    else if (m.type === "failed") { setStatus(`Python could not start: ${m.text}`, "failed"); root.dataset.state = "error"; }
    else if (m.type === "ready") {
      ready = true;
      root.dataset.ready = (performance.now() / 1000).toFixed(2);  // seconds since the page opened
      setStatus(`Python ${m.python} ready (${root.dataset.ready} s)`, "ready");
      document.querySelectorAll("button[data-needs-python]").forEach((b) => { b.disabled = false; });
      root.dataset.state = "ready";
      if (new URLSearchParams(location.search).get("run") === "all") runAll();
    } else if (m.type === "output") {
      const cell = cells.get(m.cell);
      const shown = cell && show(cell, m.output);
      if (shown instanceof Promise) drawing.set(m.cell, [...(drawing.get(m.cell) || []), shown]);
    } else if (m.type === "done") {
      const pending = drawing.get(m.cell) || [];
      drawing.delete(m.cell);
      Promise.all(pending).then(() => {  // drawDot never rejects: it shows its error instead
        const cell = cells.get(m.cell);
        if (cell) {
          cell.element.dataset.state = m.ok ? "ok" : "error";
          cell.element.dataset.seconds = m.seconds.toFixed(3);
        }
        const resolve = waiting.get(m.cell);
        waiting.delete(m.cell);
        if (resolve) resolve(m.ok);
      });
    }
  };
  worker.onerror = (event) => { setStatus(`Python could not start: ${event.message}`, "failed"); };
}

function toolbar() {
  const tools = document.getElementById("tools");
  const runAllButton = button("▶▶ Run all", "Run every cell in order", runAll);
  const resetButton = button("Reset lesson", "Forget your edits and start Python's namespace afresh", () => {
    if (!confirm("Put every cell back as the lesson gave it, and forget all variables?")) return;
    for (const cell of cells.values()) { cell.textarea.value = cell.source; keep(cell); fit(cell.textarea); cell.out.replaceChildren(); delete cell.element.dataset.state; }
    if (ready) worker.postMessage({ type: "reset" });
  });
  runAllButton.disabled = true;
  runAllButton.dataset.needsPython = "";
  tools.append(runAllButton, resetButton,
    button("⤓ .py", "Download this lesson with your edits as a Python file", () => download(`${lesson.slug}.py`, asPython(), "text/x-python")),
    button("⤓ .ipynb", "Download this lesson with your edits as a Jupyter notebook", () => download(`${lesson.slug}.ipynb`, asNotebook(), "application/x-ipynb+json")));
}

buildCells();
toolbar();
startWorker();
