// edgegan web: run generator.onnx with onnxruntime-web and draw an 8x8 grid of digits (a conditional model: of
// the digit picked, or one row per class). window.edgegan exposes what tests and other scripts need: ready, info,
// latents(n, seed), generate(latents[, labels[, seed]]) (seed: of the noise inputs a StyleGAN takes).
import { openModel } from "./backend.mjs";

const info = await (await fetch("./model.json")).json();
const { ort, session, backend, threads } = await openModel("./generator.onnx");
const [H, W, C] = info.image_shape;
const L = info.latent_size;
const [LO, HI] = info.value_range; // the generator's own pixel range (tanh: [-1, 1], sigmoid: [0, 1])

// Seeded N(0, 1) latents: edgegan's one latent definition (edgegan/latents.py), line for line, so a seed
// draws the same digits here as in the Python runtime. fmix32 is MurmurHash3's finalizer (mod 2**32).
const fmix32 = (h) => {
  h = (h ^ (h >>> 16)) >>> 0; h = Math.imul(h, 0x85ebca6b) >>> 0; h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0; return (h ^ (h >>> 16)) >>> 0;
};
function latents(n, seed, size = L) {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`seed must be an integer from 0 to ${2 ** 32 - 1}`);
  const key = fmix32((seed + 0x9e3779b9) % 2 ** 32), z = new Float32Array(n * size);
  const word = (c) => fmix32((key ^ fmix32(c)) >>> 0);
  const uniform = (c) => ((word(c) >>> 5) * 67108864 + (word(c + 1) >>> 6)) / 9007199254740992;
  for (let j = 0; 2 * j < z.length; j++) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform(4 * j))), a = 2 * Math.PI * uniform(4 * j + 2);
    z[2 * j] = r * Math.cos(a);
    if (2 * j + 1 < z.length) z[2 * j + 1] = r * Math.sin(a);
  }
  return z;
}

// The inputs of the newer kinds (edgegan/signature.py): noise maps drawn from the seed on their own stream, as the
// Python runtime draws them; a segmentation map, the one loaded (a grayscale PNG of class ids) or stripes of every
// class (mapStripes, the same as edgegan.export.web's map for tests).
const extra = (info.inputs || []).filter((e) => e.kind === "noise" || e.kind === "map");
let loadedMap = null;
function mapStripes(h, w, classes) {
  const m = new Int32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = Math.floor((x * classes) / w);
  return m;
}
function extraFeeds(n, seed) {
  const feeds = {};
  for (const e of extra) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.kind === "noise") feeds[e.name] = new ort.Tensor("float32", latents(n, (seed + e.stream) % 2 ** 32, size), [n, ...e.shape]);
    else {
      const one = loadedMap || mapStripes(e.shape[0], e.shape[1], e.classes), all = new Int32Array(n * size);
      for (let k = 0; k < n; k++) all.set(one, k * size);
      feeds[e.name] = new ort.Tensor("int32", all, [n, ...e.shape]);
    }
  }
  return feeds;
}

// A style encoder (GauGAN's, edgegan/export/encoder.py): a picture -> latents around its style, eps drawn from the
// seed as latents are, so a seed and a picture give the Python runtime's latents. pixels: H * W * C floats in the
// encoder's range, one picture for all n rows (run one row per call: it is small).
const encoder = info.encoder ? (await openModel("./" + info.encoder.file)).session : null;
let stylePixels = null;
async function encode(pixels, n, seed) {
  const e = info.encoder, eps = latents(n, seed), z = new Float32Array(n * L);
  for (let k = 0; k < n; k++) {
    const feeds = { [e.style]: new ort.Tensor("float32", Float32Array.from(pixels), [1, ...e.shape]),
      [e.eps]: new ort.Tensor("float32", eps.slice(k * L, (k + 1) * L), [1, L]) };
    z.set((await encoder.run(feeds))[e.output].data, k * L);
  }
  return z;
}

