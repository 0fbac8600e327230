"""What each role of a bundle is, in one table read by every consumer (light tier: no TensorFlow).

A bundle holds a generator and optionally its discriminator, a style encoder (GauGAN's: a picture -> the
generator's latent, edgegan.export.encoder) and the discriminator's other outputs (GauGAN's feature maps, joined in
one output: edgegan.export.inspect.with_features). What differs between them beyond their own code is here: the
reference.npz key of their Keras outputs, whose inputs their files take, how parity judges them and how many parity
rows run on LiteRT's GPU at export.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleKind:
    name: str
    reference: str  # reference.npz's key of its Keras outputs on the stored parity inputs
    takes: str  # whose inputs its files take: "generator", "discriminator" or "encoder"
    relative: bool  # a float vector judged by its error over its largest magnitude (parity.ENCODER_BOUNDS)
    gpu_rows: int  # parity rows its LiteRT files run on the GPU at export (edgegan.export.gpu)

    @property
    def judges(self) -> bool:
        """Whether its files take what a discriminator takes (pictures, a source, a label)."""
        return self.takes == "discriminator"


KINDS = {
    k.name: k
    for k in (
        RoleKind("generator", "image", "generator", False, 32),
        RoleKind("discriminator", "d_score", "discriminator", False, 128),
        RoleKind("encoder", "e_z", "encoder", True, 32),
        RoleKind("features", "f_features", "discriminator", True, 32),
    )
}
ROLES = tuple(KINDS)
