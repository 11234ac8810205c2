// What a cell shows, as in Jupyter: printed text, rich HTML (Values, narrations, the checker's
// report), draw_dot graphs (drawn here by Viz.js, each with its text alternative), plots, the
// stepper and replay pages (in sandboxed frames), and errors.
import { COPY_AGAIN, SiteFileError } from "./check.js";

let viz = null;
let graphs = 0;

export function pre(text, kind) {
  const p = document.createElement("pre");
  p.className = kind;
  p.textContent = text;
  return p;
}

let vizProblem = null;  // why Viz.js cannot be used (the worker found viz/viz.js damaged), or null

export function vizUnavailable(why) {
  vizProblem = why;
}

async function loadViz() {
  if (vizProblem) throw new SiteFileError(vizProblem);
  try {
    return await (await import("./viz/viz.js")).instance();
  } catch (error) {
    throw new SiteFileError(`Viz.js (the site's file viz/viz.js) could not be loaded (${error}): ${COPY_AGAIN}`);
  }
}

// A graph and its text alternative (the kernel sends the graph as a text tree in text/plain:
// nodes, values, gradients): the drawing is one image named by its first line, described by
// the tree, which anyone can open under it. Resolves to null once drawn, or to why it was not.
async function drawDot(out, source, text) {
  const holder = document.createElement("div");
  holder.className = "graph";
  out.append(holder);
  const id = `graph-text-${++graphs}`;
  const lines = (text || "").split("\n");
  const described = lines.length > 1;
  let problem = null;
  try {
    if (!viz) viz = await loadViz();
    const svg = viz.renderSVGElement(source);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", described ? `${lines[0]} ${lines[1]}` : "a graph drawn by draw_dot");
    if (described) svg.setAttribute("aria-describedby", id);
    holder.append(svg);
  } catch (error) {
    problem = error instanceof SiteFileError ? error.message : `Viz.js could not draw it (${error})`;
    holder.append(pre(`could not draw the graph: ${problem}\n\n${source}`, "stderr"));
  }
  if (described) {
    const details = document.createElement("details");
    details.className = "alt";
    const summary = document.createElement("summary");
    summary.textContent = "The graph as text";
    const tree = pre(lines.slice(1).join("\n"), "tree");
    tree.id = id;
    details.append(summary, tree);
    holder.append(details);
  }
  return problem;
}

function frameTitle(html) {
  const found = /<title>([^<]*)<\/title>/i.exec(html);
  const text = document.createElement("textarea");  // decodes the title's entities, inertly
  text.innerHTML = found ? found[1] : "";
  return text.value || "an interactive page made by the cell";
}

// Printed text arrives in pieces (the kernel coalesces a flood of prints into a few messages
// a second): each is added as a text node, at most once per animation frame, never by
// rewriting what the output already holds.
const pending = new Map();  // an output element -> [[stream name, text], ...] not yet shown
let textFrame = 0;  // the animation frame that will add them

export function flushText(out) {
  const pieces = pending.get(out);
  if (!pieces) return;
  pending.delete(out);
  for (const [name, text] of pieces) {
    const last = out.lastElementChild;
    if (last && last.tagName === "PRE" && last.className === name) last.append(text);
    else out.append(pre(text, name));
  }
}

export function forgetText(out) {
  pending.delete(out);
}

function addText(out, name, text) {
  const pieces = pending.get(out) || [];
  const last = pieces[pieces.length - 1];
  if (last && last[0] === name) last[1] += text;
  else pieces.push([name, text]);
  pending.set(out, pieces);
  if (!textFrame) {
    textFrame = requestAnimationFrame(() => {
      textFrame = 0;
      [...pending.keys()].forEach(flushText);
    });
  }
}

function kb(chars) {
  return chars >= 1e6 ? `${(chars / 1e6).toFixed(1)} MB` : `${Math.round(chars / 1e3)} KB`;
}

