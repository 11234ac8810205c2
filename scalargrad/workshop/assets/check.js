// The site's own files, checked against its manifest.json. A site copied to a USB stick can
// arrive cut short or with a byte changed; the build writes each file's size and SHA-256 into
// manifest.json. Before starting Python the worker (worker.js) checks the files Python and the
// page use, and the page (lesson.js) the worker's own, so a damaged copy is named instead of
// loading for ever; outputs.js names a damaged Viz.js where a graph is not drawn.

export const COPY_AGAIN = "copy the whole site folder again (or rebuild it: make site, or "
  + "scalargrad-workshop build FOLDER)";
const SITE = new URL("./", import.meta.url);
const MODULE = /^(text|application)\/(javascript|ecmascript|x-javascript)\b/i;

// SHA-256 (FIPS 180-4) in plain JavaScript, for where crypto.subtle is not offered.
const K = new Uint32Array(64);
const H0 = new Uint32Array(8);
{
  const primes = [];
  for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p)) primes.push(n);
  const frac = (x) => (x - Math.floor(x)) * 2 ** 32;
  primes.forEach((p, k) => { K[k] = frac(Math.cbrt(p)); if (k < 8) H0[k] = frac(Math.sqrt(p)); });
}

// SHA-256 (FIPS 180-4) of `data`, in hex.
export function sha256hex(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const h = H0.slice();
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  const block = (view, at) => {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(at + 4 * t);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15], y = w[t - 2];
      w[t] = w[t - 16] + (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) + w[t - 7]
        + (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10));
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let t = 0; t < 64; t++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  };
  const n = bytes.length;
  const whole = n - (n % 64);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < whole; at += 64) block(view, at);
  const last = new Uint8Array(n % 64 < 56 ? 64 : 128);  // the rest, 0x80, zeros, the length in bits
  last.set(bytes.subarray(whole));
  last[n % 64] = 0x80;
  const end = new DataView(last.buffer);
  end.setUint32(last.length - 8, Math.floor(n / 2 ** 29));
  end.setUint32(last.length - 4, (n % 2 ** 29) * 8);
  for (let at = 0; at < last.length; at += 64) block(end, at);
  return [...h].map((x) => x.toString(16).padStart(8, "0")).join("");
}

// How the files are hashed: by the browser (crypto.subtle, offered in a secure context only:
// https, localhost, 127.0.0.1) or, on a plain-http LAN address, by sha256hex above (slower,
// as thorough).
export const HASHED_BY = globalThis.crypto && globalThis.crypto.subtle ? "crypto.subtle" : "JavaScript";

async function sha256(buffer) {
  if (HASHED_BY === "JavaScript") return sha256hex(buffer);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return [...digest].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export class SiteFileError extends Error {}

// The site's manifest.json (files: {path: {bytes, sha256}}), or a SiteFileError saying why not.
export async function readManifest() {
  const url = new URL("manifest.json", SITE);
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new SiteFileError(`could not ask the server for ${url.pathname} (${error}): is the server still running?`);
  }
  if (!response.ok) {
    throw new SiteFileError(`the site's file ${url.pathname} is missing (HTTP ${response.status}); `
      + `the page checks the site's files against it: ${COPY_AGAIN}`);
  }
  try {
    const manifest = await response.json();
    if (manifest && typeof manifest.files === "object") return manifest;
  } catch { /* said below */ }
  throw new SiteFileError(`the site's file ${url.pathname} is damaged (not the build's list of files): ${COPY_AGAIN}`);
}

// The bytes of the site's file `path` (as manifest.json names it, e.g. "pyodide/pyodide.asm.wasm"),
// checked: present, served with a type a browser accepts, of the manifest's size and SHA-256.
export async function fetchChecked(path, manifest) {
  const url = new URL(path, SITE);
  const where = url.pathname;
  const entry = manifest.files[path];
  if (!entry) {
    throw new SiteFileError(`the site's manifest.json does not list ${where} (a manifest from another build?): ${COPY_AGAIN}`);
  }
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new SiteFileError(`could not ask the server for ${where} (${error}): is the server still running?`);
  }
  if (!response.ok) {
    throw new SiteFileError(`the site's file ${where} is missing (HTTP ${response.status}): ${COPY_AGAIN}`);
  }
  const type = (response.headers.get("content-type") || "no type").split(";")[0];
  const wanted = /\.m?js$/.test(path) ? ["text/javascript", MODULE] : /\.wasm$/.test(path) ? ["application/wasm", /^application\/wasm$/i] : null;
  if (wanted && !wanted[1].test(type)) {
    throw new SiteFileError(`the server sends the site's file ${where} as ${type}, and a browser `
      + `runs it only if it is sent as ${wanted[0]}: serve the site with scalargrad-workshop serve `
      + "FOLDER (or python3 -m http.server), or set the server's type for this extension");
  }
  const bytes = await response.arrayBuffer();
  if (bytes.byteLength !== entry.bytes) {
    throw new SiteFileError(`the site's file ${where} is damaged: ${bytes.byteLength} bytes where the `
      + `build wrote ${entry.bytes} (a copy cut short?): ${COPY_AGAIN}`);
  }
  if (await sha256(bytes) !== entry.sha256) {
    throw new SiteFileError(`the site's file ${where} is damaged: its content differs from what the `
      + `build wrote (its SHA-256 is not manifest.json's): ${COPY_AGAIN}`);
  }
  return bytes;
}
