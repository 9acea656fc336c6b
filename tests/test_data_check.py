"""`protbench data check`: per-source pre-flight table against a loopback server (127.0.0.1 only).

The server serves a file in the real layout (SHS27k-style actions, 7 tab-separated fields), the HTML page
Harvard Dataverse answers with status 200 for a dataset page (the old drug_features.csv URL), and a file of
the wrong size; one URL is missing (404).
"""
from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial

import pytest

from protbench.cli import main
from protbench.fetch import Fetcher, check_source
from protbench.spec import DataSource

ACTIONS = (b"item_id_a\titem_id_b\tmode\taction\tis_directional\ta_is_acting\tscore\n"
           b"9606.ENSP00000000233\t9606.ENSP00000250971\treaction\t\tt\tt\t900")
PAGE = b"<!DOCTYPE html>\n<html><head><title>PrimeKG - Harvard Dataverse</title></head><body></body></html>\n"
FEATURES = b"node_index,description\n14012,\"Copper is a transition metal, essential.\"\n"


@pytest.fixture
def server(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "actions.txt").write_bytes(ACTIONS)
    (www / "dataset.html").write_bytes(PAGE)     # served as text/html, as Dataverse serves its pages
    (www / "features.csv").write_bytes(FEATURES)
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.command + " " + self.path)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(www)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    srv.shutdown()


def sources(base: str) -> dict[str, DataSource]:
    md5 = hashlib.md5(ACTIONS).hexdigest()
    return {
        "good": DataSource("protein.actions.SHS148k.STRING.txt", f"{base}/actions.txt", md5=md5, size=len(ACTIONS)),
        "html": DataSource("drug_features.csv", f"{base}/dataset.html", unverified="no checksum published"),
        "short": DataSource("disease_features.csv", f"{base}/features.csv", unverified="no checksum published",
                            size=len(FEATURES) + 10),
        "gone": DataSource("nodes.csv", f"{base}/nodes.csv", unverified="no checksum published"),
    }


def test_online_check_downloads_the_good_file_and_refuses_the_bad_ones(tmp_path, server):
    base, hits = server
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=False, progress=False)
    src = sources(base)
    rows = {k: check_source(f, s, ["t"], online=True) for k, s in src.items()}
    good = rows["good"]
    assert good.ok and good.found == "downloaded" and good.http.startswith("200")
    assert (tmp_path / "cache" / "downloads" / "protein.actions.SHS148k.STRING.txt").read_bytes() == ACTIONS
    html = rows["html"]
    assert not html.ok and html.http == "200" and html.content == "an HTML page"
    assert "drug_features.csv" in html.problems[0] and "is an HTML page" in html.problems[0]
    short = rows["short"]
    assert not short.ok and short.size == "WRONG" and "size mismatch for disease_features.csv" in short.problems[0]
    gone = rows["gone"]
    assert not gone.ok and gone.http == "404"
    # nothing bad was cached, not even as a partial file
    assert sorted(p.name for p in (tmp_path / "cache" / "downloads").iterdir()
                  if not p.name.endswith(".lock")) == ["protein.actions.SHS148k.STRING.txt"]
    # a second check finds the good copy in the cache and only peeks at the server's copy
    before = len(hits)
    again = check_source(f, src["good"], ["t"], online=True)
    assert again.ok and again.found == "cache" and hits[before:] == ["GET /actions.txt"]


def test_no_download_mode_reports_content_and_size_from_the_first_bytes(tmp_path, server):
    base, hits = server
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=False, progress=False)
    src = sources(base)
    html = check_source(f, src["html"], ["t"], online=True, headers_only=True)
    assert not html.ok and "serves an HTML page" in html.problems[0] and "text/html" in html.problems[0]
    short = check_source(f, src["short"], ["t"], online=True, headers_only=True)
    assert not short.ok and f"announces {len(FEATURES):,} bytes" in short.problems[0]
    good = check_source(f, src["good"], ["t"], online=True, headers_only=True)
    assert good.ok
    gone = check_source(f, src["gone"], ["t"], online=True, headers_only=True)
    assert not gone.ok and gone.http.startswith("404") and "answers HTTP 404" in gone.problems[0]
    assert not (tmp_path / "cache" / "downloads").exists()


