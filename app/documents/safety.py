"""Checks on an uploaded file before anything stores or reads it.

The type is decided from the content (puremagic for signatures, the archive's
own manifest for Office formats) and must agree with the extension; names are
cleaned; Office archives are checked for decompression bombs from their central
directory, before any entry is decompressed, and the entries read afterwards
are read with a bounded size whatever the archive declares.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = _OOXML + "wordprocessingml.document"
XLSX = _OOXML + "spreadsheetml.sheet"
PPTX = _OOXML + "presentationml.presentation"

#: Accepted extensions and the type stored for each.
ALLOWED_TYPES: dict[str, str] = {
    "pdf": PDF,
    "odt": ODT,
    "ods": ODS,
    "odp": ODP,
    "docx": DOCX,
    "xlsx": XLSX,
    "pptx": PPTX,
    "txt": "text/plain",
    "csv": "text/csv",
    "md": "text/markdown",
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
}
ACCEPTED_LIST = "PDF, ODT, ODS, ODP, DOCX, XLSX, PPTX, TXT, CSV, MD, PNG, JPEG"
#: The main part an OOXML file's [Content_Types].xml must declare.
OOXML_MAIN_PART = {
    DOCX: _OOXML + "wordprocessingml.document.main+xml",
    XLSX: _OOXML + "spreadsheetml.sheet.main+xml",
    PPTX: _OOXML + "presentationml.presentation.main+xml",
}
ODF_TYPES = {ODT, ODS, ODP}
TEXT_EXTENSIONS = {"txt", "csv", "md"}

#: Longest file name kept (characters); most file systems stop at 255 bytes.
MAX_NAME_LENGTH = 150
#: Characters Windows refuses in names; replaced so that a download saves anywhere.
_RESERVED = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
#: What puremagic may call an upload that must never pass as something else.
_DESCRIBED = {
    "text/html": "une page HTML",
    "image/svg+xml": "une image SVG",
    "application/xml": "un document XML",
    "text/xml": "un document XML",
    PDF: "un PDF",
    PNG: "une image PNG",
    JPEG: "une image JPEG",
    "image/gif": "une image GIF",
    "application/zip": "une archive ZIP",
    "application/x-msdownload": "un programme Windows",
    "application/x-executable": "un programme",
}
_MARKUP_STARTS = ("<!doctype", "<html", "<svg", "<?xml", "<script", "<body", "<iframe")


class UploadError(ValueError):
    """An upload refused; the message is French and goes next to the field."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    #: Total size the entries of an Office archive may declare once unpacked.
    max_unpacked_bytes: int = 200 * 1024 * 1024
    #: Unpacked / packed, over the whole archive (Office files stay far below).
    max_ratio: int = 100
    max_entries: int = 5000

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            max_bytes=int(config.get("DOCUMENT_MAX_BYTES", cls.max_bytes)),
            max_unpacked_bytes=int(
                config.get("DOCUMENT_MAX_UNPACKED_BYTES", cls.max_unpacked_bytes)
            ),
            max_ratio=int(config.get("DOCUMENT_MAX_RATIO", cls.max_ratio)),
            max_entries=int(config.get("DOCUMENT_MAX_ENTRIES", cls.max_entries)),
        )


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    media_type: str
    size: int
    sha256: str
    data: bytes


def human_size(size: int) -> str:
    """ "20 Mo", "1,5 Ko" (French decimal comma)."""
    for unit, factor in (("Go", 1024**3), ("Mo", 1024**2), ("Ko", 1024)):
        if size >= factor:
            value = f"{size / factor:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{value} {unit}"
    return f"{size} octet{'s' if size > 1 else ''}"


def clean_filename(raw: str | None) -> str:
    """The name kept for an upload, or UploadError saying what is wrong with it."""
    if raw is None or not raw.strip():
        raise UploadError("Le fichier n'a pas de nom : choisissez un fichier.")
    if any(unicodedata.category(c) == "Cc" for c in raw):
        raise UploadError(
            "Le nom du fichier contient des caractères de contrôle (NUL, retour à "
            "la ligne…) : renommez-le avant de l'envoyer."
        )
    if any(unicodedata.category(c) == "Cf" for c in raw):
        # Right-to-left overrides make "rapport‮fdp.exe" read as "rapportexe.pdf".
        raise UploadError(
            "Le nom du fichier contient des caractères invisibles (inversion du "
            "sens d'écriture…) : renommez-le avant de l'envoyer."
        )
    parts = re.split(r"[\\/]", raw)
    if any(part.strip() == ".." for part in parts):
        raise UploadError(
            "Le nom du fichier contient un chemin (« ../ ») : envoyez-le sous un "
            "nom simple, sans dossier."
        )
    # Old browsers send "C:\\Users\\…\\avis.pdf": keep the last part only.
    name = unicodedata.normalize("NFC", parts[-1]).strip().lstrip(". ")
    if len(name) > MAX_NAME_LENGTH:
        raise UploadError(
            f"Le nom du fichier est trop long ({len(name)} caractères, "
            f"{MAX_NAME_LENGTH} au plus) : raccourcissez-le."
        )
    stem, dot, extension = name.rpartition(".")
    stem = stem.strip()
    if not dot or not stem or not extension:
        raise UploadError(
            "Le nom du fichier n'a pas d'extension (.pdf, .odt…) : renommez-le."
        )
    # One extension only: "avis.html.pdf" is kept as "avis_html.pdf".
    stem = _SPACES.sub(" ", _RESERVED.sub("_", stem.replace(".", "_")))
    return f"{stem}.{extension.lower()}"


