"""Test images made with Pillow: a phone photo with GPS in its EXIF, and friends."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (640, 480), color: str = "orange") -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera and where it stood."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (7.0, 46.0, 12.0), 3: "E", 4: (110.0, 21.0, 5.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, format=fmt)
    return out.getvalue()
