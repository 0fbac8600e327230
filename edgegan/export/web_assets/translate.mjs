// edgegan web, image in and image out: translate a picture with generator.onnx and onnxruntime-web, tile by tile,
// with the Python runtime's default tiling (edgegan/runtime/tiles.py, line for line: window starts, and a cut at the
// middle of each overlap). window.edgegan exposes what tests and other scripts need: ready, info,
// translate(pixels, H, W) -> { pixels, height, width } (uint8 RGB or gray, row-major).
import { openModel } from "./backend.mjs";

const info = await (await fetch("./model.json")).json();
const { ort, session, backend, threads } = await openModel("./generator.onnx");
const { scale: S, channels: C, multiple: M } = info.source;
const [ILO, IHI] = info.source.range, [LO, HI] = info.value_range;

function starts(length, tile, pad) { // tiles.starts: every step (tile - 2 pad, on the size multiple's grid)
  const step = Math.max(Math.floor((tile - 2 * pad) / M) * M, 1), out = [];
  for (let w = 0; w < length - tile; w += step) out.push(w);
  if (!out.length || out[out.length - 1] !== length - tile) out.push(length - tile);
  return out;
}
function weights(st, tile) { // tiles.weights (a cut): each output position to the window whose centre is nearest
  const out = st.map(() => new Float32Array(tile * S)), n = (st[st.length - 1] + tile) * S;
  for (let u = 0; u < n; u++) {
    let best = -1, dist = Infinity;
    for (let i = 0; i < st.length; i++) {
      const lo = st[i] * S, hi = lo + tile * S, d = Math.abs(u + 0.5 - (lo + hi) / 2);
      if (u >= lo && u < hi && d < dist) { best = i; dist = d; }
    }
    out[best][u - st[best] * S] = 1;
  }
  return out;
}
function plan(h, w) { // Generator.tiling: the whole picture when an any-size model takes it in one run
  const [th, tw] = info.tile;
  if (info.any_size && h <= th && w <= tw) {
    if (h % M || w % M) throw new Error(`the model takes sides that are multiples of ${M}, got ${h}x${w}`);
    return { tile: [h, w], pad: 0 };
  }
  return { tile: [th, tw], pad: info.tile_pad };
}
async function run(crop, th, tw) { // uint8 (th, tw, C) -> float32 (th*S, tw*S, C)
  const x = new Float32Array(crop.length);
  for (let i = 0; i < x.length; i++) x[i] = crop[i] * ((IHI - ILO) / 255) + ILO;
  const out = await session.run({ [info.input]: new ort.Tensor("float32", x, [1, th, tw, C]) });
  return out[info.output].data;
}
async function translate(pixels, H0, W0) {
  let src = Uint8Array.from(pixels), H = H0, W = W0;
  const p = plan(H, W), [th, tw] = p.tile;
  if (H < th || W < tw) { // reflect up to one fixed-size window, as np.pad(mode="reflect"); cropped below
    const h2 = Math.max(H, th), w2 = Math.max(W, tw), big = new Uint8Array(h2 * w2 * C);
    const refl = (i, n) => { const per = 2 * (n - 1) || 1; i %= per; return i < n ? i : per - i; };
    for (let y = 0; y < h2; y++) for (let x = 0; x < w2; x++) for (let c = 0; c < C; c++)
      big[(y * w2 + x) * C + c] = src[(refl(y, H) * W + refl(x, W)) * C + c];
    src = big; H = h2; W = w2;
  }
  const ys = starts(H, th, p.pad), xs = starts(W, tw, p.pad);
  const wy = weights(ys, th), wx = weights(xs, tw);
  const OW = W * S, acc = new Float32Array(H * S * OW * C);
  for (let i = 0; i < ys.length; i++) for (let j = 0; j < xs.length; j++) {
    const crop = new Uint8Array(th * tw * C);
    for (let y = 0; y < th; y++)
      crop.set(src.subarray(((ys[i] + y) * W + xs[j]) * C, ((ys[i] + y) * W + xs[j] + tw) * C), y * tw * C);
    const o = await run(crop, th, tw);
    for (let y = 0; y < th * S; y++) for (let x = 0; x < tw * S; x++) {
      const wgt = wy[i][y] * wx[j][x], at = ((ys[i] * S + y) * OW + xs[j] * S + x) * C, from = (y * tw * S + x) * C;
      for (let c = 0; c < C; c++) acc[at + c] += o[from + c] * wgt;
    }
  }
  const out = new Uint8Array(H0 * S * W0 * S * C);
  for (let y = 0; y < H0 * S; y++) for (let x = 0; x < W0 * S; x++) for (let c = 0; c < C; c++) {
    const v = Math.min(HI, Math.max(LO, acc[(y * OW + x) * C + c]));
    out[(y * W0 * S + x) * C + c] = Math.max(0, Math.min(255, Math.round(((v - LO) * 255) / (HI - LO))));
  }
  return { pixels: out, height: H0 * S, width: W0 * S };
}

