"""The photo rules (casestore/photos.py): type from the bytes, limits, metadata gone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from casestore.photos import MAX_BYTES, PhotoError, check_photo, check_photos, good_photos
from tests.photos_util import GPS_IFD, image_bytes, jpeg_with_gps


def test_exif_and_gps_are_gone_and_the_orientation_is_applied():
    raw = jpeg_with_gps((640, 480))
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(GPS_IFD)  # the input has GPS
    photo = check_photo(raw)
    clean = Image.open(io.BytesIO(photo.data))
    assert photo.content_type == "image/jpeg" and clean.format == "JPEG"
    assert not clean.getexif() and b"Exif" not in photo.data and b"KameraHP" not in photo.data
    assert (clean.width, clean.height) == (480, 640)  # turned as EXIF said, then dropped


@pytest.mark.parametrize("fmt, kind", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_keep_their_type(fmt, kind):
    assert check_photo(image_bytes(fmt)).content_type == kind


def test_the_type_comes_from_the_bytes_not_the_name():
    # a PNG called .jpg is a PNG; a script called .jpg is refused
    assert check_photos([("foto.jpg", image_bytes("PNG"))])[0].content_type == "image/png"
    with pytest.raises(PhotoError, match="bukan gambar") as err:
        check_photos([("foto.jpg", b"<?php system($_GET['c']); ?>")])
    assert err.value.status == 415 and "foto 1 (foto.jpg)" in str(err.value)
    with pytest.raises(PhotoError, match="bukan gambar"):  # GIF is an image, not accepted
        check_photo(image_bytes("GIF"))


def test_size_pixels_and_count_limits():
    with pytest.raises(PhotoError, match="terlalu besar") as err:
        check_photo(b"\xff\xd8" + b"0" * MAX_BYTES)
    assert err.value.status == 413
    out = io.BytesIO()
    Image.new("1", (6000, 5000)).save(out, format="PNG")  # 30 MP in a few KB
    with pytest.raises(PhotoError, match="megapiksel") as err:
        check_photo(out.getvalue())
    assert err.value.status == 413
    with pytest.raises(PhotoError, match="Paling banyak 3 foto"):
        check_photos([("a.png", image_bytes("PNG"))] * 4)


def test_a_channel_that_cannot_ask_again_keeps_the_good_photos():
    files = [("a.png", image_bytes("PNG")), ("b.txt", b"halo"), ("c.jpg", jpeg_with_gps())]
    photos, refused = good_photos(files)
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    assert len(refused) == 1 and refused[0].startswith("foto 2 (b.txt)")
