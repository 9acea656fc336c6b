"""PrimeKG (Harvard Dataverse) and BioBridge's protein.csv in their real upstream layouts, quirks included.

Evidence for the Dataverse side:
* file ids of doi:10.7910/DVN/IXA7BM as PrimeKG users list them: kg.csv 6180620, nodes.tab 6180617,
  edges.csv 6180616, drug_features.tab 6180619, disease_features.tab 6180618, README.txt 6191270 (the table
  "Dataset Inventory" of a public "Spec 03: Monorepo Phase 2 - PrimeKG Data Acquisition & Staging" document,
  found by its text in the code index, repository not named there; the `.tab` names are Dataverse's names
  for ingested CSVs); the id 6180620 for kg.csv and 6180617 for nodes also in other public loaders; and
  BoiniGanesh/Graph-Neural-networks-Reasoning-Advantages-Shortcomings-and-Potential@700bb91
  src/code/data_downloader/primekg_downloader.py, which lists the files by DOI and then converts every
  downloaded `*.tab` back to CSV — the archival copy is what `api/access/datafile/<id>` serves.
* Dataverse's Data Access API guide: "By default, tabular files are downloaded in their archival form
  (tab-separated values). To download the original files … add format=original" (quoted in
  datalad/datalad-dataverse issue 307, whose fix fetches format=original).
* the listing's checksum of an ingested file is that of the original upload: IQSS/dataverse issue 7275
  ("for an ingested tabular file, the checksumvalue in the DataFile table IS the checksum of the saved
  original") and PR 8901; issue 9501: the archival .tab is stored without its header line, which is added
  when it is downloaded.
* listing JSON layout: IQSS/dataverse JsonPrinter (dataFile: id, filename, contentType, filesize,
  storageIdentifier, originalFileFormat, originalFormatLabel, UNF, md5, checksum {type: MD5, value}), and
  the fields originalFileSize, originalFileName, tabularData documented for `data.latestVersion.files[]`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import http.server
import json
import threading
from functools import partial

import pytest

from protbench import dataverse
from protbench.fetch import ChecksumError, Fetcher
from protbench.formats import primekg as K
from protbench.tasks.crossmodal.sources import DISEASE_FEATURES, DRUG_FEATURES, KG, NODES, PROTEINS

# -- builders (real layouts) -------------------------------------------------------------------------------


def kg_csv() -> bytes:
    """kg.csv as uploaded: comma-separated, pandas quoting (a name with commas is double-quoted).

    Evidence: header and first rows of kg.csv (PrimeKG_Full_DataDescription.md, same repository/commit as
    above): ``relation,display_relation,x_index,x_id,x_type,x_name,x_source,y_index,y_id,y_type,y_name,
    y_source`` / ``protein_protein,ppi,0,9796,gene/protein,PHYHIP,NCBI,8889,56992,gene/protein,KIF15,NCBI``;
    every undirected edge is listed from both ends (mims-harvard/PrimeKG README: kg.csv has 8.1M rows for
    4.05M relationships); disease names contain commas ("myelodysplasia, immunodeficiency, …").
    """
    return (
        b"relation,display_relation,x_index,x_id,x_type,x_name,x_source,y_index,y_id,y_type,y_name,y_source\n"
        b"protein_protein,ppi,0,9796,gene/protein,PHYHIP,NCBI,1,7918,gene/protein,GPANK1,NCBI\n"
        b"drug_protein,target,0,9796,gene/protein,PHYHIP,NCBI,14012,DB09130,drug,Copper,DrugBank\n"
        b"drug_protein,target,14012,DB09130,drug,Copper,DrugBank,0,9796,gene/protein,PHYHIP,NCBI\n"
        b"drug_protein,carrier,1,7918,gene/protein,GPANK1,NCBI,14013,DB09140,drug,Oxygen,DrugBank\n"
        b"disease_protein,associated with,27166,11160,disease,\"myelodysplasia, immunodeficiency, facial "
        b"dysmorphism\",MONDO_grouped,1,7918,gene/protein,GPANK1,NCBI\n"
    )


def nodes_csv() -> bytes:
    """nodes.csv as uploaded. Evidence: ``node_index,node_id,node_type,node_name,node_source`` then
    ``0,9796,gene/protein,PHYHIP,NCBI`` (PrimeKG_Full_DataDescription.md, as above)."""
    return (b"node_index,node_id,node_type,node_name,node_source\n"
            b"0,9796,gene/protein,PHYHIP,NCBI\n"
            b"1,7918,gene/protein,GPANK1,NCBI\n"
            b"14012,DB09130,drug,Copper,DrugBank\n"
            b"14013,DB09140,drug,Oxygen,DrugBank\n"
            b"27166,11160,disease,\"myelodysplasia, immunodeficiency, facial dysmorphism\",MONDO_grouped\n")


def nodes_archival_tab() -> bytes:
    """What `api/access/datafile/6180617` serves without ``?format=original``: Dataverse's archival copy —
    tab-separated, the variable names as header (issue 9501), string values double-quoted (my understanding
    of Dataverse's CSV ingest; the reader refuses this layout whatever its quoting)."""
    return (b"node_index\tnode_id\tnode_type\tnode_name\tnode_source\n"
            b"0\t\"9796\"\t\"gene/protein\"\t\"PHYHIP\"\t\"NCBI\"\n"
            b"27166\t\"11160\"\t\"disease\"\t\"myelodysplasia, immunodeficiency, facial dysmorphism\"\t"
            b"\"MONDO_grouped\"\n")


def drug_features_csv() -> bytes:
    """drug_features.csv: ``node_index,description,indication,…``; descriptions are quoted prose with commas
    (first rows 14012 Copper, 14013 Oxygen per PrimeKG_Full_DataDescription.md)."""
    return (b"node_index,description,half_life,indication\n"
            b"14012,\"Copper is a transition metal, essential to all living organisms.\",,"
            b"Parenteral nutrition supplement\n"
            b"14013,\"Oxygen is an element, a gas at room temperature.\",,Oxygen therapy\n")


def disease_features_csv() -> bytes:
    """disease_features.csv: several rows per grouped disease node (node_index 27165 appears twice in the
    evidence's first rows), empty definitions where MONDO has none."""
    return (b"node_index,mondo_id,mondo_name,mondo_definition,umls_description,orphanet_definition\n"
            b"27166,11160,\"myelodysplasia, immunodeficiency, facial dysmorphism\",,"
            b"\"A rare syndrome, with myelodysplasia.\",\n"
            b"27166,11160,\"myelodysplasia, immunodeficiency, facial dysmorphism\",,"
            b"\"A rare syndrome, with myelodysplasia.\",\n")


def protein_csv() -> bytes:
    """BioBridge data/Processed/protein.csv (real bytes behind the LFS pointer). Evidence: the column order
    ``node_index, node_id, node_type, node_name, node_source, sequence`` and first row ``0, 9796,
    gene/protein, PHYHIP, NCBI, MELLSTPHSIEINNITCDSFRISWAMEDSDLERVTHYFIDLNKKEN…`` shown by
    RyanWangZf/BioBridge@f446ad2 experiments/mouse_protein/mouse_protein_process.ipynb (df.head() of it)."""
    return (b"node_index,node_id,node_type,node_name,node_source,sequence\n"
            b"0,9796,gene/protein,PHYHIP,NCBI,MELLSTPHSIEINNITCDSFRISWAMEDSDLERVTHYFIDLNKKEN\n"
            b"1,7918,gene/protein,GPANK1,NCBI,MSRPLLITFTPATDPSDLWKDGQQQPQPEKPESTLDGAAARAFYEA\n")


# RyanWangZf/BioBridge@f446ad2a21df6cf0b55a93b6f588bfdecf52c773 data/Processed/protein.csv: git blob
# 03f3931a…, 133 bytes — the pointer; .gitattributes has `*.csv filter=lfs diff=lfs merge=lfs -text`
LFS_POINTER = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:b828055ebac94878b2e87e70f1a4fc55c2f21e30456405716078655607fb6f31\n"
               b"size 11745993\n")