function draw(canvas, pixels, h, w) { // uint8 (h, w, C) -> an RGBA canvas
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
  for (let k = 0; k < h * w; k++) {
    for (let c = 0; c < 3; c++) img.data[4 * k + c] = pixels[k * C + (C === 1 ? 0 : c)];
    img.data[4 * k + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
// As the HTTP example: a picture's size is read from its header and checked before anything is decoded, so a
// decompression bomb (a small file declaring billions of pixels) is refused in one line.
const MAX_PIXELS = 16_000_000;
async function declaredSize(file) { // [width, height] of a PNG or JPEG from its header; null for another format
  const b = new Uint8Array(await file.slice(0, 1 << 16).arrayBuffer()), v = new DataView(b.buffer);
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50) return [v.getUint32(16), v.getUint32(20)]; // IHDR
  if (b[0] === 0xff && b[1] === 0xd8) { // JPEG: the first start-of-frame marker holds height, then width
    for (let i = 2; i + 9 < b.length;) {
      if (b[i] !== 0xff) { i++; continue; }
      const m = b[i + 1];
      if (m >= 0xc0 && m <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(m)) return [v.getUint16(i + 7), v.getUint16(i + 5)];
      i += 2 + v.getUint16(i + 2);
    }
  }
  return null;
}
const status = document.getElementById("status"), before = document.getElementById("before");
async function show(file) {
  const size = await declaredSize(file);
  if (size && size[0] * size[1] > MAX_PIXELS)
    throw new Error(`${size[0]}x${size[1]} is over the ${MAX_PIXELS} pixel limit (a decompression bomb?)`);
  const bmp = await createImageBitmap(file, { imageOrientation: "from-image" });
  const c = new OffscreenCanvas(bmp.width, bmp.height), ctx = c.getContext("2d");
  ctx.drawImage(bmp, 0, 0);
  const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height).data, px = new Uint8Array(bmp.width * bmp.height * C);
  for (let k = 0; k < bmp.width * bmp.height; k++) { // alpha dropped; gray: BT.601 luma, as Pillow's convert("L")
    const [r, g, b] = [rgba[4 * k], rgba[4 * k + 1], rgba[4 * k + 2]];
    if (C === 1) px[k] = Math.round((r * 299 + g * 587 + b * 114) / 1000); else px.set([r, g, b], k * 3);
  }
  draw(before, px, bmp.height, bmp.width);
  status.textContent = `translating ${bmp.width}x${bmp.height} ...`;
  const t0 = performance.now(), y = await translate(px, bmp.height, bmp.width);
  draw(document.getElementById("after"), y.pixels, y.height, y.width);
  status.textContent = `${bmp.width}x${bmp.height} -> ${y.width}x${y.height} in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
    `(onnxruntime-web ${info.onnxruntime_web} on ${backend === "webgpu" ? "the GPU (WebGPU)" : `WebAssembly, ${threads} thread(s)`})`;
}
const guard = (f) => f().catch((e) => { status.textContent = `error: ${e.message}`; });
document.getElementById("file").onchange = (e) => e.target.files[0] && guard(() => show(e.target.files[0]));
const drop = document.getElementById("drop");
drop.ondragover = (e) => e.preventDefault();
drop.ondrop = (e) => { e.preventDefault(); if (e.dataTransfer.files[0]) guard(() => show(e.dataTransfer.files[0])); };
status.textContent = `ready: pick or drop a picture (x${S}, tiles of ${info.tile.join("x")})`;
window.edgegan = {
  ready: true, info, backend,
  translate: async (pixels, h, w) => { const y = await translate(pixels, h, w); return { ...y, pixels: Array.from(y.pixels) }; },
};
document.body.dataset.ready = "1";