// latents: Float32Array of n * L values (and, for a conditional model, n class labels; noise drawn from seed) ->
// Float32Array of n * H * W * C values in [LO, HI] (NHWC). A model pinned to batch 1 runs one row per call.
async function generate(z, labels, seed = 0) {
  const n = z.length / L;
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a multiple of ${L} latent values, got ${z.length}`);
  const feeds = { [info.input]: new ort.Tensor("float32", Float32Array.from(z), [n, L]), ...extraFeeds(n, seed) };
  if (info.classes) {
    if (!labels || labels.length !== n || labels.some((y) => !Number.isInteger(y) || y < 0 || y >= info.classes))
      throw new Error(`expected ${n} labels from 0 to ${info.classes - 1}`);
    feeds[info.label] = new ort.Tensor("int32", Int32Array.from(labels), [n]);
  }
  if (info.batch !== 1) return (await session.run(feeds))[info.output].data;
  const out = new Float32Array(n * H * W * C);
  for (let k = 0; k < n; k++) {
    const row = {};
    for (const [name, t] of Object.entries(feeds)) {
      const per = t.data.length / n;
      row[name] = new ort.Tensor(t.type, t.data.slice(k * per, (k + 1) * per), [1, ...t.dims.slice(1)]);
    }
    out.set((await session.run(row))[info.output].data, k * H * W * C);
  }
  return out;
}

const canvas = document.getElementById("grid");
const ctx = canvas.getContext("2d");
async function draw(z, labels, cols, seed) {
  const n = z.length / L;
  const img = await generate(z, labels, seed);
  canvas.width = cols * W; canvas.height = Math.ceil(n / cols) * H;
  const pic = ctx.createImageData(canvas.width, canvas.height);
  for (let k = 0; k < n; k++) {
    const ox = (k % cols) * W, oy = Math.floor(k / cols) * H;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const base = ((k * H + y) * W + x) * C, p = ((oy + y) * canvas.width + ox + x) * 4;
      for (let c = 0; c < 3; c++) {
        const v = img[base + (C === 1 ? 0 : c)];
        pic.data[p + c] = Math.max(0, Math.min(255, Math.round(((v - LO) * 255) / (HI - LO))));
      }
      pic.data[p + 3] = 255;
    }
  }
  ctx.putImageData(pic, 0, 0);
}

const seedBox = document.getElementById("seed"), walk = document.getElementById("walk");
const status = document.getElementById("status"), picker = document.getElementById("label");
if (info.classes) { // a conditional model: the digit picker, "all" = one row per class
  picker.parentElement.hidden = false;
  for (let c = 0; c < info.classes; c++) picker.add(new Option(String(c), String(c)));
}
async function show() {
  const t0 = performance.now();
  const seed = Math.max(0, Math.trunc(Number(seedBox.value)) || 0), t = Number(walk.value) / 100;
  const every = info.classes && picker.value === "all", cols = 8, n = every ? 8 : 64;
  const latentsOf = (s) => (stylePixels ? encode(stylePixels, n, s) : latents(n, s)); // around the style, if loaded
  const a = await latentsOf(seed), b = await latentsOf(seed + 1);
  let z = a.map((v, i) => (1 - t) * v + t * b[i]), labels;
  if (every) { // row c: class c, the same 8 latents in every row
    const rows = []; labels = [];
    for (let c = 0; c < info.classes; c++) { rows.push(z); labels.push(...Array(n).fill(c)); }
    z = Float32Array.from(rows.flatMap((r) => Array.from(r)));
  } else if (info.classes) labels = Array(n).fill(Number(picker.value));
  await draw(z, labels, cols, seed);
  const what = info.classes ? (every ? ", one row per digit" : `, digit ${picker.value}`) : "";
  status.textContent = `seed ${seed}${what}, walk ${t.toFixed(2)}: ${z.length / L} digits in ${(performance.now() - t0).toFixed(1)} ms ` +
    `(onnxruntime-web ${info.onnxruntime_web} on ${backend === "webgpu" ? "the GPU (WebGPU)" : `WebAssembly, ${threads} thread(s)`})`;
}
const mapFile = document.getElementById("map");
const mapEntry = extra.find((e) => e.kind === "map");
if (mapEntry) { // a segmentation map model: a grayscale PNG of class ids, resized (nearest) to the model's map
  mapFile.parentElement.hidden = false;
  mapFile.onchange = async () => {
    const [h, w] = mapEntry.shape, bitmap = await createImageBitmap(mapFile.files[0], { resizeWidth: w, resizeHeight: h, resizeQuality: "pixelated" });
    const c = new OffscreenCanvas(w, h).getContext("2d");
    c.drawImage(bitmap, 0, 0);
    const px = c.getImageData(0, 0, w, h).data, m = new Int32Array(h * w);
    for (let i = 0; i < h * w; i++) m[i] = px[4 * i];
    if (m.some((v) => v >= mapEntry.classes)) { status.textContent = `the map has classes above ${mapEntry.classes - 1}`; return; }
    loadedMap = m;
    show();
  };
}
const styleFile = document.getElementById("style");
if (encoder) { // a picture whose style the images take, resized to the encoder's size
  styleFile.parentElement.hidden = false;
  styleFile.onchange = async () => {
    const [h, w, c] = info.encoder.shape, [lo, hi] = info.encoder.range;
    const bitmap = await createImageBitmap(styleFile.files[0], { resizeWidth: w, resizeHeight: h, resizeQuality: "high" });
    const ctx2 = new OffscreenCanvas(w, h).getContext("2d");
    ctx2.drawImage(bitmap, 0, 0);
    const px = ctx2.getImageData(0, 0, w, h).data, pixels = new Float32Array(h * w * c);
    for (let i = 0; i < h * w; i++) for (let j = 0; j < c; j++) pixels[i * c + j] = lo + (px[4 * i + j] * (hi - lo)) / 255;
    stylePixels = pixels;
    show();
  };
}
document.getElementById("again").onclick = () => { seedBox.value = Number(seedBox.value) + 1; show(); };
seedBox.onchange = show;
picker.onchange = show;
walk.oninput = show;
await show();
window.edgegan = {
  ready: true, info, backend, latents: (n, seed) => Array.from(latents(n, seed)),
  encode: async (pixels, n, seed) => Array.from(await encode(pixels, n, seed)),
  generate: async (z, labels, seed) => Array.from(await generate(Float32Array.from(z), labels, seed)),
};
document.body.dataset.ready = "1";
