"""A tiny HTTP service that embeds the edgegan runtime (standard library + edgegan's light tier).

    python examples/serve.py --model models/mnist-dcgan --port 8000
    curl -o digits.png 'http://127.0.0.1:8000/generate?seed=3&n=16'
    curl -o sevens.png 'http://127.0.0.1:8000/generate?seed=3&n=16&label=7'   # a conditional model's class
    curl http://127.0.0.1:8000/healthz

    python examples/serve.py --model exports/my-cyclegan --port 8000   # an image-input generator
    curl -o out.png --data-binary @photo.jpg http://127.0.0.1:8000/translate

    python examples/serve.py --model exports/my-gaugan --port 8000     # a generator of a segmentation map
    curl -o out.png --data-binary @seg.png 'http://127.0.0.1:8000/generate?seed=3&n=4'
    curl -o out.png -F map=@seg.png -F style=@photo.jpg 'http://127.0.0.1:8000/generate?seed=3&n=4'  # its encoder

One Generator is shared by all request threads: ONNX Runtime sessions are thread-safe and the
LiteRT engine serializes calls with a lock.
"""

from __future__ import annotations

import argparse
import io
import json
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import edgegan
from edgegan.errors import EdgeGanError
from edgegan.runtime.images import fit, grid, png_bytes, read_map

MAX_N = 256
MAX_BODY = 20 << 20  # bytes of a POST /translate body
MAX_PIXELS = 16_000_000  # pixels of a picture posted to /translate, checked before decoding
MAX_OUTPUT_PIXELS = 64_000_000  # pixels of its answer (a x4 model: a 4-megapixel picture), checked before decoding


def read_posted_picture(body: bytes, channels: int, scale: int = 1):
    """A PNG or JPEG body as uint8 (H, W, channels), through the runtime's own reader (EXIF, 16-bit, alpha,
    grayscale); ValueError with one line for anything else: a header declaring more pixels than the caps (sizes
    are read before any decoding; one over Pillow's own limit raises DecompressionBombError, which is not an
    OSError), or any error of the decoder."""
    from PIL import Image

    from edgegan.runtime.images import read_picture

    try:
        with Image.open(io.BytesIO(body)) as im:
            if im.format not in ("PNG", "JPEG"):
                raise ValueError(f"the body is {im.format or 'not a picture'}; send a PNG or JPEG")
            if im.width * im.height > MAX_PIXELS:
                raise ValueError(f"{im.width}x{im.height} is over the {MAX_PIXELS} pixel limit")
            if im.width * im.height * scale**2 > MAX_OUTPUT_PIXELS:
                raise ValueError(f"{im.width}x{im.height} x{scale} is over the {MAX_OUTPUT_PIXELS} output pixel limit")
    except ValueError:
        raise
    except Image.DecompressionBombError:
        raise ValueError(f"the picture declares more than {MAX_PIXELS} pixels (a decompression bomb?)") from None
    except Exception as e:  # the decoder's own errors: UnidentifiedImageError, OSError, SyntaxError, EOFError, ...
        raise ValueError(f"the body is not a PNG or JPEG picture ({type(e).__name__})") from None
    try:
        return read_picture(io.BytesIO(body), channels)
    except EdgeGanError as e:
        raise ValueError(str(e).split(": ", 1)[-1]) from None


def posted_parts(body: bytes, content_type: str) -> dict[str, bytes]:
    """A multipart/form-data body's parts by name (``curl -F map=@seg.png -F style=@photo.jpg``), through the
    standard library's MIME parser; ValueError with one line for a body that has none."""
    from email.parser import BytesParser
    from email.policy import HTTP

    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        raise ValueError("the body is not multipart/form-data")
    parts = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True) for p in msg.iter_parts()}
    return {k: v for k, v in parts.items() if k and v is not None}