# what Dataverse answers for a dataset page (status 200, text/html): the old spec's URL for the features
DATASET_PAGE = (b"<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head>\n"
                b"<title>PrimeKG - Harvard Dataverse</title></head><body>Dataset</body></html>\n")


def listing(files: dict[str, bytes], tab_sizes: dict[str, int]) -> dict:
    """A dataset listing (`/api/datasets/:persistentId/?persistentId=doi:…`) in the native API's layout:
    ingested CSVs listed as ``.tab`` with the original's name, size and md5; kg.csv (not ingested, too large
    for ingest) under its own name with ``filesize`` and md5 of itself."""
    ids = {"kg.csv": 6180620, "nodes.csv": 6180617, "drug_features.csv": 6180619, "disease_features.csv": 6180618}
    entries = []
    for name, body in files.items():
        md5 = hashlib.md5(body).hexdigest()
        df = {"id": ids[name], "persistentId": "", "contentType": "text/csv", "filesize": len(body),
              "filename": name, "storageIdentifier": f"s3://dvn-cloud:{ids[name]:x}", "rootDataFileId": -1,
              "md5": md5, "checksum": {"type": "MD5", "value": md5}, "creationDate": "2022-04-12"}
        if name in tab_sizes:       # ingested
            tab = name.replace(".csv", ".tab")
            df.update(filename=tab, contentType="text/tab-separated-values", filesize=tab_sizes[name],
                      originalFileFormat="text/csv", originalFormatLabel="Comma Separated Values",
                      originalFileSize=len(body), originalFileName=name, UNF="UNF:6:AbCdEf==", tabularData=True)
        entries.append({"label": df["filename"], "restricted": False, "version": 2, "datasetVersionId": 318276,
                        "dataFile": df})
    return {"status": "OK", "data": {"id": 6180614, "identifier": "DVN/IXA7BM", "persistentUrl":
                                     "https://doi.org/10.7910/DVN/IXA7BM",
                                     "latestVersion": {"versionState": "RELEASED", "files": entries}}}


