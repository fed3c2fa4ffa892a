"""Evidence bundle: PDF from real layers, originals and a manifest that `sha256sum -c` verifies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from zoneinfo import ZoneInfo

import geopandas as gpd
import pytest
import shapely
from PIL import Image

from geozones.cases import advance, load_clock_policy, open_case
from geozones.core.errors import InputError
from geozones.engine.evaluate import evaluate
from geozones.io import evidence as E
from geozones.io.photos import read_photo
from tests.io.photo_builders import ISTIQLAL, make_photo

W = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2024, 10, 12, 9, 0, tzinfo=W)
POLICY = load_clock_policy("pilkada-2024")


def t(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=W)


@pytest.fixture(scope="module")
def istiqlal_case(jakpus_layers, jakpus_rules):
    """A temuan at Masjid Istiqlal: photo EXIF -> engine at the EXIF time -> case steps -> evidence inputs."""
    data = make_photo()
    photo = read_photo(data, "IMG_20241010_100000.jpg", now=NOW)
    sites = gpd.GeoDataFrame({"site_id": ["JP-0001"], "apk_type": ["baliho"], "paslon": ["2"],
                              "installed_at": [photo.taken_at]},
                             geometry=[shapely.Point(photo.lon, photo.lat)], crs="EPSG:4326")
    row = evaluate(sites, jakpus_layers, jakpus_rules).iloc[0]
    case = open_case("temuan", known_at=t(2024, 10, 10, 10, 30), arrived_at=t(2024, 10, 10, 11), actor="pkd.pasarbaru",
                     role="bawaslu", policy=POLICY)
    for to, now, extra in [("under_study", t(2024, 10, 10, 13), {}),
                           ("recommended", t(2024, 10, 11, 9), {"letter": "188/PP.01.01/K.JK/10/2024"}),
                           ("ordered", t(2024, 10, 11, 15), {"order": "KPU-3171/PL.02.4/2024",
                                                             "deadline": t(2024, 10, 12, 15)})]:
        case = advance(case, to, actor="ana.bawaslu", role="bawaslu", fields={"reason": f"langkah {to}", **extra},
                       now=now, policy=POLICY)
    after = make_photo(label="SESUDAH", taken="2024:10:12 08:30:00")
    ec = E.EvidenceCase(
        case_id="JP-2024-0001", source="temuan", state=case.state.value, lon=photo.lon, lat=photo.lat,
        observed_at=photo.taken_at, known_at=case.known_at, apk_type="baliho", paslon="2",
        description="Baliho di depan Masjid Istiqlal <script>alert('x')</script> & pagar",
        verdict=row["verdict"],
        reasons=[{"rule_id": row["rule_ids"], "text_id": row["reasons_id"], "text_en": row["reasons_en"]}],
        ruleset=f"{jakpus_rules.id} {jakpus_rules.version}",
        data_digests={lyr.name: lyr.digest for lyr in jakpus_layers.layers.values() if lyr.present},
        history=case.history, clocks=case.clocks,
        photos=[E.EvidencePhoto(photo.name, photo.data, photo.media_type, photo.taken_at, photo.lon, photo.lat),
                E.EvidencePhoto("sesudah/IMG_after.jpg", after, caption="(sesudah)")])
    return ec, row


def test_engine_places_istiqlal_in_pasar_baru_and_forbids_it(istiqlal_case):
    _, row = istiqlal_case
    assert row["kelurahan"] == "Pasar Baru" and row["verdict"] == "FORBIDDEN" and "R01" in row["rule_ids"]


def test_bundle_verifies_with_sha256sum(istiqlal_case, jakpus_layers, tmp_path):
    ec, _ = istiqlal_case
    bundle = E.write_bundle(ec, tmp_path / "out" / "bundle.zip", layers=jakpus_layers, now=NOW)
    assert bundle.sha256 == hashlib.sha256(bundle.path.read_bytes()).hexdigest()
    with zipfile.ZipFile(bundle.path) as zf:
        names = zf.namelist()
        assert names == ["bukti-JP-2024-0001.pdf", "originals/01-IMG_20241010_100000.jpg",
                         "originals/02-IMG_after.jpg", "manifest.sha256"]
        assert zf.read("originals/01-IMG_20241010_100000.jpg") == ec.photos[0].data  # byte for byte
        zf.extractall(tmp_path / "x")
    done = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path / "x", capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == 3
    # tampering is caught
    (tmp_path / "x" / "originals" / "02-IMG_after.jpg").write_bytes(b"changed")
    done = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path / "x", capture_output=True, text=True,
                          check=False)
    assert done.returncode == 1 and "02-IMG_after.jpg: FAILED" in done.stdout
    assert not list((tmp_path / "out").glob(".*"))  # no temporary left behind


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "e.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_pdf_holds_reasons_history_deadlines_and_hashes(istiqlal_case, jakpus_layers, tmp_path):
    ec, _ = istiqlal_case
    text = _pdf_text(E.render_pdf(ec, layers=jakpus_layers, now=NOW), tmp_path)
    flat = text.replace("\n", "").replace(" ", "")
    for expected in ("Berkas Bukti Pelanggaran", "Pasar Baru", "Sawah Besar", "Dilarang (FORBIDDEN)", "R01",
                     "188/PP.01.01/K.JK/10/2024", "KPU-3171/PL.02.4/2024", "ana.bawaslu", "pkd.pasarbaru",
                     "perintah_kpu", "12-10-2024 15:00 WIB", "pilkada-2024", "Pasal 134", "OpenStreetMap",
                     "Batas kelurahan", "Tempat ibadah", "<script>alert"):
        assert expected.replace(" ", "") in flat, expected
    for p in ec.photos:
        assert p.sha256 in flat
    en = _pdf_text(E.render_pdf(ec, layers=jakpus_layers, now=NOW, lang="en"), tmp_path)
    assert "Evidence file" in en and "Forbidden (FORBIDDEN)" in en and "State history" in en


def test_pdf_page_with_the_map_renders(istiqlal_case, jakpus_layers, tmp_path):
    ec, _ = istiqlal_case
    ec = dataclasses.replace(ec, photos=[])  # only the map may draw red
    pdf = tmp_path / "e.pdf"
    pdf.write_bytes(E.render_pdf(ec, layers=jakpus_layers, now=NOW))
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    img = Image.open(next(tmp_path.glob("page-*.png"))).convert("RGB")
    # the summary and the map fit on the first page: the site marker (#e41a1c) and the worship fill are there
    colours = {c for _, c in img.getcolors(maxcolors=1 << 20)}
    assert any(r > 200 and g < 60 and b < 60 for r, g, b in colours)
    assert any(abs(r - 203) < 12 and abs(g - 174) < 14 and abs(b - 208) < 14 for r, g, b in colours)


def test_map_svg_is_well_formed_and_escaped(jakpus_layers):
    svg = E.map_svg(jakpus_layers, *ISTIQLAL, lang="id")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "Batas kelurahan: Pasar Baru (31.71.02.1001)" in svg and "Titik laporan" in svg
    assert "© OpenStreetMap contributors" in svg and ">100 m<" in svg
    assert "Map data" not in svg
    en = E.map_svg(jakpus_layers, *ISTIQLAL, lang="en", radius_m=400)
    assert "Reported point" in en and "Places of worship" in en and ">250 m<" in en


def test_no_layers_no_map_and_html_escapes_everything():
    ec = E.EvidenceCase(case_id="X<1>", source="laporan", state="laporan", lon=106.83, lat=-6.17,
                        description="<img src=x onerror=alert(1)>",
                        history=[{"at": t(2024, 10, 10, 9), "actor": "<b>eve</b>", "role": "bawaslu",
                                  "from_state": None, "to_state": "laporan", "fields": {"reason": "<i>x</i>"}}])
    html = E.render_html(ec, now=NOW)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>eve</b>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html and "X&lt;1&gt;" in html
    assert "Peta tidak tersedia" in html and "Tidak ada foto." in html


def test_heic_original_is_shown_and_kept(jakpus_layers, tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 200, 10)).save(buf, "HEIF")
    ec = E.EvidenceCase(case_id="H1", source="temuan", state="temuan", lon=ISTIQLAL[0], lat=ISTIQLAL[1],
                        photos=[E.EvidencePhoto("iphone.heic", buf.getvalue(), "image/heic")])
    assert "data:image/jpeg;base64," in E.render_html(ec, now=NOW)
    bundle = E.write_bundle(ec, tmp_path / "h.zip", layers=jakpus_layers, now=NOW, lang="en")
    with zipfile.ZipFile(bundle.path) as zf:
        assert zf.read("originals/01-iphone.heic") == buf.getvalue()
        assert bundle.pdf_name == "evidence-H1.pdf" and "evidence-H1.pdf" in zf.read("manifest.sha256").decode()


def test_a_failed_bundle_leaves_nothing(tmp_path):
    ec = E.EvidenceCase(case_id="F1", source="temuan", state="temuan", lon=106.83, lat=-6.17)
    with pytest.raises(InputError, match="unknown language"):
        E.write_bundle(ec, tmp_path / "f.zip", now=NOW, lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_original_names_stay_inside_the_folder():
    photos = [E.EvidencePhoto("../../etc/passwd", b"1"), E.EvidencePhoto("C:\\Users\\x\\foto 1.jpg", b"2"),
              E.EvidencePhoto("...", b"3")]
    assert E.original_names(photos) == ["originals/01-passwd", "originals/02-foto_1.jpg", "originals/03-file"]
