// The backprop stepper: lays the graph out in layers (by depth from the inputs), draws it as
// SVG, and renders the state after any number of steps. All text goes in with textContent.
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("page-data").textContent);
  const W = 230, H = 104, COL = 310, ROW = 125, GAP = 40, LAYER = 70, PAD = 20;
  const svg = $("graph"), panelTitle = $("panel-title"), panelLines = $("panel-lines");
  let V = null, L = null, nodeEls = [], edgeEls = [];

  function el(tag, attrs, parent, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }

  // Layers by depth (longest path from an input), each ordered by the barycentre of its
  // nodes' neighbours over a few sweeps each way and centred on the widest. The layers run
  // left to right, or top to bottom when that lets the graph be drawn larger (long chains).
  function layout(view) {
    const n = view.nodes.length, depth = new Array(n).fill(0);
    const ins = view.nodes.map(() => []), outs = view.nodes.map(() => []);
    for (const e of view.edges) { ins[e.dst].push(e.src); outs[e.src].push(e.dst); }
    for (let i = 0; i < n; i++) for (const s of ins[i]) depth[i] = Math.max(depth[i], depth[s] + 1);
    for (let i = 0; i < n; i++) { // a leaf sits just before its first consumer (a constant by its op)
      if (!ins[i].length && outs[i].length) depth[i] = Math.min(...outs[i].map((j) => depth[j])) - 1;
    }
    const layers = [];
    for (let i = 0; i < n; i++) (layers[depth[i]] = layers[depth[i]] || []).push(i);
    const row = new Array(n).fill(0);
    const number = () => layers.forEach((c) => c.forEach((i, r) => { row[i] = r; }));
    number();
    const mean = (xs, fallback) => xs.length ? xs.reduce((a, j) => a + row[j], 0) / xs.length : fallback;
    for (let sweep = 0; sweep < 4; sweep++) {
      for (let c = 1; c < layers.length; c++) {
        layers[c].sort((a, b) => mean(ins[a], row[a]) - mean(ins[b], row[b])); number();
      }
      for (let c = layers.length - 2; c >= 0; c--) {
        layers[c].sort((a, b) => mean(outs[a], row[a]) - mean(outs[b], row[b])); number();
      }
    }
    const widest = Math.max(...layers.map((c) => c.length)), deep = layers.length;
    const margin = view.nodes.some((node) => node.hidden) ? 60 : 0;
    const lr = { width: 2 * PAD + margin + (deep - 1) * COL + W, height: 2 * PAD + (widest - 1) * ROW + H };
    const tb = { width: 2 * PAD + (widest - 1) * (W + GAP) + W, height: 2 * PAD + margin + (deep - 1) * (H + LAYER) + H };
    const room = available();
    const fits = (b) => Math.min(room.w / b.width, room.h / b.height);
    const down = fits(tb) > fits(lr) * 1.15; // left to right unless top to bottom is clearly bigger
    const box = down ? tb : lr;
    const x = new Array(n), y = new Array(n);
    layers.forEach((c, d) => c.forEach((i, r) => {
      const across = r + (widest - c.length) / 2;
      if (down) { x[i] = PAD + across * (W + GAP); y[i] = PAD + margin + d * (H + LAYER); }
      else { x[i] = PAD + margin + d * COL; y[i] = PAD + across * ROW; }
    }));
    return { x, y, down, width: box.width, height: box.height, ins };
  }

  function draw(view) {
    V = view; L = layout(view);
    while (svg.lastChild && svg.lastChild.nodeName !== "desc") svg.removeChild(svg.lastChild);
    const defs = el("defs", {}, svg);
    for (const [id, colour] of [["arrow", "#aaa"], ["arrow-done", "#1f6fb2"], ["arrow-now", "#d9480f"], ["arrow-read", "#b8860b"]]) {
      const m = el("marker", { id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerUnits: "userSpaceOnUse", markerWidth: "16", markerHeight: "16", orient: "auto-start-reverse" }, defs);
      el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: colour }, m);
    }
    const edgeLayer = el("g", {}, svg), nodeLayer = el("g", {}, svg), labelLayer = el("g", {}, svg);
    const nargs = view.nodes.map(() => 0);
    for (const e of view.edges) nargs[e.dst] = Math.max(nargs[e.dst], e.arg + 1);
    edgeEls = view.edges.map((e, k) => {
      const share = (e.arg + 1) / (nargs[e.dst] + 1);
      let d, mid;
      const g = el("g", { class: "edge", "data-edge": String(k) }, edgeLayer);
      if (L.down) {
        const x1 = L.x[e.src] + W / 2, y1 = L.y[e.src] + H, x2 = L.x[e.dst] + W * share, y2 = L.y[e.dst] - 2;
        const dy = Math.max(30, (y2 - y1) / 2);
        d = `M ${x1} ${y1} C ${x1} ${y1 + dy}, ${x2} ${y2 - dy}, ${x2} ${y2}`;
        mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 }; // the curve's point at t = 1/2
      } else {
        const x1 = L.x[e.src] + W, y1 = L.y[e.src] + H / 2, x2 = L.x[e.dst] - 2, y2 = L.y[e.dst] + H * share;
        const dx = Math.max(40, (x2 - x1) / 2);
        d = `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`;
        mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
      }
      const path = el("path", { d, "marker-end": "url(#arrow)" }, g);
      const label = el("g", { class: "edge-label", visibility: "hidden" }, labelLayer);
      const bg = el("rect", { rx: "4" }, label);
      const text = el("text", { x: String(mid.x), y: String(mid.y + 6), "text-anchor": "middle", class: "num" }, label);
      return { g, path, label, bg, text };
    });
    nodeEls = view.nodes.map((node, i) => {
      const g = el("g", { class: "node", "data-id": String(i), transform: `translate(${L.x[i]} ${L.y[i]})` }, nodeLayer);
      g.setAttribute("data-name", node.name);
      el("title", {}, g, node.name + (node.op ? " = " + node.op + "(\u2026)" : " (leaf)"));
      el("rect", { width: String(W), height: String(H), rx: "10" }, g);
      el("text", { x: "14", y: "30", "font-size": "24", "font-weight": "700", class: "node-name" }, g, clip(node.name, 12));
      el("text", { x: String(W - 12), y: "30", "font-size": "18", "text-anchor": "end", class: "op" }, g, clip(node.op || "leaf", 11));
      const dl = el("text", { x: "14", y: "62", "font-size": "20" }, g);
      el("tspan", {}, dl, "data ");
      const dv = el("tspan", { class: "num val-data", "font-weight": "700" }, dl);
      const gl = el("text", { x: "14", y: "92", "font-size": "20" }, g);
      const gk = el("tspan", { class: "val-grad-label" }, gl, "grad ");
      const gv = el("tspan", { class: "num val-grad", "font-weight": "700" }, gl);
      const pend = el("tspan", { class: "pending" }, gl);
      if (node.hidden) {
        const at = L.down ? { x: String(W / 2), y: "-10", "text-anchor": "middle" } : { x: "-8", y: String(H / 2 + 6), "text-anchor": "end" };
        el("text", { ...at, class: "hidden-note" }, g, "+" + node.hidden + (L.down ? " \u2193" : " \u2192"));
      }
      return { g, dv, gv, pend, gk };
    });
    fit();
    const notice = $("notice");
    if (view.collapsed) {
      const c = view.collapsed;
      notice.textContent = `This graph has ${c.total} nodes: too many to step through one edge at a time ` +
        `(the page steps through at most ${c.limit}). Shown: the ${c.shown} nodes nearest the output, ` +
        "whose gradients are complete; the rest of the graph is collapsed (a node marked +k has k inputs " +
        "not shown). To step through a whole graph, build a smaller one: one neuron on one data point, say.";
      notice.hidden = false;
    } else {
      notice.hidden = true;
    }
  }

  // The room for the graph: its frame's width; its frame's height when it sits beside the
  // panel (page.css says --layout: side-by-side), a screen below the controls that stay at the
  // top when stacked on a phone, else the window below the panel.
  function available() {
    const wrap = $("graph-wrap"), controls = document.querySelector(".controls");
    const layout = getComputedStyle(document.documentElement).getPropertyValue("--layout").trim();
    let h = window.innerHeight - wrap.getBoundingClientRect().top - window.scrollY - 16;
    if (layout === "side-by-side") h = wrap.clientHeight - 8;
    else if (getComputedStyle(controls).position === "sticky") {
      h = Math.min(0.8 * window.innerHeight, window.innerHeight - controls.offsetHeight - 24);
    }
    return { w: Math.max(200, wrap.clientWidth - 24), h: Math.max(320, h) };
  }

  // Scroll a big graph so that the nodes of this step are in view.
  function follow(ids) {
    const wrap = $("graph-wrap"), s = L.scale || 1;
    const xs = ids.map((i) => L.x[i] * s), ys = ids.map((i) => L.y[i] * s);
    const left = Math.min(...xs), right = Math.max(...xs) + W * s;
    const top = Math.min(...ys), bottom = Math.max(...ys) + H * s;
    if (left < wrap.scrollLeft || right > wrap.scrollLeft + wrap.clientWidth) {
      wrap.scrollLeft = (left + right - wrap.clientWidth) / 2;
    }
    if (top < wrap.scrollTop || bottom > wrap.scrollTop + wrap.clientHeight) {
      wrap.scrollTop = (top + bottom - wrap.clientHeight) / 2;
    }
  }

  function fit() {
    const room = available();
    const scale = L.scale = Math.max(0.5, Math.min(1.3, room.w / L.width, room.h / L.height));
    svg.setAttribute("viewBox", `0 0 ${L.width} ${L.height}`);
    svg.setAttribute("width", String(Math.floor(L.width * scale)));
    svg.setAttribute("height", String(Math.floor(L.height * scale)));
  }

  // A name inside ∂…/∂…: bracketed when it is not a plain identifier ("∂y/∂(1+e^-z)").
  function d(name) { return /^[\p{L}\p{N}_#.]+$/u.test(name) ? name : "(" + name + ")"; }

  function line(parent, term, value, cls, id) {
    const p = document.createElement("p");
    if (cls) p.className = cls;
    if (id) p.id = id;
    if (term) {
      const t = document.createElement("span"); t.className = "term"; t.textContent = term;
      p.appendChild(t); p.appendChild(document.createTextNode(" "));
    }
    const v = document.createElement("span"); v.className = "num"; v.textContent = value; p.appendChild(v);
    parent.appendChild(p);
    return p;
  }

  // The state after `pos` steps of the backward pass (values forward, then gradients back):
  // for each node whether its value is known, its gradient and whether more is to come; for
  // each edge whether its downstream has been sent, and the label it then carries.
  function backwardState(pos) {
    const n = V.nodes.length, steps = V.steps;
    const known = new Array(n).fill(false), num = new Array(n).fill(null), got = new Array(n).fill(0);
    const uses = new Array(n).fill(0), edgeDone = new Array(V.edges.length).fill(false);
    for (const e of V.edges) uses[e.src]++;
    for (let k = 0; k < pos; k++) {
      const s = steps[k];
      if (s.kind === "forward") known[s.node] = true;
      else if (s.kind === "seed") num[s.node] = s.grad;
      else { num[s.input] = s.grad; got[s.input]++; edgeDone[s.edge] = true; }
    }
    const cur = pos > 0 ? steps[pos - 1] : null;
    return { cur, known, num, what: "grad", edgeDone,
             pend: num.map((g, i) => g !== null && got[i] < uses[i]),
             receiving: cur && cur.kind === "edge" ? cur.input : -1,
             reading: cur && cur.kind === "forward" ? cur.node : -1,
             currentEdge: cur && cur.kind === "edge" ? cur.edge : -1,
             label: (k) => (edgeDone[k] ? stepOfEdge[k].downstream : null) };
  }

  // The same after `pos` steps of the tangent pass (forward mode): a node's value and tangent
  // are known from its first step; its tangent waits for more until every input has sent its
  // contribution (tangent in \u00D7 local gradient), which the edge then carries.
  function tangentState(pos) {
    const n = V.nodes.length, steps = V.tangent.steps;
    const known = new Array(n).fill(false), num = new Array(n).fill(null), got = new Array(n).fill(0);
    const ins = new Array(n).fill(0), edgeDone = new Array(V.edges.length).fill(false);
    for (const e of V.edges) ins[e.dst]++;
    for (let k = 0; k < pos; k++) {
      const s = steps[k];
      known[s.node] = true;
      num[s.node] = s.tangent;
      if (s.kind === "tedge") { got[s.node]++; edgeDone[s.edge] = true; }
    }
    const cur = pos > 0 ? steps[pos - 1] : null;
    return { cur, known, num, what: "tangent", edgeDone,
             pend: num.map((t, i) => t !== null && got[i] < ins[i]),
             receiving: -1, reading: -1,
             currentEdge: cur && cur.kind === "tedge" ? cur.edge : -1,
             label: (k) => (edgeDone[k] ? tangentOfEdge[k].contribution : null) };
  }

  // The graph as text for screen readers (its SVG's description): one item per node with
  // what it computes, its value and its gradient (or tangent) at this step.
  let described = null, items = [];
  function describe(st) {
    const list = $("graph-text");
    if (described !== V) {
      described = V;
      list.textContent = "";
      items = V.nodes.map(() => list.appendChild(document.createElement("li")));
    }
    V.nodes.forEach((node, i) => {
      const what = node.op ? node.expr : node.name + " (a leaf)";
      const data = st.known[i] ? node.data : "not yet computed";
      const num = st.num[i] === null ? "not yet known" : st.num[i] + (st.pend[i] ? " so far (more to come)" : "");
      const now = st.cur && (st.cur.node === i || st.receiving === i) ? " \u2014 this step" : "";
      const text = `${what}: data ${data}, ${st.what} ${num}${now}`;
      if (items[i].textContent !== text) items[i].textContent = text;
    });
  }

  function render(pos) {
    const st = mode === "tangent" ? tangentState(pos) : backwardState(pos);
    paint(st);
    describe(st);
    const cur = st.cur;
    if (cur) follow(cur.input !== undefined ? [cur.node, cur.input] : [cur.node]);
    if (mode === "tangent") tangentPanel(pos, cur); else panel(pos, cur);
  }

  function paint(st) {
    const cur = st.cur;
    nodeEls.forEach((ne, i) => {
      let cls = "node" + (st.known[i] ? " known" : "");
      if (cur && cur.node === i) cls += " current";
      if (st.receiving === i) cls += " receiving";
      const dv = st.known[i] ? V.nodes[i].data : "?", gv = st.num[i] === null ? "?" : st.num[i];
      const pend = st.pend[i] ? " \u2026" : "";
      const key = [cls, dv, gv, pend, st.what].join("\n");
      if (key === ne.key) return; // unchanged nodes are not touched: big graphs stay quick
      ne.key = key;
      ne.g.setAttribute("class", cls);
      ne.dv.textContent = dv;
      ne.gk.textContent = st.what + " ";
      ne.gv.textContent = gv;
      ne.pend.textContent = pend;
    });
    edgeEls.forEach((ee, k) => {
      const e = V.edges[k];
      let cls = "edge", marker = "arrow";
      if (st.edgeDone[k]) { cls += " done"; marker = "arrow-done"; }
      if (st.reading === e.dst) { cls += " reading"; marker = "arrow-read"; }
      if (st.currentEdge === k) { cls += " current"; marker = "arrow-now"; }
      if (cls !== ee.cls) {
        ee.cls = cls;
        ee.g.setAttribute("class", cls);
        ee.path.setAttribute("marker-end", `url(#${marker})`);
      }
      const text = st.label(k);
      const now = text !== null && st.currentEdge === k;
      const key = text !== null ? (now ? "now " : "") + text : "";
      if (key === ee.key) return; // unchanged: measuring a label forces a layout, so skip it
      ee.key = key;
      if (text !== null) {
        ee.text.textContent = text; // (the whole product is in the panel)
        ee.label.setAttribute("class", "edge-label" + (now ? " current" : ""));
        ee.label.setAttribute("visibility", "visible");
        try { // (getBBox fails while the page is not displayed, e.g. in a hidden iframe)
          const b = ee.text.getBBox();
          ee.bg.setAttribute("x", String(b.x - 4)); ee.bg.setAttribute("y", String(b.y - 2));
          ee.bg.setAttribute("width", String(b.width + 8)); ee.bg.setAttribute("height", String(b.height + 4));
        } catch (err) { /* the label stays without its white background */ }
      } else {
        ee.label.setAttribute("visibility", "hidden");
      }
    });
  }

  let stepOfEdge = [];
  const forwardCount = () => V.steps.filter((s) => s.kind === "forward").length;

  function panel(pos, cur) {
    panelLines.textContent = "";
    const nf = forwardCount(), ne = V.edges.length, root = V.root;
    const doneNote = pos === V.steps.length ? "  (done)" : "";
    if (!cur) {
      panelTitle.textContent = "Ready";
      line(panelLines, "", `${V.nodes.length} nodes, ${ne} edges. Press Step (\u2192) to run the forward pass: ` +
        "each node gets its value once its inputs have theirs. Then the backward pass sends the gradient " +
        `from ${root} back down, one edge per step.`);
      return;
    }
    const node = V.nodes[cur.node];
    if (cur.kind === "forward") {
      panelTitle.textContent = `Forward pass \u00B7 node ${pos} of ${nf}`;
      line(panelLines, "", cur.text, "formula", "panel-forward");
      if (pos === nf) line(panelLines, "", `Every node has its value. Next: the backward pass, starting at ${root}.`);
    } else if (cur.kind === "seed") {
      panelTitle.textContent = "Backward pass \u00B7 the seed" + doneNote;
      line(panelLines, "", `Backward starts at the output ${root}: its gradient with respect to itself is ` +
        `\u2202${d(root)}/\u2202${d(root)} = ${cur.grad}, the seed, the first upstream.`);
      line(panelLines, "", cur.sum, "sum formula", "panel-sum");
    } else {
      const k = pos - nf - 1;
      const input = V.nodes[cur.input].name;
      panelTitle.textContent = `Backward pass \u00B7 edge ${k} of ${ne}` + doneNote;
      line(panelLines, "node being processed", node.expr, "", "panel-node");
      line(panelLines, "upstream", `\u2202${d(root)}/\u2202${d(node.name)} = ${cur.upstream}`, "", "panel-upstream");
      line(panelLines, "local gradient", `\u2202${d(node.name)}/\u2202${d(input)} = ${cur.local}`, "", "panel-local");
      line(panelLines, "downstream", `upstream \u00D7 local gradient = ${cur.upstream} \u00D7 ${cur.local} = ` +
        `${cur.downstream}, sent to ${input}`, "", "panel-downstream");
      line(panelLines, "", cur.sum, "sum formula", "panel-sum");
    }
  }

  function tangentPanel(pos, cur) {
    panelLines.textContent = "";
    const T = V.tangent, count = T.steps.length, ne = V.edges.length;
    const doneNote = pos === count ? "  (done)" : "";
    if (!cur) {
      panelTitle.textContent = "Tangent pass (forward mode) \u00B7 ready";
      line(panelLines, "tangents in", T.direction, "", "panel-direction");
      line(panelLines, "", "Forward mode carries a tangent with every value, in the order the forward pass " +
        "computes them. Each input sends tangent in \u00D7 local gradient, its contribution, and a node's " +
        "tangent out is the sum of its contributions: the same local gradients the backward pass uses. " +
        "Press Step (\u2192) to begin.");
      return;
    }
    const node = V.nodes[cur.node];
    if (cur.kind === "tedge") {
      const input = V.nodes[cur.input].name;
      panelTitle.textContent = `Tangent pass (forward mode) \u00B7 edge ${tangentOrdinal[pos - 1]} of ${ne}` + doneNote;
      line(panelLines, "node being computed", node.expr, "", "panel-node");
      line(panelLines, "tangent in", `${input}.tangent = ${cur.tin}`, "", "panel-tangent-in");
      line(panelLines, "local gradient", `\u2202${d(node.name)}/\u2202${d(input)} = ${cur.local}`, "", "panel-local");
      line(panelLines, "contribution", `tangent in \u00D7 local gradient = ${cur.tin} \u00D7 ${cur.local} = ` +
        `${cur.contribution}, added to ${node.name}'s tangent`, "", "panel-contribution");
    } else {
      panelTitle.textContent = "Tangent pass (forward mode) \u00B7 " +
        (cur.kind === "tleaf" ? `input ${node.name}` : `${node.name}'s inputs not shown`) + doneNote;
      line(panelLines, "", cur.text, "formula", "panel-leaf");
    }
    if (cur.sum) line(panelLines, "", cur.sum, "sum formula", "panel-sum");
    if (pos === count) line(panelLines, "", T.conclusion, "", "panel-conclusion");
  }

  // The mode: "backward" (values forward, then the backward pass) or "tangent" (forward mode).
  let mode = "backward", tangentOfEdge = [], tangentOrdinal = [];
  const active = () => (mode === "tangent" ? V.tangent.steps : V.steps);
  function showMode() {
    if (!V.tangent) mode = "backward";
    document.body.dataset.mode = mode;
    const button = $("go-tangent"), on = mode === "tangent";
    button.hidden = !V.tangent;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.setAttribute("aria-label", "Tangent pass (forward mode): " + (on ? "on" : "off") + " (key T)");
  }
  function enter(m, p) { // switch to mode m (if the page has it) at position p
    player.pause();
    const before = mode;
    mode = m;
    showMode();
    if (mode !== before) player.setCount(active().length, p); else player.set(p);
  }

  let player = null;
  function show(index, keepPhase) {
    const wasBackward = player && V && mode === "backward" && player.pos > forwardCount();
    draw(data.views[index]);
    stepOfEdge = [];
    for (const s of V.steps) if (s.kind === "edge") stepOfEdge[s.edge] = s;
    tangentOfEdge = []; tangentOrdinal = [];
    if (V.tangent) {
      let k = 0;
      for (const s of V.tangent.steps) {
        if (s.kind === "tedge") { tangentOfEdge[s.edge] = s; k++; }
        tangentOrdinal.push(k);
      }
    }
    showMode();
    const viewButton = $("view");
    if (data.views.length > 1) {
      viewButton.hidden = false;
      const elementary = V.name === "elementary";
      viewButton.setAttribute("aria-pressed", elementary ? "true" : "false");
      viewButton.textContent = elementary ? "Elementary view (on)" : "Elementary view (off)";
      viewButton.setAttribute("aria-label", "Elementary view: " + (elementary ? "on" : "off") + " (key V)");
    }
    document.body.dataset.view = V.name;
    if (player) player.setCount(active().length, keepPhase && wasBackward ? forwardCount() : 0);
  }
  let current = data.start || 0;
  function toggle() {
    if (data.views.length < 2) return;
    current = 1 - current;
    player.pause();
    show(current, true);
  }
  show(current);
  const tangentToggle = () => { // (a page without a tangent pass: T does nothing)
    if (V.tangent) enter(mode === "tangent" ? "backward" : "tangent", 0);
  };
  player = makePlayer(render, {
    f: () => enter("backward", 0),
    b: () => enter("backward", forwardCount()),
    t: tangentToggle,
    v: toggle,
  });
  player.setCount(active().length, 0);
  $("go-forward").addEventListener("click", () => enter("backward", 0));
  $("go-backward").addEventListener("click", () => enter("backward", forwardCount()));
  $("go-tangent").addEventListener("click", tangentToggle);
  $("view").addEventListener("click", toggle);
  window.addEventListener("resize", fit);
})();