@pytest.fixture
def dataverse_server(tmp_path):
    """A loopback server standing in for dataverse.harvard.edu (query strings are ignored by the handler, so
    `datafile/<id>?format=original` serves www/api/access/datafile/<id>)."""
    www = tmp_path / "www"
    (www / "api" / "access" / "datafile").mkdir(parents=True)
    (www / "api" / "datasets" / ":persistentId").mkdir(parents=True)
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(www)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


# -- the sources ---------------------------------------------------------------------------------------------


def test_primekg_sources_are_datafiles_in_original_format_resolved_from_the_listing():
    """No source points at the dataset's HTML page; every URL asks for the original upload."""
    got = {s.filename: s.url for s in (KG, NODES, DRUG_FEATURES, DISEASE_FEATURES)}
    base = "https://dataverse.harvard.edu/api/access/datafile/"
    assert got == {"kg.csv": base + "6180620?format=original", "nodes.csv": base + "6180617?format=original",
                   "drug_features.csv": base + "6180619?format=original",
                   "disease_features.csv": base + "6180618?format=original"}
    assert {s.dataverse for s in (KG, NODES, DRUG_FEATURES, DISEASE_FEATURES)} == {"doi:10.7910/DVN/IXA7BM"}


def test_protein_csv_is_the_lfs_media_url_with_the_pointers_sha256_and_size():
    lines = dict(line.split(" ", 1) for line in LFS_POINTER.decode().splitlines())
    assert PROTEINS.sha256 == lines["oid"].removeprefix("sha256:")
    assert PROTEINS.size == int(lines["size"])
    assert PROTEINS.url.startswith("https://media.githubusercontent.com/media/RyanWangZf/BioBridge/")
    assert PROTEINS.url.endswith("/data/Processed/protein.csv")