def make_handler(generator):
    from PIL import Image

    # Pillow warns (to stderr) on pictures between its limit and twice it; MAX_PIXELS, far below, refuses them
    # with a 400 first: the warning would only add a line to the log for each such request
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    maps = [e for e in generator.info.extra if e.kind == "map"]  # a GauGAN's: POST /generate takes the map

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code: int, msg: str) -> None:
            self._send(code, json.dumps({"error": msg}).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlparse(self.path)
            if url.path == "/healthz":
                info = generator.info
                return self._send(
                    200,
                    json.dumps(
                        {
                            "ok": True,
                            "model": info.path,
                            "format": info.format,
                            "precision": info.precision,
                            "classes": info.classes,
                            "inputs": info.signature.section() if info.signature else None,
                        }
                    ).encode(),
                    "application/json",
                )
            if url.path != "/generate":
                return self._error(404, "unknown path; use /generate?seed=S&n=N[&label=L], POST /translate or /healthz")
            if generator.source is not None:
                return self._error(400, "this model takes pictures: POST a PNG or JPEG to /translate")
            if maps:
                return self._error(400, "this model draws from a segmentation map: POST a map PNG to /generate")
            self._generate(url.query, {})

        def _generate(self, query: str, inputs: dict) -> None:
            q = parse_qs(query)
            try:
                seed = int(q.get("seed", ["0"])[0])
                n = int(q.get("n", ["16"])[0])
                label = int(q["label"][0]) if "label" in q else None
            except ValueError:
                return self._error(400, "seed, n and label must be integers")
            if not 1 <= n <= MAX_N:
                return self._error(400, f"n must be between 1 and {MAX_N}")
            try:  # a conditional model refuses a missing label
                images = generator.sample(n, seed=seed, label=label, **inputs)
            except EdgeGanError as e:
                return self._error(400, str(e))
            self._send(200, png_bytes(grid(images)), "image/png")

        def _body(self) -> bytes | None:
            try:
                size = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._error(411, "send a Content-Length")
                return None
            if not 0 < size <= MAX_BODY:
                self._error(413 if size > 0 else 400, f"the body must be 1 to {MAX_BODY} bytes, got {size}")
                return None
            return self.rfile.read(size)

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path == "/generate" and maps:  # the body: a map of class ids (a grayscale or palette PNG)
                body = self._body()
                if body is None:
                    return None
                try:
                    inputs = self._map_inputs(body)
                except ValueError as e:
                    return self._error(400, str(e))
                except EdgeGanError as e:
                    return self._error(400, str(e).split(": ", 1)[-1])
                return self._generate(url.query, inputs)
            if url.path != "/translate":
                return self._error(404, "unknown path; POST pictures to /translate (a map model: to /generate)")
            if generator.source is None:
                return self._error(400, "this model takes latents: use GET /generate")
            body = self._body()
            if body is None:
                return None
            try:
                picture = read_posted_picture(body, generator.source.channels, generator.source.scale)
                out = generator.translate(picture)
            except ValueError as e:
                return self._error(400, str(e))
            except EdgeGanError as e:
                return self._error(400, str(e).split(": ", 1)[-1])
            self._send(200, png_bytes(out), "image/png")

        def _map_inputs(self, body: bytes) -> dict:
            """The map of a POST /generate (the body, or its part named map) and, for a bundle with a style
            encoder, the picture of its part named style, fitted to the encoder's size."""
            ctype = self.headers.get("Content-Type", "")
            parts = posted_parts(body, ctype) if ctype.startswith("multipart/form-data") else {"map": body}
            if "map" not in parts:
                raise ValueError("a multipart body needs a part named map (and may have one named style)")
            inputs = {maps[0].name: read_map(io.BytesIO(parts["map"]), maps[0].shape)}
            if "style" in parts:
                if generator.encoder is None:
                    raise ValueError("this model has no style encoder: send the map alone")
                h, w, c = generator.encoder.info.image_shape
                inputs["style"] = fit(read_posted_picture(parts["style"], c), h, w)
            return inputs

        def log_message(self, fmt, *args) -> None:  # quiet by default
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="models/mnist-dcgan")
    p.add_argument("--backend")
    p.add_argument("--precision")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    a = p.parse_args(argv)
    generator = edgegan.load(a.model, backend=a.backend, precision=a.precision)
    server = ThreadingHTTPServer((a.host, a.port), make_handler(generator))
    print(f"serving {generator.info.path} on http://{a.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
