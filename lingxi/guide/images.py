"""Product images: local files under the configured folder, else a generated placeholder.

A catalogue names an image as a path inside ``LINGXI_CATALOGUE__IMAGES_DIR`` or as an http(s)
URL. Only local raster files are served (never SVG from disk: it can carry script); a URL is
recorded but never fetched, so the app works offline; everything else gets
:func:`placeholder_svg`, made here from the brand's initials.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["IMAGE_TYPES", "LocalImage", "placeholder_svg", "resolve_image"]

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".avif": "image/avif",
}
"""The file types served, by suffix."""


@dataclass(frozen=True, slots=True)
class LocalImage:
    """An image file found inside the images folder."""

    path: Path
    media_type: str
    etag: str


def resolve_image(images_dir: Path | None, ref: str | None) -> LocalImage | None:
    """The local file ``ref`` names inside ``images_dir``, or ``None`` (a URL, no folder, a
    path leaving the folder through ``..`` or a link, a missing file, or another file type)."""
    if images_dir is None or not ref or re.match(r"^[a-z][a-z0-9+.-]*://", ref, re.IGNORECASE):
        return None
    root = images_dir.resolve()
    try:
        path = (root / ref).resolve()
    except (OSError, RuntimeError):
        return None
    media_type = IMAGE_TYPES.get(path.suffix.lower())
    if media_type is None or not path.is_relative_to(root) or not path.is_file():
        return None
    stat = path.stat()
    return LocalImage(path, media_type, f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"')


def _initials(brand: str) -> str:
    words = [w for w in re.split(r"[\s\-_/&.]+", brand) if w]
    letters = [w[0] for w in words if w[0].isalnum()][:2]
    return "".join(letters).upper() or "?"


def placeholder_svg(brand: str) -> tuple[str, str]:
    """A square SVG with the brand's initials on a colour taken from the brand; and its ETag."""
    digest = hashlib.sha1(brand.encode("utf-8")).hexdigest()
    hue = int(digest[:4], 16) % 360
    text = escape(_initials(brand))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240" '
        f'role="img" aria-label="{escape(brand, {chr(34): "&quot;"})}">'
        f'<rect width="240" height="240" fill="hsl({hue},45%,88%)"/>'
        f'<text x="120" y="120" dy=".35em" text-anchor="middle" font-family="sans-serif" '
        f'font-size="88" font-weight="600" fill="hsl({hue},40%,30%)">{text}</text></svg>'
    )
    return svg, f'"ph-{hashlib.sha1(svg.encode()).hexdigest()[:16]}"'