# -- readers on the real layouts -------------------------------------------------------------------------------


def test_archival_tab_copy_is_refused_naming_format_original(tmp_path):
    path = tmp_path / "nodes.csv"
    path.write_bytes(nodes_archival_tab())
    with pytest.raises(K.PrimeKGFormatError, match=r"nodes.csv: tab-separated.*\?format=original"):
        K.read_nodes(path)


def test_archival_tab_copy_in_the_cache_never_shadows_a_good_mirror_copy(tmp_path):
    (tmp_path / "cache" / "downloads").mkdir(parents=True)
    (tmp_path / "cache" / "downloads" / "nodes.csv").write_bytes(nodes_archival_tab())
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "nodes.csv").write_bytes(nodes_csv())
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path / "mirror"], offline=True)
    assert f.fetch(NODES) == tmp_path / "mirror" / "nodes.csv"


def test_html_page_saved_as_drug_features_never_shadows_a_good_mirror_copy(tmp_path):
    (tmp_path / "cache" / "downloads").mkdir(parents=True)
    (tmp_path / "cache" / "downloads" / "drug_features.csv").write_bytes(DATASET_PAGE)
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "drug_features.csv").write_bytes(drug_features_csv())
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path / "mirror"], offline=True)
    assert f.fetch(DRUG_FEATURES) == tmp_path / "mirror" / "drug_features.csv"
    # alone, the page is refused with what it is and the fix
    g = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True)
    with pytest.raises(ChecksumError, match=r"drug_features.csv at .* is an HTML page(.|\n)*Delete it"):
        g.fetch(DRUG_FEATURES)


def test_lfs_pointer_is_refused_saying_what_it_is_and_how_to_get_the_file(tmp_path):
    (tmp_path / "protein.csv").write_bytes(LFS_POINTER)
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path], offline=True)
    with pytest.raises(ChecksumError) as err:
        f.fetch(PROTEINS)
    assert "Git LFS pointer" in str(err.value) and "media.githubusercontent.com" in str(err.value)
    # unchecked by hash, the pointer is still refused by its content
    with pytest.raises(ChecksumError, match="Git LFS pointer"):
        f.fetch(dataclasses.replace(PROTEINS, sha256=None, size=None, unverified="as before this change"))
    # and by the reader itself
    with pytest.raises(K.PrimeKGFormatError, match="Git LFS pointer"):
        K.read_protein_sequences(tmp_path / "protein.csv")


def test_real_layout_reads_through_the_prot2drug_reader(tmp_path):
    """protein → drug: duplicate directions collapse; the drug text is name + description."""
    from protbench.tasks.crossmodal.readers import primekg_reader

    files = {}
    for name, body in (("kg.csv", kg_csv()), ("nodes.csv", nodes_csv()), ("drug_features.csv", drug_features_csv()),
                       ("disease_features.csv", disease_features_csv()), ("protein.csv", protein_csv())):
        files[name] = tmp_path / name
        files[name].write_bytes(body)
    edges = K.read_edges(files["kg.csv"], "gene/protein", "drug", {"drug_protein"})
    assert list(zip(edges.head, edges.tail)) == [(0, 14012), (1, 14013)]
    data = primekg_reader("gene/protein", "drug", "drug_protein")(files)
    assert data.extra["tail_items"] == ["Copper: Copper is a transition metal, essential to all living organisms.",
                                        "Oxygen: Oxygen is an element, a gas at room temperature."]
    assert data.stats["heads"] == 2
    texts = K.read_feature_texts(files["disease_features.csv"], K.DISEASE_TEXT_FIELDS)
    assert texts == {27166: "A rare syndrome, with myelodysplasia."}


