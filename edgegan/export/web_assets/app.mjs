// edgegan web: run generator.onnx with onnxruntime-web and draw an 8x8 grid of digits.
// window.edgegan exposes what tests and other scripts need: ready, info, generate(latents).
import * as ort from "./ort/ort.wasm.min.mjs";

ort.env.wasm.wasmPaths = new URL("./ort/", import.meta.url).href;
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
ort.env.wasm.simd = true;

const info = await (await fetch("./model.json")).json();
const session = await ort.InferenceSession.create("./generator.onnx", { executionProviders: ["wasm"] });
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

// latents: Float32Array of n * L values -> Float32Array of n * H * W * C values in [LO, HI] (NHWC).
async function generate(z) {
  const n = z.length / L;
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a multiple of ${L} latent values, got ${z.length}`);
  const out = await session.run({ [info.input]: new ort.Tensor("float32", Float32Array.from(z), [n, L]) });
  return out[info.output].data;
}

const canvas = document.getElementById("grid");
const ctx = canvas.getContext("2d");
async function draw(z) {
  const n = z.length / L, cols = Math.ceil(Math.sqrt(n));
  const img = await generate(z);
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
const status = document.getElementById("status");
async function show() {
  const t0 = performance.now();
  const seed = Math.max(0, Math.trunc(Number(seedBox.value)) || 0), t = Number(walk.value) / 100;
  const a = latents(64, seed), b = latents(64, seed + 1);
  const z = a.map((v, i) => (1 - t) * v + t * b[i]);
  await draw(z);
  status.textContent = `seed ${seed}, walk ${t.toFixed(2)}: 64 digits in ${(performance.now() - t0).toFixed(1)} ms ` +
    `(onnxruntime-web ${info.onnxruntime_web}, ${ort.env.wasm.numThreads} thread(s))`;
}
document.getElementById("again").onclick = () => { seedBox.value = Number(seedBox.value) + 1; show(); };
seedBox.onchange = show;
walk.oninput = show;
await show();
window.edgegan = {
  ready: true, info, latents: (n, seed) => Array.from(latents(n, seed)),
  generate: async (z) => Array.from(await generate(Float32Array.from(z))),
};
document.body.dataset.ready = "1";
