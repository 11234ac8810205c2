// The training replay: one frame per recorded step. The boundary is drawn from the coarse
// grid of quantised predictions by bilinear interpolation; the curves are drawn once per step.
(function () {
  const $ = (id) => document.getElementById(id);
  const D = JSON.parse($("page-data").textContent);
  const top = D.levels.length - 1, level = {};
  for (let i = 0; i <= top; i++) level[D.levels[i]] = i / top;
  const rgb = D.colors.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
  const [x0, x1, y0, y1] = D.box, n = D.n, width = D.width, K = D.classes.length;
  const steps = D.loss.length, losses = D.loss.map(Number);
  const bc = $("boundary"), bctx = bc.getContext("2d"), S = bc.width;
  const cc = $("curves"), cctx = cc.getContext("2d");

  $("total-steps").textContent = String(steps);
  $("watch-title").textContent = D.watchTitle;
  const legend = $("classes");
  legend.textContent = "classes: ";
  D.classes.forEach((name, k) => {
    const swatch = document.createElement("span"); // a dot of the class's colour (no text)
    swatch.className = "swatch";
    swatch.style.backgroundColor = D.colors[k];
    const label = document.createElement("span");
    label.textContent = name + "   ";
    legend.appendChild(swatch); legend.appendChild(label);
  });
  // One column per watched parameter: its name, its value, its gradient.
  const table = $("watch"), head = table.tHead.rows[0], [valueRow, gradRow] = table.tBodies[0].rows;
  const cols = D.watch.map((name) => {
    const th = document.createElement("th");
    th.scope = "col"; th.textContent = name; head.appendChild(th);
    return [valueRow.appendChild(document.createElement("td")), gradRow.appendChild(document.createElement("td"))];
  });

  function drawBoundary(frame) {
    const g = frame.grid, v = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) v[i] = level[g[i]];
    const img = bctx.createImageData(S, S), px = img.data, p = new Float32Array(width);
    for (let yy = 0; yy < S; yy++) {
      const gy = (1 - yy / (S - 1)) * (n - 1), r0 = Math.min(n - 2, Math.floor(gy)), fy = gy - r0;
      for (let xx = 0; xx < S; xx++) {
        const gx = xx / (S - 1) * (n - 1), c0 = Math.min(n - 2, Math.floor(gx)), fx = gx - c0;
        const a = (r0 * n + c0) * width, b = a + width, c = a + n * width, d = c + width;
        for (let k = 0; k < width; k++) {
          p[k] = (v[a + k] * (1 - fx) + v[b + k] * fx) * (1 - fy) + (v[c + k] * (1 - fx) + v[d + k] * fx) * fy;
        }
        let cls, strength;
        if (D.multi) {
          cls = 0;
          for (let k = 1; k < width; k++) if (p[k] > p[cls]) cls = k;
          strength = (p[cls] - 1 / width) / (1 - 1 / width);
        } else {
          const s = 2 * p[0] - 1;
          cls = s > 0 ? K - 1 : 0;
          strength = Math.abs(s);
        }
        const alpha = 0.18 + 0.4 * Math.max(0, Math.min(1, strength)), o = 4 * (yy * S + xx), col = rgb[cls % rgb.length];
        for (let k = 0; k < 3; k++) px[o + k] = Math.round(255 * (1 - alpha) + col[k] * alpha);
        px[o + 3] = 255;
      }
    }
    bctx.putImageData(img, 0, 0);
    D.points.forEach(([x, y, c], i) => {
      const cx = (x - x0) / (x1 - x0) * S, cy = (1 - (y - y0) / (y1 - y0)) * S;
      bctx.beginPath(); bctx.arc(cx, cy, 6, 0, 2 * Math.PI);
      bctx.fillStyle = D.colors[c]; bctx.fill();
      bctx.lineWidth = 1.5; bctx.strokeStyle = "#fff"; bctx.stroke();
      if (frame.wrong[i] === "1") {
        bctx.beginPath(); bctx.arc(cx, cy, 9.5, 0, 2 * Math.PI);
        bctx.lineWidth = 3; bctx.strokeStyle = "#000"; bctx.stroke();
      }
    });
  }

  const logLoss = Math.min(...losses) > 0 && Math.max(...losses) / Math.min(...losses) > 30;
  function drawCurves(step) {
    const W = cc.width, H = cc.height, L = 90, R = 16;
    cctx.clearRect(0, 0, W, H);
    cctx.font = "18px system-ui, 'DejaVu Sans', Arial, sans-serif";
    const xAt = (k) => L + (W - L - R) * (steps > 1 ? (k - 1) / (steps - 1) : 0.5);
    const panel = (top, height, values, lo, hi, fmt, title, colour, log) => {
      const yAt = (v) => top + height * (1 - ((log ? Math.log(v) : v) - lo) / (hi - lo || 1));
      cctx.strokeStyle = "#bbb"; cctx.lineWidth = 1; cctx.strokeRect(L, top, W - L - R, height);
      cctx.fillStyle = "#111"; cctx.textAlign = "right";
      cctx.fillText(fmt(log ? Math.exp(hi) : hi), L - 6, top + 14);
      cctx.fillText(fmt(log ? Math.exp(lo) : lo), L - 6, top + height);
      cctx.textAlign = "left"; cctx.fillText(title, L, top - 6);
      cctx.strokeStyle = colour; cctx.lineWidth = 3; cctx.beginPath();
      let started = false;
      values.forEach((v, i) => {
        if (v === null || !isFinite(v) || (log && v <= 0)) return;
        const X = xAt(i + 1), Y = yAt(v);
        if (started) cctx.lineTo(X, Y); else { cctx.moveTo(X, Y); started = true; }
      });
      cctx.stroke();
      if (step > 0 && values[step - 1] !== null && values[step - 1] !== undefined) {
        cctx.fillStyle = colour; cctx.beginPath();
        cctx.arc(xAt(step), yAt(values[step - 1]), 6, 0, 2 * Math.PI); cctx.fill();
      }
    };
    const lv = losses.map((v) => (logLoss ? Math.log(v) : v)).filter(isFinite);
    const lo = Math.min(...lv), hi = Math.max(...lv);
    panel(26, 88, losses, lo, hi, (v) => v.toPrecision(3), "loss" + (logLoss ? " (log scale)" : ""), "#d62728", logLoss);
    const hasAcc = D.accuracy.some((a) => a !== null);
    if (hasAcc) panel(142, 72, D.accuracy, 0, 1, (v) => Math.round(v * 100) + "%", "accuracy (of each step's batch)", "#1f77b4", false);
    cctx.fillStyle = "#111"; cctx.textAlign = "center";
    cctx.fillText("step 1", xAt(1) + 20, H - 10); cctx.fillText("step " + steps, xAt(steps) - 30, H - 10);
    if (step > 0) {
      cctx.strokeStyle = "#333"; cctx.lineWidth = 2; cctx.setLineDash([6, 4]);
      cctx.beginPath(); cctx.moveTo(xAt(step), 26); cctx.lineTo(xAt(step), 214); cctx.stroke();
      cctx.setLineDash([]);
    }
  }

  // The pictures in words (their text alternatives): what the boundary and the curves show now.
  const fmt3 = (v) => Number(v).toPrecision(3);
  const finite = losses.map((v, i) => [v, i + 1]).filter(([v]) => isFinite(v));
  const lowest = finite.length ? finite.reduce((a, b) => (b[0] < a[0] ? b : a)) : null;
  function describe(f) {
    const wrong = [...f.wrong].filter((c) => c === "1").length;
    bc.setAttribute("aria-label", `Decision boundary at step ${f.step} of ${steps}: the region ` +
      `each class (${D.classes.join(", ")}) gets, with the ${D.points.length} data points; ` +
      `${wrong} misclassified, ringed in black; accuracy ${f.accuracy}.`);
    let words = "Loss per step";
    if (finite.length) {
      words += `: ${fmt3(finite[0][0])} at step ${finite[0][1]}, ${fmt3(finite[finite.length - 1][0])} at ` +
        `step ${finite[finite.length - 1][1]}, lowest ${fmt3(lowest[0])} at step ${lowest[1]}`;
    }
    words += f.step > 0 ? `; now step ${f.step}, loss ${D.loss[f.step - 1]}.` : "; now before training.";
    const acc = D.accuracy.filter((a) => a !== null);
    if (acc.length) {
      words += ` Accuracy of each step's batch: ${Math.round(acc[0] * 100)}% at the first step, ` +
        `${Math.round(acc[acc.length - 1] * 100)}% at the last.`;
    }
    cc.setAttribute("aria-label", words);
  }

  function render(pos) {
    const f = D.frames[pos];
    describe(f);
    $("now-step").textContent = String(f.step);
    $("now-accuracy").textContent = f.accuracy;
    $("now-correct").textContent = `(${f.correct} of ${D.points.length} points)`;
    $("now-loss").textContent = f.step > 0 ? D.loss[f.step - 1] : "\u2014 (before training)";
    cols.forEach(([value, grad], i) => {
      value.textContent = f.values[i];
      grad.textContent = f.grads[i] === null ? "\u2014" : f.grads[i];
    });
    drawBoundary(f);
    drawCurves(f.step);
  }

  // 4 frames per second, so a run plays in a few seconds; the position counts training steps.
  const player = makePlayer(render, {}, 3, (pos) => `step ${D.frames[pos].step} / ${steps}`);
  player.setCount(D.frames.length - 1, 0);
})();
