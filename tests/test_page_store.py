"""How a page's original image is kept: PDF pages rendered in RGB from a grey scan are stored grey."""

import io
from types import SimpleNamespace

import numpy as np
from PIL import Image

from flows.app.pages import _store_original
from storage.files import FileStore


def _stored(tmp_path, image: Image.Image) -> Image.Image:
    store = FileStore(tmp_path / "files")
    key = _store_original(store, tmp_path / "scan.pdf", "application/pdf", SimpleNamespace(number=2, image=image))
    return Image.open(io.BytesIO(store.read_bytes(key)))


def test_grey_page_rendered_as_rgb_is_stored_grey_with_the_same_pixels(tmp_path):
    grey = np.random.default_rng(3).integers(0, 256, (120, 90), dtype=np.uint8)
    stored = _stored(tmp_path, Image.fromarray(np.stack([grey] * 3, axis=-1), "RGB"))
    assert stored.mode == "L"
    assert np.array_equal(np.asarray(stored), grey)


def test_colour_page_stays_colour(tmp_path):
    rgb = np.random.default_rng(4).integers(0, 256, (60, 40, 3), dtype=np.uint8)
    stored = _stored(tmp_path, Image.fromarray(rgb, "RGB"))
    assert stored.mode == "RGB" and np.array_equal(np.asarray(stored), rgb)