# -- the Dataverse listing -----------------------------------------------------------------------------------


def test_listing_gives_id_md5_and_size_of_the_original_upload():
    files = {"nodes.csv": nodes_csv(), "kg.csv": kg_csv()}
    parsed = dataverse.parse_listing(listing(files, tab_sizes={"nodes.csv": 999}))
    nodes = parsed["nodes.csv"]
    assert (nodes.id, nodes.listed_as, nodes.ingested) == (6180617, "nodes.tab", True)
    assert nodes.size == len(nodes_csv()) and nodes.md5 == hashlib.md5(nodes_csv()).hexdigest()
    kg = parsed["kg.csv"]
    assert (kg.id, kg.ingested, kg.size) == (6180620, False, len(kg_csv()))
    resolved = dataverse.resolve(NODES, parsed, "https://dataverse.harvard.edu")
    assert resolved.url == "https://dataverse.harvard.edu/api/access/datafile/6180617?format=original"
    assert (resolved.md5, resolved.size) == (nodes.md5, nodes.size)
    with pytest.raises(ValueError, match="not a Dataverse dataset listing"):
        dataverse.parse_listing({"status": "ERROR", "message": "Dataset not found"})


def _serve(www, files: dict[str, bytes], served: dict[str, bytes] | None = None):
    """Write the listing and the datafiles (``served`` overrides what a datafile URL returns)."""
    ids = {"kg.csv": 6180620, "nodes.csv": 6180617, "drug_features.csv": 6180619, "disease_features.csv": 6180618}
    lst = listing(files, tab_sizes={n: 1000 for n in files if n != "kg.csv"})
    (www / "api" / "datasets" / ":persistentId" / "index.html").write_text(json.dumps(lst))
    for name, body in files.items():
        (www / "api" / "access" / "datafile" / str(ids[name])).write_bytes((served or {}).get(name, body))


def test_download_resolves_through_the_listing_and_checks_the_originals_md5(tmp_path, dataverse_server):
    www, base, hits = dataverse_server
    _serve(www, {"nodes.csv": nodes_csv()})
    source = dataclasses.replace(NODES, url=f"{base}/api/access/datafile/6180617?format=original")
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], progress=False)
    path = f.fetch(source)
    assert path.read_bytes() == nodes_csv()
    assert any(h.startswith("/api/datasets/:persistentId/?persistentId=doi:10.7910/DVN/IXA7BM") for h in hits)
    assert "/api/access/datafile/6180617?format=original" in hits


def test_archival_copy_served_in_place_of_the_original_is_refused_and_not_cached(tmp_path, dataverse_server):
    """A server that ignores ?format=original: the tab-separated copy is refused (content), nothing cached."""
    www, base, _ = dataverse_server
    _serve(www, {"nodes.csv": nodes_csv()}, served={"nodes.csv": nodes_archival_tab()})
    source = dataclasses.replace(NODES, url=f"{base}/api/access/datafile/6180617?format=original")
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], progress=False)
    with pytest.raises(ChecksumError, match=r"tab-separated(.|\n)*format=original"):
        f.fetch(source)
    assert not list((tmp_path / "cache" / "downloads").glob("nodes.csv*"))


def test_changed_file_fails_the_listings_md5_and_is_not_cached(tmp_path, dataverse_server):
    www, base, _ = dataverse_server
    _serve(www, {"nodes.csv": nodes_csv()}, served={"nodes.csv": nodes_csv().replace(b"PHYHIP", b"PHYHIQ")})
    source = dataclasses.replace(NODES, url=f"{base}/api/access/datafile/6180617?format=original")
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], progress=False)
    with pytest.raises(ChecksumError, match="checksum mismatch for nodes.csv"):
        f.fetch(source)
    assert not (tmp_path / "cache" / "downloads" / "nodes.csv").exists()