def _detected(data: bytes) -> list[str]:
    # puremagic (~1.5 MB resident with its signature table) is loaded by the
    # first upload checked, not at start-up.
    import puremagic

    try:
        return [m.mime_type for m in puremagic.magic_string(data) if m.mime_type]
    except puremagic.PureError:
        return []


def _mismatch(extension: str, what: str) -> UploadError:
    return UploadError(
        f"Le contenu du fichier ne correspond pas à son extension « .{extension} » : "
        f"c'est {what}. Envoyez le fichier d'origine, sans le renommer."
    )


def _describe(mimes: list[str]) -> str:
    for mime in mimes:
        if mime in _DESCRIBED:
            return _DESCRIBED[mime]
    return "un fichier d'un autre type"


def check_archive(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open an Office archive once its central directory shows no bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadError(
            "Le fichier est une archive endommagée : il ne peut pas être ouvert."
        ) from exc
    if len(entries) > limits.max_entries:
        raise UploadError(
            f"Archive refusée : elle contient {len(entries)} éléments "
            f"({limits.max_entries} au plus pour un document bureautique)."
        )
    unpacked = sum(max(e.file_size, 0) for e in entries)
    if unpacked > limits.max_unpacked_bytes or unpacked > limits.max_ratio * len(data):
        raise UploadError(
            "Archive refusée : une fois décompressée, elle ferait "
            f"{human_size(unpacked)} pour {human_size(len(data))} envoyés, ce qui "
            "ressemble à une bombe de décompression et non à un document."
        )
    return archive


def _read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """At most ``limit`` bytes of one entry (whatever sizes the archive claims)."""
    try:
        with archive.open(name) as fh:
            return fh.read(limit)
    except KeyError:
        return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise UploadError(
            "Le fichier est une archive endommagée : il ne peut pas être ouvert."
        ) from exc
    except RuntimeError as exc:  # encrypted entry
        raise UploadError(
            "Le document est protégé par un mot de passe : enregistrez-le sans "
            "protection avant de l'envoyer."
        ) from exc


def _check_office(data: bytes, extension: str, media_type: str, limits) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise _mismatch(extension, _describe(_detected(data)))
    archive = check_archive(data, limits)
    with archive:
        if media_type in ODF_TYPES:
            declared = _read_entry(archive, "mimetype", 200)
            if declared is None or declared.strip() != media_type.encode("ascii"):
                raise _mismatch(extension, _office_kind(archive))
            return
        types = _read_entry(archive, "[Content_Types].xml", 256 * 1024)
        if types is None or OOXML_MAIN_PART[media_type].encode("ascii") not in types:
            raise _mismatch(extension, _office_kind(archive))


def _office_kind(archive: zipfile.ZipFile) -> str:
    declared = _read_entry(archive, "mimetype", 200)
    if declared:
        for ext, mime in ALLOWED_TYPES.items():
            if declared.strip() == mime.encode("ascii"):
                return f"un fichier .{ext}"
    types = _read_entry(archive, "[Content_Types].xml", 256 * 1024) or b""
    for mime, part in OOXML_MAIN_PART.items():
        if part.encode("ascii") in types:
            ext = next(e for e, m in ALLOWED_TYPES.items() if m == mime)
            return f"un fichier .{ext}"
    return "une archive ZIP"


def _check_text(data: bytes, extension: str, media_type: str) -> str:
    """The stored type of a text file (with its character set), or UploadError."""
    charset = "utf-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Files saved by Excel or Notepad in French Windows.
            text, charset = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            raise _mismatch(extension, "un fichier binaire") from None
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text):
        raise _mismatch(extension, "un fichier binaire")
    start = text.lstrip().lower()
    if start.startswith(_MARKUP_STARTS):
        raise _mismatch(
            extension,
            _describe(_detected(data)) if _detected(data) else "une page HTML ou XML",
        )
    return f"{media_type}; charset={charset}"


def check_upload(raw_name: str | None, data: bytes, limits: Limits) -> CheckedFile:
    """Everything about an upload that must hold before it is stored.

    ``data`` may be longer than the limit by one byte (the caller reads one
    byte more than allowed to know that the file is too large).
    """
    filename = clean_filename(raw_name)
    extension = filename.rpartition(".")[2]
    media_type = ALLOWED_TYPES.get(extension)
    if media_type is None:
        raise UploadError(
            f"Les fichiers « .{extension} » ne sont pas acceptés. Formats acceptés : "
            f"{ACCEPTED_LIST}."
        )
    if not data:
        raise UploadError("Le fichier est vide (0 octet) : choisissez le bon fichier.")
    if len(data) > limits.max_bytes:
        raise UploadError(
            f"Le fichier dépasse la taille permise ({human_size(limits.max_bytes)} "
            "au plus) : réduisez-le (export PDF allégé, images compressées) ou "
            "déposez-le sur le drive partagé et indiquez son lien."
        )
    if extension in TEXT_EXTENSIONS:
        media_type = _check_text(data, extension, media_type)
    elif media_type in ODF_TYPES or media_type in OOXML_MAIN_PART:
        _check_office(data, extension, media_type, limits)
    else:
        detected = _detected(data)
        signature = {
            PDF: data.startswith(b"%PDF-"),
            PNG: data.startswith(b"\x89PNG\r\n\x1a\n"),
            JPEG: data.startswith(b"\xff\xd8\xff"),
        }[media_type]
        if not signature or media_type not in detected:
            raise _mismatch(extension, _describe(detected))
    return CheckedFile(
        filename=filename,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
