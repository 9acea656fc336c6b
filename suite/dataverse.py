"""Harvard Dataverse: a file's id, md5 and size from its dataset's listing (native API, JSON by DOI).

``GET <server>/api/datasets/:persistentId/?persistentId=<doi>`` answers
``{"status": "OK", "data": {"latestVersion": {"files": [{"label": ..., "dataFile": {...}}]}}}``; each
``dataFile`` has ``id``, ``filename``, ``filesize``, ``md5`` and ``checksum {type, value}``, and for a file
Dataverse *ingested* as tabular data also ``originalFileName``, ``originalFileSize``,
``originalFileFormat`` and ``tabularData: true``. An ingested CSV is listed as ``<name>.tab`` (the
tab-separated archival copy, which ``api/access/datafile/<id>`` serves by default) while its checksum is
that of the *original upload* (IQSS/dataverse issue 7275: "for an ingested tabular file, the checksumvalue
in the DataFile table IS the checksum of the saved original"; PR 8901), so the original is what is
downloaded (``?format=original``) and checked against it.
"""
from __future__ import annotations

import dataclasses
import json
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .spec import DataSource


@dataclass(frozen=True)
class DataverseFile:
    """One file of a dataset listing, described as its original upload."""

    id: int
    name: str               # original file name (what the dataset's uploader called it)
    size: int | None        # bytes of the original
    md5: str | None         # md5 of the original (None when the listing gives another checksum type)
    ingested: bool          # Dataverse made a tab-separated archival copy (served unless ?format=original)
    listed_as: str          # the name the listing shows (``nodes.tab`` for an ingested ``nodes.csv``)


def server_of(url: str) -> str:
    """``scheme://host[:port]`` of a Dataverse URL."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def listing_url(server: str, doi: str) -> str:
    return f"{server}/api/datasets/:persistentId/?persistentId={urllib.parse.quote(doi, safe=':/')}"


def file_url(server: str, file_id: int) -> str:
    """Download URL of the original upload (for a non-ingested file Dataverse ignores ``format=original``)."""
    return f"{server}/api/access/datafile/{file_id}?format=original"


def parse_listing(payload: dict) -> dict[str, DataverseFile]:
    """``{original file name: DataverseFile}`` from a dataset listing (``ValueError`` when it is not one)."""
    try:
        files = payload["data"]["latestVersion"]["files"]
    except (KeyError, TypeError):
        raise ValueError("not a Dataverse dataset listing (no data.latestVersion.files)") from None
    out: dict[str, DataverseFile] = {}
    for entry in files:
        df = entry.get("dataFile") or {}
        listed = df.get("filename") or entry.get("label") or ""
        ingested = bool(df.get("originalFileName") or df.get("tabularData") or df.get("originalFileFormat"))
        name = df.get("originalFileName") or listed
        size = df.get("originalFileSize") if ingested else df.get("filesize")
        checksum = df.get("checksum") or {}
        md5 = checksum.get("value") if str(checksum.get("type", "")).upper() == "MD5" else df.get("md5")
        out[name] = DataverseFile(id=int(df["id"]), name=name, size=int(size) if size is not None else None,
                                  md5=md5 or None, ingested=ingested, listed_as=listed)
    return out


def fetch_listing(server: str, doi: str, timeout: float = 60) -> dict[str, DataverseFile]:
    """Download and parse a dataset listing (``OSError`` when unreachable, ``ValueError`` when not JSON)."""
    request = urllib.request.Request(listing_url(server, doi), headers={"User-Agent": "protbench",
                                                                        "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    try:
        return parse_listing(json.loads(body))
    except json.JSONDecodeError:
        raise ValueError(f"the listing of {doi} at {server} is not JSON (starts {body[:60]!r})") from None


def resolve(source: DataSource, listing: dict[str, DataverseFile], server: str) -> DataSource:
    """``source`` with the listing's download URL (original format), md5 and size for its file name."""
    entry = listing.get(source.filename)
    if entry is None:
        from .fetch import FetchError

        raise FetchError(f"{source.filename} is not in the Dataverse listing of {source.dataverse} at {server} "
                         f"(files: {', '.join(sorted(listing))}); the dataset changed — update the task's "
                         f"sources, or put the file in a mirror folder")
    return dataclasses.replace(source, url=file_url(server, entry.id), md5=entry.md5 or source.md5,
                               size=entry.size if entry.size is not None else source.size)