// The note where a cell's printed text is cut (kernel.py keeps its first and last part):
// while the cell runs it counts what is held back; at the end, what was left out.
function hiddenNote(out, output) {
  let note = out.lastElementChild;
  if (!(note && note.classList.contains("hidden-lines") && note.hasAttribute("data-open"))) {
    note = document.createElement("p");
    note.className = "note hidden-lines";
    note.setAttribute("role", "note");
    out.append(note);
  }
  const lines = `${output.lines.toLocaleString("en")} line${output.lines === 1 ? "" : "s"}`;
  const kept = `the page shows a cell's first ${kb(output.head)} and last ${kb(output.tail)} of printed text`;
  if (output.final) {
    delete note.dataset.open;
    note.textContent = `… ${lines} (${kb(output.chars)}) not shown here: ${kept}; `
      + "to see a long run's progress, print less often (every 100th step, say) …";
  } else {
    note.dataset.open = "";
    note.textContent = `… ${lines} (${kb(output.chars)}) printed so far past what is shown: ${kept}; `
      + "the last part follows when the cell ends …";
  }
}

// Shows one output of the worker's in `out`; a Promise while a graph is still being drawn
// (resolving to null, or to why the graph was not drawn).
export function show(out, output) {
  if (output.type === "stream") {
    addText(out, output.name, output.text);
    return undefined;
  }
  flushText(out);
  if (output.type === "hidden") {
    hiddenNote(out, output);
  } else if (output.type === "error") {
    out.append(pre(output.traceback, "error"));
  } else if (output.type === "display") {
    const data = output.data;
    if (data["text/vnd.graphviz"]) return drawDot(out, data["text/vnd.graphviz"], data["text/plain"]);
    if (data["text/html"]) {
      const html = data["text/html"];
      const div = document.createElement("div");
      if (/<script|<iframe/i.test(html) && !/^\s*<iframe/i.test(html)) {
        const frame = document.createElement("iframe");
        frame.setAttribute("sandbox", "allow-scripts");
        frame.title = frameTitle(html);
        frame.srcdoc = html;
        div.append(frame);
      } else {
        div.innerHTML = html;  // the page's policy runs no script from it
      }
      return out.append(div);
    }
    for (const [mime, prefix] of [["image/svg+xml", "data:image/svg+xml;charset=utf-8,"], ["image/png", "data:image/png;base64,"]]) {
      if (!data[mime]) continue;
      const img = document.createElement("img");
      img.src = prefix + (mime === "image/png" ? data[mime] : encodeURIComponent(data[mime]));
      img.alt = data["text/plain"] || "a figure made by the cell";
      return out.append(img);
    }
    out.append(pre(data["text/plain"] || "", "stdout"));
  }
  return undefined;
}

const WORST = ["error", "fail", "todo", "pass"];

// The checker's verdict in a cell's output (exercises/check.py's report marks each exercise
// with class="sg-verdict" data-verdict=..., inside a container with the overall verdict), or
// null if the cell showed no checker report.
export function verdictOf(out) {
  const overall = [...out.querySelectorAll("[data-verdict]")].find((e) => !e.classList.contains("sg-verdict"));
  if (overall && WORST.includes(overall.dataset.verdict)) return overall.dataset.verdict;
  const each = [...out.querySelectorAll(".sg-verdict[data-verdict]")].map((e) => e.dataset.verdict);
  return WORST.find((v) => each.includes(v)) || null;
}

export const VERDICT_WORDS = { pass: "✓ PASS", fail: "✗ FAIL", todo: "… TODO", error: "! ERROR" };

// A box that scrolls sideways (an output, a formula, on a narrow screen) must be reachable by
// keyboard to be scrolled (WCAG 2.1.1; axe's scrollable-region-focusable): while it overflows
// it is a named region in the tab order, and when it fits again it is plain once more.
const scrollable = new Map();  // element -> its name as a region
const watcher = typeof ResizeObserver === "function"
  ? new ResizeObserver((entries) => entries.forEach((e) => markScrollable(e.target))) : null;

function markScrollable(element) {
  const name = scrollable.get(element);
  if (!name) return;
  if (element.scrollWidth > element.clientWidth + 1) {
    element.tabIndex = 0;
    element.setAttribute("role", "region");
    element.setAttribute("aria-label", `${name} (scrolls sideways)`);
  } else if (element.hasAttribute("tabindex")) {
    element.removeAttribute("tabindex");
    element.removeAttribute("role");
    element.removeAttribute("aria-label");
  }
}

// Watches `element` (its size changes as the window does and as outputs arrive); `check`
// alone looks again after its content changed without changing its size.
export function watchScrolling(element, name) {
  scrollable.set(element, name);
  if (watcher) watcher.observe(element);
  markScrollable(element);
}

export { markScrollable as checkScrolling };