def test_offline_check_says_what_is_missing_and_where_to_put_it(tmp_path):
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[], offline=True)
    row = check_source(f, sources("http://127.0.0.1:9")["gone"], ["prot2drug"], online=False)
    assert not row.ok and row.http == "offline"
    assert f"put nodes.csv (from http://127.0.0.1:9/nodes.csv) in {tmp_path / 'cache' / 'downloads'}" \
        in row.problems[0]


def test_bad_cached_copy_is_a_note_when_the_mirror_copy_is_good(tmp_path):
    src = sources("http://127.0.0.1:9")["html"]
    (tmp_path / "cache" / "downloads").mkdir(parents=True)
    (tmp_path / "cache" / "downloads" / "drug_features.csv").write_bytes(PAGE)
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "drug_features.csv").write_bytes(FEATURES)
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path / "mirror"], offline=True)
    row = check_source(f, src, ["prot2drug"])
    assert row.ok and row.found == "mirror"
    assert "bad copy in the cache (never used)" in row.notes[0] and "is an HTML page" in row.notes[0]


PLUGIN = '''
from protbench import TaskSpec, Family, DataSource, register_task
from protbench.spec import TaskData

class Probe:
    def __init__(self, tid, sources):
        self.spec = TaskSpec(id=tid, family=Family.PPI, description="check", main_metric="m", metrics=("m",),
                             protocol="probe", sources=sources)
    def load(self, files):
        return TaskData(splits={{}})
    def write_smoke(self, folder):
        return {{}}
    def evaluate(self, data, emb, seed, options):
        raise NotImplementedError

register_task(Probe("check-good", (DataSource("protein.actions.SHS148k.STRING.txt", "{base}/actions.txt",
                                              md5="{md5}", size={size}),)))
register_task(Probe("check-bad", (DataSource("drug_features.csv", "{base}/dataset.html", unverified="none"),)))
'''


def test_cli_exits_1_with_a_per_source_table_and_0_when_all_is_fine(tmp_path, server, capsys):
    base, _ = server
    plugin = tmp_path / "plugin.py"
    plugin.write_text(PLUGIN.format(base=base, md5=hashlib.md5(ACTIONS).hexdigest(), size=len(ACTIONS)))
    common = ["--include", str(plugin), "--cache-dir", str(tmp_path / "cache")]
    assert main(["data", "check", "--tasks", "check-good", "check-bad", "--online", *common]) == 1
    out = capsys.readouterr().out
    table = {line.split()[1]: line for line in out.splitlines() if line.startswith("check-")}
    assert table["protein.actions.SHS148k.STRING.txt"].rstrip().endswith("ok")
    assert "an HTML page" in table["drug_features.csv"] and table["drug_features.csv"].rstrip().endswith("FAIL")
    assert "1 of 2 files would break a run" in out
    assert main(["data", "check", "--tasks", "check-good", "--offline", *common]) == 0
    assert "all 1 files are fine" in capsys.readouterr().out
    assert main(["data", "check", "--tasks", "check-bad", *common]) == 1      # offline by default: missing
    assert "missing: put drug_features.csv" in capsys.readouterr().out


def test_truncated_cached_copy_never_shadows_the_mirror_and_is_named(tmp_path):
    src = sources("http://127.0.0.1:9")["good"]
    (tmp_path / "cache" / "downloads").mkdir(parents=True)
    (tmp_path / "cache" / "downloads" / src.filename).write_bytes(ACTIONS[:40])
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / src.filename).write_bytes(ACTIONS)
    f = Fetcher(cache_dir=tmp_path / "cache", mirrors=[tmp_path / "mirror"], offline=True)
    assert f.fetch(src) == tmp_path / "mirror" / src.filename
    row = check_source(f, src, ["shs148k"])
    assert row.ok and row.found == "mirror"
    assert f"size mismatch for {src.filename}" in row.notes[0] and "Delete it" in row.notes[0]
