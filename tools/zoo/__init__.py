"""The GANs edgegan is measured and tested on, rebuilt from their published descriptions with random weights:
small for the tests, at their published sizes (``published=True``) for the benchmarks in tools/.

- dcgan: the DCGAN forms users bring (TF tutorial, keras.io, Keras-GAN, conditional, WGAN-GP critics).
- i2i: image-to-image models (pix2pix, CycleGAN, SRGAN, ESPCN, EDSR, Zero-DCE, AdaIN, TF's CycleGAN).
- multi: GANs of several inputs (keras.io's GauGAN and StyleGAN).
- layers: their custom layers, registered as keras.io registers them (``--custom-objects tools/zoo/layers.py``).

The tools import it as their neighbour; the tests through pyproject.toml's ``pythonpath``.
"""
