"""Complaint photos: checked, stripped of metadata, stored in GridFS beside the cases.

A photo never travels through Kafka: the intake that receives it (web app, mail
channels) checks it here, stores it keyed by the complaint's tracking id, and the
complaint event carries only the stored ids (``photo_ids``). The case sink keeps
those ids on the case; a photo whose complaint never became a case (a failed
publish, a replay that uploaded again) is an orphan, removed after
``ORPHAN_AGE`` by :meth:`PhotoStore.remove_orphans` (worker timer and
``lapor photos-clean``).

Checks: the type comes from the bytes (Pillow decodes the image; the file name and
the declared content type are ignored), JPEG, PNG or WebP only, size and pixel
limits. Every photo is decoded and encoded again: EXIF (GPS of where the reporter
stood, the camera's serial number), XMP, comments and ICC profiles do not survive
re-encoding, and the orientation EXIF asked for is applied to the pixels first.
GridFS works on the embedded store (SecantusDB, checked by running it) and on
MongoDB alike.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import gridfs
from bson import ObjectId
from bson.errors import InvalidId
from PIL import Image, ImageOps, UnidentifiedImageError
from pymongo.collection import Collection
from pymongo.database import Database

MAX_PHOTOS = 3
MAX_BYTES = 5 * 1024 * 1024  # one photo as uploaded (a phone's JPEG is 2-4 MB)
MAX_PIXELS = 25_000_000  # 25 megapixels; a decompression bomb is refused before decoding
MAX_SIDE = 2048  # stored photos are scaled down to this longest side
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
BUCKET = "photos"
ORPHAN_AGE = timedelta(hours=72)
PHOTO_ID = r"^[0-9a-f]{24}$"


class PhotoError(ValueError):
    """A file that is not an acceptable photo; the message (Indonesian) says why."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status  # 413 for too large, 415 for not an image, 422 otherwise


@dataclass(frozen=True)
class Photo:
    """A checked photo, re-encoded without metadata, ready to store."""

    data: bytes
    content_type: str
    width: int
    height: int


def check_photo(raw: bytes, label: str = "foto") -> Photo:
    """Decode ``raw`` and encode it again without metadata, or raise PhotoError.

    ``label`` names the file in the message ("foto 2 (rumah.jpg)")."""
    if not raw:
        raise PhotoError(f"{label} kosong.")
    if len(raw) > MAX_BYTES:
        raise PhotoError(
            f"{label} terlalu besar ({len(raw) // 1024} KB; paling besar "
            f"{MAX_BYTES // (1024 * 1024)} MB).",
            413,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
            fmt = image.format
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError(
                    f"{label} terlalu besar ({image.width}x{image.height} piksel; paling "
                    f"banyak {MAX_PIXELS // 1_000_000} megapiksel).",
                    413,
                )
            image.load()
        except PhotoError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(f"{label} terlalu besar (jumlah piksel berlebihan).", 413) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise PhotoError(
                f"{label} bukan gambar JPEG, PNG, atau WebP yang utuh. Kirim foto dengan "
                "salah satu format itu.",
                415,
            ) from None
    return _reencode(image, fmt)


def _reencode(image: Image.Image, fmt: str) -> Photo:
    """Pixels only: orientation applied, metadata dropped, scaled to ``MAX_SIDE``."""
    image = ImageOps.exif_transpose(image)  # before the EXIF that says how is dropped
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt != "JPEG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new(image.mode, image.size)
    if image.mode == "P":
        clean.putpalette(image.getpalette() or [])
    clean.paste(image)  # a new image: no info dict, no EXIF, no ICC, no text chunks
    out = io.BytesIO()
    options = {"quality": 85} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    clean.save(out, format=fmt, **options)
    return Photo(out.getvalue(), FORMATS[fmt], clean.width, clean.height)


def check_photos(files: Sequence[tuple[str, bytes]]) -> list[Photo]:
    """All or nothing for an interactive channel: the first bad file raises
    PhotoError naming it (the sender still has the complaint and resends)."""
    if len(files) > MAX_PHOTOS:
        raise PhotoError(
            f"Paling banyak {MAX_PHOTOS} foto untuk satu aduan ({len(files)} dikirim)."
        )
    return [check_photo(raw, _label(i, name)) for i, (name, raw) in enumerate(files, 1)]


def good_photos(files: Sequence[tuple[str, bytes]]) -> tuple[list[Photo], list[str]]:
    """For a channel that cannot ask again (e-mail): the acceptable photos (the first
    ``MAX_PHOTOS``) and, for each file refused, the reason in Indonesian."""
    photos, refused = [], []
    for i, (name, raw) in enumerate(files, 1):
        label = _label(i, name)
        if len(photos) == MAX_PHOTOS:
            refused.append(f"{label}: lebih dari {MAX_PHOTOS} foto")
            continue
        try:
            photos.append(check_photo(raw, label))
        except PhotoError as exc:
            refused.append(str(exc))
    return photos, refused


def _label(number: int, name: str | None) -> str:
    clean = "".join(ch for ch in (name or "") if ch.isprintable())[:80]
    return f"foto {number} ({clean})" if clean else f"foto {number}"


def as_object_id(photo_id: str) -> ObjectId | None:
    try:
        return ObjectId(photo_id)
    except (InvalidId, TypeError):
        return None


class PhotoStore:
    """The ``photos`` GridFS bucket; each file's metadata names its complaint."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.bucket = gridfs.GridFSBucket(db, bucket_name=BUCKET)
        self.files = db[f"{BUCKET}.files"]

    def ensure_indexes(self) -> None:
        self.files.create_index("metadata.complaint_id")
        self.files.create_index("uploadDate")

    def put(self, complaint_id: str, photos: Iterable[Photo]) -> list[str]:
        """Store the photos of one complaint; their ids go on its event."""
        ids = []
        for n, photo in enumerate(photos, 1):
            ext = photo.content_type.split("/")[1]
            file_id = self.bucket.upload_from_stream(
                f"{complaint_id}-{n}.{ext}",
                photo.data,
                metadata={
                    "complaint_id": complaint_id,
                    "content_type": photo.content_type,
                    "width": photo.width,
                    "height": photo.height,
                },
            )
            ids.append(str(file_id))
        return ids

    def read(self, photo_id: str) -> tuple[bytes, str] | None:
        """The photo's bytes and content type (the caller has checked who may see it)."""
        oid = as_object_id(photo_id)
        meta = self.files.find_one({"_id": oid}) if oid else None
        if meta is None:
            return None
        data = self.bucket.open_download_stream(oid).read()
        return data, meta["metadata"]["content_type"]

    def remove_orphans(self, cases: Collection, now: datetime | None = None) -> int:
        """Delete photos older than ``ORPHAN_AGE`` that no case references."""
        cutoff = (now or datetime.now(UTC)) - ORPHAN_AGE
        removed, after = 0, ObjectId("0" * 24)
        while True:
            old = list(
                self.files.find(
                    {"uploadDate": {"$lt": cutoff}, "_id": {"$gt": after}},
                    {"metadata.complaint_id": 1},
                )
                .sort("_id", 1)
                .limit(500)
            )
            if not old:
                return removed
            after = old[-1]["_id"]
            owners = {f["metadata"]["complaint_id"] for f in old}
            kept = set()
            for case in cases.find({"_id": {"$in": sorted(owners)}}, {"photo_ids": 1}):
                kept.update(case.get("photo_ids") or [])
            for f in old:
                if str(f["_id"]) not in kept:
                    self.bucket.delete(f["_id"])
                    removed += 1
