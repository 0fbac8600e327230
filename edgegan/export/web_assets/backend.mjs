// edgegan web: open generator.onnx with onnxruntime-web on the browser's GPU (WebGPU) when it has one, else on
// WebAssembly. A browser without WebGPU downloads only the WebAssembly build; one whose WebGPU session fails (an
// adapter that refuses a kernel) falls back to WebAssembly too. Returns { ort, session, backend, threads }.
export async function openModel(file) {
  const adapter = "gpu" in navigator ? await navigator.gpu.requestAdapter().catch(() => null) : null;
  if (adapter) {
    try {
      const ort = await import("./ort/ort.webgpu.min.mjs");
      configure(ort);
      const session = await ort.InferenceSession.create(file, { executionProviders: ["webgpu"] });
      return { ort, session, backend: "webgpu", threads: ort.env.wasm.numThreads };
    } catch (e) {
      console.warn(`WebGPU session failed, using WebAssembly: ${e}`);
    }
  }
  const ort = await import("./ort/ort.wasm.min.mjs");
  configure(ort);
  const session = await ort.InferenceSession.create(file, { executionProviders: ["wasm"] });
  return { ort, session, backend: "wasm", threads: ort.env.wasm.numThreads };
}

function configure(ort) {
  ort.env.wasm.wasmPaths = new URL("./ort/", import.meta.url).href;
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  ort.env.wasm.simd = true;
}
